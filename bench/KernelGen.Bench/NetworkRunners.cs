using System.Globalization;
using System.Reflection;
using Google.Protobuf;
using KernelGen.Bench.Peers;
using KernelGen.Onnx;
using KernelGen.Onnx.Protos;
using KernelGen.Samples;
using KernelGen.Training;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace KernelGen.Bench;

/// <summary>
/// A whole-network case of the bench, named <c>{network}_b{batch}</c>, with <c>_t2</c> for two threads:
/// <c>resnet18</c> (ML.NET's pretrained ResNet-18, imported) or <c>mnist_cnn</c> (samples/Mnist/MnistCnn.cs).
/// </summary>
public sealed record NetworkCase(string Network, int Batch, int Threads)
{
    public const string ResNet18 = "resnet18", MnistCnn = "mnist_cnn";

    public static NetworkCase Parse(string shape)
    {
        string[] parts = shape.Split('_');
        int threads = parts[^1] == "t2" ? 2 : 1;
        string batch = parts[^(threads == 2 ? 2 : 1)];
        if (!batch.StartsWith('b') || !int.TryParse(batch.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            throw new ArgumentException($"'{shape}' is not {{network}}_b{{batch}}[_t2].", nameof(shape));
        }

        string network = shape[..shape.IndexOf("_" + batch, StringComparison.Ordinal)];
        return network is ResNet18 or MnistCnn ? new NetworkCase(network, n, threads) : throw new ArgumentException($"Unknown network '{network}' in '{shape}'.", nameof(shape));
    }

    /// <summary>The shape without the thread suffix: the one-thread case of the same network and batch.</summary>
    public string OneThread => Invariant($"{Network}_b{Batch}");

    public int[] ImageShape => Network == ResNet18 ? [3, 224, 224] : [1, 28, 28];

    public int ImageLength => ImageShape[0] * ImageShape[1] * ImageShape[2];

    public int OutputLength => Network == ResNet18 ? 512 : 10;

    /// <summary>The path of ML.NET's ResNet-18 ONNX file (its NuGet package's folder, recorded at build time).</summary>
    public static string ResNet18Model =>
        typeof(NetworkCase).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Model").Value!;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One implementation of a <see cref="NetworkCase"/>: runs the batch of images in <see cref="Input"/> into <see cref="Output"/>.</summary>
public abstract class NetworkRunner : IDisposable
{
    public const string Generated = "Generated", OnnxRuntime = "OnnxRuntime", TorchSharp = "TorchSharp";

    protected NetworkRunner(NetworkCase c)
    {
        Case = c;
        Input = new float[c.Batch * c.ImageLength];
        Output = new float[c.Batch * c.OutputLength];
        var random = new Random(1);
        float scale = c.Network == NetworkCase.ResNet18 ? 255 : 1, shift = c.Network == NetworkCase.ResNet18 ? 128 : 0;
        for (int i = 0; i < Input.Length; i++)
        {
            Input[i] = (random.NextSingle() * scale) - shift;
        }
    }

    public NetworkCase Case { get; }

    public float[] Input { get; }

    public float[] Output { get; }

    public abstract void Run();

    public virtual void Dispose() => GC.SuppressFinalize(this);

    public static NetworkRunner Create(NetworkCase c, string implementation) => implementation switch
    {
        Generated => new GeneratedRunner(c),
        OnnxRuntime => new OnnxRuntimeRunner(c),
        TorchSharp => new TorchSharpRunner(c),
        _ => throw new ArgumentException($"Unknown implementation '{implementation}'.", nameof(implementation)),
    };

    /// <summary>
    /// The MNIST CNN's parameters: those <c>new MnistCnn(seed: 1)</c> draws, by name (<c>Conv1.weight</c>, …), so that
    /// every implementation computes the same function.
    /// </summary>
    protected static Dictionary<string, float[]> MnistWeights() =>
        new MnistCnn(seed: 1, maxBatch: 1).Parameters.ToDictionary(p => p.Name, p => p.Values.ToArray());
}

/// <summary>The generated network: <c>Forward(images, outputs, batch)</c> with <c>Parallelism</c> set to the case's threads and <c>FixedWeights</c> set.</summary>
public sealed class GeneratedRunner : NetworkRunner
{
    private readonly Action _forward;

    /// <summary>The case's network; with <paramref name="profile"/>, its <c>Profile</c> (each layer's time, <see cref="LayerComparison"/>).</summary>
    public GeneratedRunner(NetworkCase c, LayerProfile? profile = null) : base(c)
    {
        if (c.Network == NetworkCase.ResNet18)
        {
            // Loaded once and fixed, as an ONNX Runtime session owns (and prepacks) its weights.
            var network = new ResNet18(maxBatch: c.Batch) { Parallelism = new Parallelism(c.Threads), Profile = profile };
            network.Load(ResNet18Weights());
            network.FixedWeights = true;
            _forward = () => network.Forward(Input, Output, c.Batch);
        }
        else
        {
            var network = new MnistCnn(seed: 1, maxBatch: c.Batch) { Parallelism = new Parallelism(c.Threads), FixedWeights = true, Profile = profile };
            _forward = () => network.Forward(Input, Output, c.Batch);
        }
    }

    public override void Run() => _forward();

    /// <summary>
    /// The imported weights as a user loads them: a safetensors file <c>kernelgen import</c>'s weights make once (in the
    /// temporary folder), so that neither a timed process nor a measured one holds the import's ONNX model.
    /// </summary>
    public static string ResNet18Weights()
    {
        string path = Path.Combine(Path.GetTempPath(), "kernelgen-bench-resnet18.safetensors");
        if (!File.Exists(path))
        {
            OnnxImport imported = OnnxImport.Import(NetworkCase.ResNet18Model, new OnnxImportOptions("ResNet18") { Namespace = "KernelGen.Samples" });
            var network = new ResNet18(maxBatch: 1);
            foreach (Parameter parameter in network.Parameters)
            {
                imported.Weights[parameter.Name].AsSpan().CopyTo(parameter.Values);
            }

            string temporary = path + ".partial";
            network.Save(temporary);
            File.Move(temporary, path, overwrite: true);
        }

        return path;
    }
}

/// <summary>
/// ONNX Runtime: the ResNet-18 ONNX file itself, or the MNIST CNN written as an ONNX graph (Conv, Relu, MaxPool,
/// Flatten, Gemm, Relu, Gemm) with the generated network's parameters.
/// </summary>
public sealed class OnnxRuntimeRunner : NetworkRunner
{
    private readonly OnnxRunner _runner;

    /// <summary>The case's model; with <paramref name="profile"/>, ONNX Runtime's profiling on (see <see cref="EndProfiling"/>).</summary>
    public OnnxRuntimeRunner(NetworkCase c, string? profile = null) : base(c)
    {
        long[] inputShape = [c.Batch, .. c.ImageShape.Select(d => (long)d)];
        long[] outputShape = c.Network == NetworkCase.ResNet18 ? [c.Batch, c.OutputLength, 1, 1] : [c.Batch, c.OutputLength];
        _runner = c.Network == NetworkCase.ResNet18
            ? new OnnxRunner(c.Batch == 1 ? NetworkCase.ResNet18Model : ResNet18Model(c.Batch), Input, inputShape, Output, outputShape, c.Threads, profile)
            : new OnnxRunner(MnistModel(c.Batch), Input, inputShape, Output, outputShape, c.Threads, profile);
    }

    public override void Run() => _runner.Run();

    /// <summary>Ends the profiling the constructor started: the path of ONNX Runtime's JSON trace.</summary>
    public string EndProfiling() => _runner.EndProfiling();

    public override void Dispose()
    {
        _runner.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// The ResNet-18 file declares a batch of 1: a copy (in the temporary folder) whose input, output and intermediate
    /// shapes give the batch instead.
    /// </summary>
    private static string ResNet18Model(int batch)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(NetworkCase.ResNet18Model));
        foreach (ValueInfoProto value in model.Graph.Input.Concat(model.Graph.Output).Concat(model.Graph.ValueInfo))
        {
            if (value.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape && shape.Dim[0].DimValue == 1)
            {
                shape.Dim[0].DimValue = batch;
            }
        }

        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-bench-resnet18-b{batch}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    private static byte[] MnistModel(int batch)
    {
        Dictionary<string, float[]> w = MnistWeights();
        return new OnnxModel()
            .Input("x", [batch, 1, 28, 28])
            .Output("y", [batch, 10])
            .Initializer("conv_w", [32, 1, 3, 3], w["Conv1.weight"])
            .Initializer("conv_b", [32], w["Conv1.bias"])
            .Initializer("fc1_w", [128, 5408], w["Fc1.weight"])
            .Initializer("fc1_b", [128], w["Fc1.bias"])
            .Initializer("logits_w", [10, 128], w["Logits.weight"])
            .Initializer("logits_b", [10], w["Logits.bias"])
            .Node("Conv", ["x", "conv_w", "conv_b"], "conv", ("kernel_shape", new long[] { 3, 3 }))
            .Node("Relu", ["conv"], "conv_relu")
            .Node("MaxPool", ["conv_relu"], "pool", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }))
            .Node("Flatten", ["pool"], "flat")
            .Node("Gemm", ["flat", "fc1_w", "fc1_b"], "fc1", ("transB", 1L))
            .Node("Relu", ["fc1"], "fc1_relu")
            .Node("Gemm", ["fc1_relu", "logits_w", "logits_b"], "y", ("transB", 1L))
            .ToArray();
    }
}

/// <summary>
/// TorchSharp in eval mode without autograd: torchvision's resnet18 (random weights: the same arithmetic, its own
/// batch norms and 1000-class head), or the MNIST CNN as a <c>Sequential</c> with the generated network's parameters.
/// </summary>
public sealed class TorchSharpRunner : NetworkRunner
{
    private readonly Module<torch.Tensor, torch.Tensor> _module;
    private readonly torch.Tensor _input;

    public TorchSharpRunner(NetworkCase c) : base(c)
    {
        TorchPeer.EnsureLoaded();
        torch.set_num_threads(c.Threads);
        _module = c.Network == NetworkCase.ResNet18 ? torchvision.models.resnet18() : MnistModule();
        _module.eval();
        _input = torch.tensor(Input, [c.Batch, .. c.ImageShape.Select(d => (long)d)]);
    }

    public override void Run()
    {
        using torch.Tensor output = _module.forward(_input);
        if (Case.Network == NetworkCase.MnistCnn)
        {
            output.data<float>().CopyTo(Output);
        }
    }

    public override void Dispose()
    {
        _module.Dispose();
        _input.Dispose();
        torch.set_num_threads(1);
        base.Dispose();
    }

    private static Module<torch.Tensor, torch.Tensor> MnistModule()
    {
        Dictionary<string, float[]> w = MnistWeights();
        var conv = Conv2d(1, 32, 3);
        var fc1 = Linear(5408, 128);
        var logits = Linear(128, 10);
        using (torch.no_grad())
        {
            conv.weight!.copy_(torch.tensor(w["Conv1.weight"], [32, 1, 3, 3]));
            conv.bias!.copy_(torch.tensor(w["Conv1.bias"]));
            fc1.weight!.copy_(torch.tensor(w["Fc1.weight"], [128, 5408]));
            fc1.bias!.copy_(torch.tensor(w["Fc1.bias"]));
            logits.weight!.copy_(torch.tensor(w["Logits.weight"], [10, 128]));
            logits.bias!.copy_(torch.tensor(w["Logits.bias"]));
        }

        return Sequential(conv, ReLU(), MaxPool2d(2), Flatten(), fc1, ReLU(), logits);
    }
}
