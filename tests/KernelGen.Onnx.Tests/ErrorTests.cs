using System.Reflection;
using Google.Protobuf;
using KernelGen.Onnx.Protos;

namespace KernelGen.Onnx.Tests;

/// <summary>
/// What the importer refuses, and how: an operator or attribute it cannot express names the node, its op type, what is
/// unsupported and what is supported; a damaged or hostile file is an <see cref="OnnxImportException"/> that says what is
/// wrong, never a crash or a giant allocation; and <c>kernelgen import</c> writes nothing unless the import succeeded.
/// </summary>
public class ErrorTests
{
    private static OnnxImportException Refused(byte[] model) =>
        Assert.Throws<OnnxImportException>(() => OnnxImport.Import(model, "bad.onnx", new OnnxImportOptions("Imported")));

    private static OnnxBuilder Small(out string conv)
    {
        var b = new OnnxBuilder(1, 1, 2, 5, 5);
        conv = b.Node("Conv", ["x", b.Weight([3, 2, 3, 3])]);
        return b;
    }

    [Fact]
    public void An_unsupported_operator_names_the_node_and_lists_what_is_supported()
    {
        OnnxBuilder b = Small(out string conv);
        string x = b.Node("Upsample", [conv, b.Weight([4])]);
        OnnxImportException e = Refused(b.Build(b.Node("GlobalAveragePool", [x])));
        Assert.Contains("'upsample_1' (Upsample)", e.Message);
        Assert.Contains("not supported", e.Message);
        Assert.Contains("Supported: Conv, BatchNormalization, Gemm", e.Message);
    }

    [Fact]
    public void An_unsupported_attribute_or_value_says_which()
    {
        var b = new OnnxBuilder(1, 1, 2, 5, 5);
        string conv = b.Node("Conv", ["x", b.Weight([3, 2, 3, 3])], ("auto_pad", "SAME_SIDEWAYS"));
        Assert.Contains("auto_pad = 'SAME_SIDEWAYS' (supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER)", Refused(b.Build(b.Node("GlobalAveragePool", [conv]))).Message);

        b = Small(out conv);
        string x = b.Node("HardSigmoid", [conv]);
        OnnxImportException e = Refused(b.Build(b.Node("GlobalAveragePool", [x])));
        Assert.Contains("'hardsigmoid_1' (HardSigmoid): alpha = 0.2, beta = 0.5", e.Message);

        b = Small(out conv);
        x = b.Node("MaxPool", [conv], ("kernel_shape", new[] { 2, 2 }), ("storage_order", 1), ("colour", 3));
        Assert.Contains("the attribute 'colour' is not supported", Refused(b.Build(b.Node("GlobalAveragePool", [x]))).Message);
    }

    [Fact]
    public void An_activation_that_no_layer_before_it_can_apply_is_refused()
    {
        OnnxBuilder b = Small(out string conv);
        string pool = b.Node("MaxPool", [conv], ("kernel_shape", new[] { 2, 2 }));
        string x = b.Node("Relu", [pool]);
        OnnxImportException e = Refused(b.Build(b.Node("GlobalAveragePool", [x])));
        Assert.Contains("'relu_2' (Relu): it follows Maxpool1 ([MaxPool2D])", e.Message);
    }

    [Fact]
    public void Malformed_nodes_are_refusals_not_crashes()
    {
        var b = new OnnxBuilder(1, 1, 2, 5, 5);
        string w = b.Node("Constant", [], ("value_float", 1f), ("value_int", 2));
        string conv = b.Node("Conv", ["x", w]);
        Assert.Contains("'constant_0' (Constant): 2 values given; a Constant has one", Refused(b.Build(b.Node("GlobalAveragePool", [conv]))).Message);

        b = Small(out conv);
        string pool = b.Node("MaxPool", [conv], ("kernel_shape", new[] { 0, 2 }));
        Assert.Contains("kernel_shape [0, 2]: a window is at least 1×1", Refused(b.Build(b.Node("GlobalAveragePool", [pool]))).Message);
    }

    [Fact]
    public void A_cycle_and_a_missing_input_are_named()
    {
        OnnxBuilder b = Small(out string conv);
        string[] first = b.Node("Add", [conv, "v9"], 1);
        string[] second = b.Node("Relu", [first[0]], 1);
        byte[] cyclic = Rewire(b.Build(b.Node("GlobalAveragePool", [second[0]])), node => node.OpType == "Relu", "v9");
        Assert.Contains("cycle", Refused(cyclic).Message);

        b = Small(out conv);
        string x = b.Node("Add", [conv, "nowhere"]);
        Assert.Contains("reads 'nowhere', which is neither the graph's input, an initializer nor any node's output", Refused(b.Build(b.Node("GlobalAveragePool", [x]))).Message);
    }

    /// <summary>The model with the output of the first node matching <paramref name="which"/> renamed.</summary>
    private static byte[] Rewire(byte[] bytes, Func<NodeProto, bool> which, string output)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        NodeProto node = model.Graph.Node.First(which);
        string old = node.Output[0];
        node.Output[0] = output;
        foreach (NodeProto reader in model.Graph.Node)
        {
            for (int i = 0; i < reader.Input.Count; i++)
            {
                if (reader.Input[i] == old)
                {
                    reader.Input[i] = output;
                }
            }
        }

        return model.ToByteArray();
    }

    [Fact]
    public void A_tensor_claiming_two_to_the_forty_elements_is_refused_before_anything_is_allocated()
    {
        OnnxBuilder b = Small(out string conv);
        ModelProto model = ModelProto.Parser.ParseFrom(b.Build(b.Node("GlobalAveragePool", [conv])));
        TensorProto weights = model.Graph.Initializer[0];
        weights.Dims.Clear();
        weights.Dims.AddRange([1L << 20, 1L << 20, 1, 1]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        OnnxImportException e = Refused(model.ToByteArray());
        Assert.Contains("claims [1048576, 1048576, 1, 1] elements", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "The refusal allocated more than the file justifies.");

        weights.Dims.Clear();
        weights.Dims.AddRange([3, 2, 3, 4]);
        Assert.Contains("claims [3, 2, 3, 4] = 72 values but holds 54", Refused(model.ToByteArray()).Message);
    }

    [Fact]
    public void Truncated_files_and_random_bytes_are_clear_errors()
    {
        OnnxBuilder b = Small(out string conv);
        byte[] model = b.Build(b.Node("GlobalAveragePool", [conv]));
        var random = new Random(3);
        for (int length = 0; length < model.Length; length += 1 + (length / 7))
        {
            OnnxImportException e = Refused(model[..length]);
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }

        for (int i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(1, 400)];
            random.NextBytes(bytes);
            Assert.Throws<OnnxImportException>(() => OnnxImport.Import(bytes, "noise.onnx", new OnnxImportOptions("Imported")));
        }
    }

    [Fact]
    public void Kernelgen_import_writes_both_files_or_nothing()
    {
        string folder = Path.Combine(Path.GetTempPath(), "kernelgen-import-" + Guid.NewGuid().ToString("N"));
        try
        {
            OnnxBuilder b = Small(out string conv);
            string good = Path.Combine(folder, "good.onnx"), bad = Path.Combine(folder, "bad.onnx");
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(good, b.Build(b.Node("GlobalAveragePool", [conv])));
            File.WriteAllBytes(bad, b.Build(b.Node("Upsample", [conv])));

            Assert.Equal(1, Kernelgen("import", bad, "--class", "Bad", "--out", Path.Combine(folder, "bad")));
            Assert.False(Directory.Exists(Path.Combine(folder, "bad")));

            Assert.Equal(0, Kernelgen("import", good, "--class", "Good", "--namespace", "Models", "--out", Path.Combine(folder, "out")));
            string[] written = [.. Directory.GetFiles(Path.Combine(folder, "out")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
            Assert.Equal(["Good.cs", "Good.safetensors"], written);
            string source = File.ReadAllText(Path.Combine(folder, "out", "Good.cs"));
            Assert.StartsWith("// Imported by KernelGen.Onnx", source);
            Assert.Contains("//   kernelgen import good.onnx --class Good --namespace Models", source);
            Assert.Contains("namespace Models;", source);

            // The safetensors file holds exactly the class's parameters, under its names.
            IReadOnlyDictionary<string, Tensor> weights = Safetensors.Load(Path.Combine(folder, "out", "Good.safetensors"));
            Assert.Equal(["conv_0.weight"], [.. weights.Keys]);
            Assert.Equal([3, 2, 3, 3], weights["conv_0.weight"].Shape.ToArray());
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static int Kernelgen(params string[] args)
    {
        MethodInfo main = typeof(OnnxImport).Assembly.EntryPoint!;
        return (int)main.Invoke(null, [args])!;
    }
}
