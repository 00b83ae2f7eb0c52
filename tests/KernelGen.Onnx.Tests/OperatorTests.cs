using Google.Protobuf;
using KernelGen.Onnx.Protos;

namespace KernelGen.Onnx.Tests;

/// <summary>
/// Every operator and quirk the importer reads, each in a small model built with ONNX's protobuf classes, imported,
/// compiled and run against ONNX Runtime on the same random inputs (within 1e-4 of the output's largest magnitude).
/// </summary>
public class OperatorTests
{
    /// <summary>A head that makes any spatial tensor an output: global average pool, then flatten.</summary>
    private static string Head(OnnxBuilder b, string x) => b.Node("Flatten", [b.Node("GlobalAveragePool", [x])]);

    [Theory]
    [InlineData(3, 7)]
    [InlineData(7, 13)]
    [InlineData(10, 21)]
    public void Conv_relu_pool_flatten_gemm_on_a_batch_of_three(long irVersion, int opset)
    {
        var b = new OnnxBuilder(1, 0, 3, 12, 12) { IrVersion = irVersion, Opset = opset };
        string x = b.Node("Conv", ["x", b.Weight([8, 3, 3, 3]), b.Weight([8])], ("kernel_shape", new[] { 3, 3 }), ("pads", new[] { 1, 1, 1, 1 }));
        x = b.Node("Relu", [x]);
        x = b.Node("MaxPool", [x], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));
        x = b.Node("Flatten", [x]);
        x = b.Node("Gemm", [x, b.Weight([10, 8 * 6 * 6]), b.Weight([10])], ("transB", 1));
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(x), batch: 3);
        Assert.Contains("[Conv2D(OutChannels = 8, Kernel = 3, Padding = 1, Activation = Activation.Relu", imported.Source);
        Assert.Contains("[Dense(OutFeatures = 10", imported.Source);
    }

    [Theory]
    [InlineData("Profile")]
    [InlineData("Parallelism")]
    [InlineData("Forward")]
    public void A_node_named_after_a_member_every_network_has_gets_another_name(string name)
    {
        var b = new OnnxBuilder(1, 0, 2, 6, 6);
        string x = b.Node("Conv", ["x", b.Weight([4, 2, 3, 3]), b.Weight([4])], ("kernel_shape", new[] { 3, 3 }));
        ModelProto model = ModelProto.Parser.ParseFrom(b.Build(Head(b, x)));
        model.Graph.Node[0].Name = name;
        OnnxImport imported = ImportRunner.AssertMatches(model.ToByteArray(), batch: 1);
        Assert.Contains($"partial void {name}2();", imported.Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 3, 3, 2, 2 }, 2)]
    [InlineData(new[] { 0, 1, 2, 0 }, 1)]
    public void Conv_with_asymmetric_pads(int[] pads, int stride)
    {
        var b = new OnnxBuilder(2, 1, 3, 15, 14);
        string x = b.Node("Conv", ["x", b.Weight([4, 3, 5, 3])], ("pads", pads), ("strides", new[] { stride, stride }));
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(Head(b, x)));
        Assert.Contains($"PaddingTop = {pads[0]}, PaddingBottom = {pads[2]}, PaddingLeft = {pads[1]}, PaddingRight = {pads[3]}", imported.Source);
        Assert.Contains("Bias = false", imported.Source);
    }

    [Theory]
    [InlineData("SAME_UPPER", 2)]
    [InlineData("SAME_LOWER", 2)]
    [InlineData("SAME_UPPER", 1)]
    [InlineData("VALID", 2)]
    public void Conv_with_auto_pad(string autoPad, int stride)
    {
        var b = new OnnxBuilder(3, 1, 2, 9, 10);
        string x = b.Node("Conv", ["x", b.Weight([3, 2, 4, 4]), b.Weight([3])], ("auto_pad", autoPad), ("strides", new[] { stride, stride }), ("kernel_shape", new[] { 4, 4 }));
        ImportRunner.AssertMatches(b.Build(Head(b, x)));
    }

    [Fact]
    public void Depthwise_and_dilated_convolutions()
    {
        var b = new OnnxBuilder(4, 1, 6, 11, 11);
        string x = b.Node("Conv", ["x", b.Weight([6, 1, 3, 3]), b.Weight([6])], ("group", 6), ("pads", new[] { 1, 1, 1, 1 }));
        x = b.Node("Clip", [x, b.Scalar(0), b.Scalar(6)]);
        x = b.Node("Conv", [x, b.Weight([4, 3, 3, 3])], ("group", 2), ("dilations", new[] { 2, 2 }));
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(Head(b, x)));
        Assert.Contains("Groups = 6, Activation = Activation.Relu6", imported.Source);
        Assert.Contains("Dilation = 2, Groups = 2", imported.Source);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BatchNormalization_folded_or_kept(bool keep)
    {
        var b = new OnnxBuilder(5, 1, 3, 8, 8);
        string x = b.Node("Conv", ["x", b.Weight([5, 3, 3, 3]), b.Weight([5])], ("pads", new[] { 1, 1, 1, 1 }));
        x = b.Node("BatchNormalization", [x, b.Weight([5]), b.Weight([5]), b.Weight([5]), b.Weight([5], low: 0.5f)], ("epsilon", 1e-3f));
        x = b.Node("Relu", [x]);
        // A batch norm after a pool has no convolution to fold into: it is kept either way.
        x = b.Node("AveragePool", [x], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));
        x = b.Node("BatchNormalization", [x, b.Weight([5]), b.Weight([5]), b.Weight([5]), b.Weight([5], low: 0.5f)]);
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(Head(b, x)), new OnnxImportOptions("Imported") { KeepBatchNorm = keep });
        Assert.Equal(keep ? 2 : 1, imported.Source.Split('\n').Count(l => l.TrimStart().StartsWith("[BatchNorm2D", StringComparison.Ordinal)));
        Assert.Equal(keep, imported.Weights.Keys.Count(k => k.EndsWith(".running_var", StringComparison.Ordinal)) == 2);
    }

    [Fact]
    public void Opset_7_with_initializers_listed_as_inputs_and_spatial_batch_norm()
    {
        var b = new OnnxBuilder(6, 1, 2, 7, 7) { Opset = 7, IrVersion = 3 };
        string x = b.Node("Conv", ["x", b.Weight([4, 2, 3, 3])]);
        x = b.Node("BatchNormalization", [x, b.Weight([4]), b.Weight([4]), b.Weight([4]), b.Weight([4], low: 0.5f)], ("spatial", 1), ("epsilon", 1e-5f), ("momentum", 0.9f));
        x = b.Node("Relu", [x]);
        x = b.Node("GlobalMaxPool", [x]);
        x = b.Node("Flatten", [x]);
        x = b.Node("Gemm", [x, b.Weight([4, 3]), b.Weight([3])], ("alpha", 0.5f), ("beta", 2f));
        ImportRunner.AssertMatches(b.Build(x));
    }

    [Fact]
    public void Gemm_without_transposed_weights_and_a_row_bias()
    {
        var b = new OnnxBuilder(7, 1, 12);
        string x = b.Node("Gemm", ["x", b.Weight([12, 7]), b.Weight([1, 7])], ("alpha", 1.5f));
        x = b.Node("Sigmoid", [x]);
        ImportRunner.AssertMatches(b.Build(x), batch: 1);
    }

    [Fact]
    public void MatMul_with_add_is_a_dense_layer_with_a_bias()
    {
        var b = new OnnxBuilder(8, 0, 10);
        string x = b.Node("MatMul", ["x", b.Weight([10, 6])]);
        x = b.Node("Add", [x, b.Weight([6])]);
        x = b.Node("Tanh", [x]);
        x = b.Node("MatMul", [x, b.Weight([6, 4])]);
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(x), batch: 2);
        Assert.Contains("[Dense(OutFeatures = 6, Activation = Activation.Tanh", imported.Source);
        Assert.Contains("[Dense(OutFeatures = 4, Bias = false", imported.Source);
    }

    [Fact]
    public void A_constant_added_per_channel_is_the_convolutions_bias()
    {
        var b = new OnnxBuilder(16, 1, 2, 5, 5);
        string x = b.Node("Conv", ["x", b.Weight([3, 2, 3, 3])]);
        x = b.Node("Add", [x, b.Weight([1, 3, 1, 1])]);
        x = b.Node("Relu", [x]);
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(Head(b, x)));
        Assert.DoesNotContain("[Add", imported.Source);
        Assert.Contains("Activation = Activation.Relu", imported.Source);
    }

    [Fact]
    public void Reshape_by_the_shape_chain_older_pytorch_exports_write()
    {
        var b = new OnnxBuilder(9, 1, 2, 6, 6) { Opset = 11 };
        string x = b.Node("Conv", ["x", b.Weight([3, 2, 3, 3]), b.Weight([3])]);
        x = b.Node("MaxPool", [x], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));
        string shape = b.Node("Shape", [x]);
        string batch = b.Node("Gather", [shape, b.ScalarInteger(0)], ("axis", 0));
        string n = b.Node("Unsqueeze", [batch], ("axes", new[] { 0 }));
        string target = b.Node("Concat", [n, b.Integers(-1)], ("axis", 0));
        x = b.Node("Reshape", [x, target]);
        x = b.Node("Gemm", [x, b.Weight([5, 12]), b.Weight([5])], ("transB", 1));
        ImportRunner.AssertMatches(b.Build(x));
    }

    [Fact]
    public void Reshape_to_a_constant_shape_and_dropout_and_identity_dropped()
    {
        var b = new OnnxBuilder(10, 1, 3, 4, 4);
        string x = b.Node("Conv", ["x", b.Weight([2, 3, 1, 1]), b.Weight([2])]);
        x = b.Node("Identity", [x]);
        x = b.Node("Reshape", [x, b.Integers(1, -1)]);
        x = b.Node("Dropout", [x]);
        x = b.Node("Gemm", [x, b.Weight([3, 32])], ("transB", 1));
        ImportRunner.AssertMatches(b.Build(x));
    }

    [Theory]
    [InlineData("LeakyRelu")]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("HardSigmoid")]
    [InlineData("HardSwish")]
    [InlineData("Silu")]
    [InlineData("Clip9")]
    public void Activations_fused_into_the_layer_before(string activation)
    {
        var b = new OnnxBuilder(11, 1, 3, 5, 5) { Opset = activation == "Clip9" ? 9 : 14 };
        string conv = b.Node("Conv", ["x", b.Weight([4, 3, 3, 3]), b.Weight([4])], ("pads", new[] { 1, 1, 1, 1 }));
        string x = activation switch
        {
            "LeakyRelu" => b.Node("LeakyRelu", [conv], ("alpha", 0.2f)),
            "HardSigmoid" => b.Node("HardSigmoid", [conv], ("alpha", 1f / 6), ("beta", 0.5f)),
            "Silu" => b.Node("Mul", [conv, b.Node("Sigmoid", [conv])]),
            "Clip9" => b.Node("Clip", [conv], ("min", 0f), ("max", 6f)),
            _ => b.Node(activation, [conv]),
        };
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(Head(b, x)));
        string expected = activation switch { "Clip9" => "Relu6", _ => activation };
        Assert.Contains($"Activation = Activation.{expected}", imported.Source);
        Assert.Equal(activation == "LeakyRelu", imported.Source.Contains("LeakyReluSlope = 0.2f", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("MaxPool", 3, 2, new[] { 1, 1, 0, 0 }, 0, 0, 1)]
    [InlineData("MaxPool", 3, 2, new[] { 0, 0, 0, 0 }, 1, 0, 1)]
    [InlineData("MaxPool", 2, 1, new[] { 0, 0, 0, 0 }, 0, 0, 2)]
    [InlineData("AveragePool", 3, 2, new[] { 1, 1, 1, 1 }, 0, 0, 1)]
    [InlineData("AveragePool", 3, 2, new[] { 1, 1, 1, 1 }, 0, 1, 1)]
    [InlineData("AveragePool", 3, 2, new[] { 1, 0, 1, 0 }, 1, 1, 1)]
    public void Pools(string op, int kernel, int stride, int[] pads, int ceil, int includePad, int dilation)
    {
        var b = new OnnxBuilder(12, 1, 2, 10, 9) { Opset = 12 };
        var attributes = new List<(string, object)> { ("kernel_shape", new[] { kernel, kernel }), ("strides", new[] { stride, stride }), ("pads", pads), ("ceil_mode", ceil) };
        if (op == "AveragePool")
        {
            attributes.Add(("count_include_pad", includePad));
        }
        else if (dilation != 1)
        {
            attributes.Add(("dilations", new[] { dilation, dilation }));
        }

        string x = b.Node(op, [b.Node("Conv", ["x", b.Weight([3, 2, 1, 1])])], [.. attributes]);
        ImportRunner.AssertMatches(b.Build(Head(b, x)));
    }

    [Fact]
    public void An_average_pool_over_the_whole_plane_is_a_global_one()
    {
        var b = new OnnxBuilder(13, 1, 4, 7, 7);
        string x = b.Node("AveragePool", [b.Node("Conv", ["x", b.Weight([3, 4, 1, 1])])], ("kernel_shape", new[] { 7, 7 }), ("strides", new[] { 1, 1 }));
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(b.Node("Flatten", [x])));
        Assert.Contains("[GlobalAvgPool2D]", imported.Source);
    }

    [Fact]
    public void Residual_add_with_relu_sum_and_concat()
    {
        var b = new OnnxBuilder(14, 1, 4, 6, 6);
        string stem = b.Node("Conv", ["x", b.Weight([4, 4, 3, 3]), b.Weight([4])], ("pads", new[] { 1, 1, 1, 1 }));
        string branch = b.Node("Conv", [stem, b.Weight([4, 4, 1, 1])]);
        string sum = b.Node("Relu", [b.Node("Add", [branch, stem])]);
        string three = b.Node("Sum", [sum, stem, "x"]);
        string joined = b.Node("Concat", [three, branch], ("axis", 1));
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(Head(b, joined)));
        Assert.Contains("Activation = Activation.Relu", imported.Source);
        Assert.Contains("NetworkAttribute.Input", imported.Source);
        Assert.Contains("[Concat(nameof(", imported.Source);
    }

    [Fact]
    public void Weights_from_constant_nodes_and_a_final_softmax()
    {
        var b = new OnnxBuilder(15, 1, 5);
        var weights = new Protos.TensorProto { Name = "c", DataType = 1, Dims = { 3, 5 } };
        weights.FloatData.AddRange(Enumerable.Range(0, 15).Select(i => (i % 7) - 3f));
        string w = b.Node("Constant", [], ("value", weights));
        string x = b.Node("Gemm", ["x", w], ("transB", 1));
        x = b.Node("Softmax", [x], ("axis", 1));
        OnnxImport imported = ImportRunner.AssertMatches(b.Build(x));
        Assert.True(imported.Softmax);
        Assert.Contains("public void Probabilities(", imported.Source);
    }
}
