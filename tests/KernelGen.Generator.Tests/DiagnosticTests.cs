extern alias generator;

using System.Globalization;
using generator::KernelGen.Generator;
using generator::KernelGen.Generator.Parsing;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>One test per diagnostic: its ID, where it points and what it says. None of them leaves a kernel behind.</summary>
public class DiagnosticTests
{
    private const string Weighted = "ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output";

    private static string Layers(string members, string type = "public static partial class Layers") => $$"""
        using System;
        using KernelGen;

        namespace Samples;

        {{type}}
        {
            {{members}}
        }
        """;

    /// <summary>Runs the generator and checks it reports exactly one diagnostic, with this ID, on this text, with this message.</summary>
    private static void AssertSingle(string source, string id, string locatedText, string message)
    {
        (GeneratorDriverRunResult result, Compilation output) = Harness.Run(source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(locatedText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Equal(message, diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal($"https://github.com/kernelgen/kernelgen/blob/main/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void KGEN001_method_must_be_static_partial_void() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3)] public partial void Conv({Weighted});", "public partial class Layers"),
        "KGEN001", "Conv", "'Conv' must be declared 'static partial void' without a body, so that KernelGen can write its body: it is not static");

    [Fact]
    public void KGEN002_parameters_must_match_the_layer() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 4, Width = 4, Kernel = 2)] static partial void Pool(float[] input, Span<float> output);"),
        "KGEN002", "Pool", "'Pool' must take (ReadOnlySpan<float> input, Span<float> output[, int batch])");

    [Fact]
    public void KGEN003_required_property_missing() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, Kernel = 3)] static partial void Conv({Weighted});"),
        "KGEN003", "Conv2D(InChannels = 1, Height = 5, Width = 5, Kernel = 3)", "[Conv2D] needs OutChannels: add it to the attribute");

    [Fact]
    public void KGEN004_size_must_be_positive() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, Stride = 0)] static partial void Conv({Weighted});"),
        "KGEN004", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, Stride = 0)", "[Conv2D] Stride = 0: it must be positive.");

    [Fact]
    public void KGEN004_winograd_needs_a_3x3_stride_1_kernel() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 9, Width = 9, OutChannels = 2, Kernel = 3, Stride = 2, Algorithm = ConvAlgorithm.Winograd)] static partial void Conv({Weighted});"),
        "KGEN004", "Conv2D(InChannels = 1, Height = 9, Width = 9, OutChannels = 2, Kernel = 3, Stride = 2, Algorithm = ConvAlgorithm.Winograd)",
        "[Conv2D] Algorithm = ConvAlgorithm.Winograd needs a 3×3 kernel, stride 1, dilation 1 and one group: the stride is 2×2. Use Auto or Direct.");

    [Fact]
    public void KGEN004_winograd_2x2_needs_a_3x3_kernel() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 9, Width = 9, OutChannels = 2, Kernel = 5, Algorithm = ConvAlgorithm.Winograd2x2)] static partial void Conv({Weighted});"),
        "KGEN004", "Conv2D(InChannels = 1, Height = 9, Width = 9, OutChannels = 2, Kernel = 5, Algorithm = ConvAlgorithm.Winograd2x2)",
        "[Conv2D] Algorithm = ConvAlgorithm.Winograd2x2 needs a 3×3 kernel, stride 1, dilation 1 and one group: the kernel is 5×5. Use Auto or Direct.");

    [Fact]
    public void KGEN004_packed_direct_needs_one_group() => AssertSingle(
        Layers($"[Conv2D(InChannels = 4, Height = 9, Width = 9, OutChannels = 4, Kernel = 3, Groups = 2, Algorithm = ConvAlgorithm.PackedDirect)] static partial void Conv({Weighted});"),
        "KGEN004", "Conv2D(InChannels = 4, Height = 9, Width = 9, OutChannels = 4, Kernel = 3, Groups = 2, Algorithm = ConvAlgorithm.PackedDirect)",
        "[Conv2D] Algorithm = ConvAlgorithm.PackedDirect needs one group: this layer has 2. Use Auto or Direct.");

    [Fact]
    public void KGEN004_a_stand_alone_kernel_reads_no_other_layer() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, Input = \"Conv0\")] static partial void Conv({Weighted});"),
        "KGEN004", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, Input = \"Conv0\")",
        "[Conv2D] Input names the layer that a [Network] layer reads; a stand-alone kernel reads its input span. Remove Input.");

    [Theory]
    [InlineData("Name = \"conv1\"", "[Conv2D] Name prefixes a [Network] layer's parameter names; a stand-alone kernel has no parameters of its own. Remove Name.")]
    [InlineData("Bias = false", "[Conv2D] Bias is for a [Network] layer; a stand-alone kernel has a bias when its method takes a bias span. Remove Bias.")]
    public void KGEN004_network_only_properties_on_a_stand_alone_kernel(string property, string message) => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, {property})] static partial void Conv({Weighted});"),
        "KGEN004", $"Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, {property})", message);

    [Fact]
    public void KGEN004_a_concat_on_a_local_function() => AssertSingle(
        Layers("static void Outer() { [Concat(\"Other\")] static void Join() { } Join(); }"),
        "KGEN004", "Concat(\"Other\")",
        "[Concat] joins the layers of a [Network] along channels, so 'Join' must be a layer method of a [Network] class, not a local function.");

    [Fact]
    public void KGEN004_a_concat_outside_a_network() => AssertSingle(
        Layers("[Concat(\"Other\")] static partial void Join(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN004", "Concat(\"Other\")",
        "[Concat] joins the layers of a [Network] along channels, so 'Join' must be a layer method of a [Network] class.");

    [Fact]
    public void KGEN004_activation_must_be_defined() => AssertSingle(
        Layers($"[Dense(InFeatures = 4, OutFeatures = 2, Activation = (Activation)10)] static partial void Fc({Weighted});"),
        "KGEN004", "Dense(InFeatures = 4, OutFeatures = 2, Activation = (Activation)10)",
        "[Dense] Activation = 10 is not a defined Activation: use None, Relu, Sigmoid, Tanh, LeakyRelu, Relu6, HardSigmoid, HardSwish, Silu or Gelu.");

    [Fact]
    public void KGEN007_a_slope_without_LeakyRelu() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, Activation = Activation.Relu, LeakyReluSlope = 0.2f)] static partial void Conv({Weighted});"),
        "KGEN007", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 2, Kernel = 3, Activation = Activation.Relu, LeakyReluSlope = 0.2f)",
        "[Conv2D] sets both LeakyReluSlope and Activation = Relu (the slope is LeakyRelu's): keep one");

    [Fact]
    public void KGEN007_a_slope_without_any_activation() => AssertSingle(
        Layers($"[Add(Channels = 2, Height = 3, Width = 3, LeakyReluSlope = 0.2f)] static partial void Sum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output);"),
        "KGEN007", "Add(Channels = 2, Height = 3, Width = 3, LeakyReluSlope = 0.2f)",
        "[Add] sets both LeakyReluSlope and Activation = None (the slope is LeakyRelu's): keep one");

    [Theory]
    [InlineData("float.NaN", "NaN")]
    [InlineData("float.PositiveInfinity", "Infinity")]
    [InlineData("float.NegativeInfinity", "-Infinity")]
    public void KGEN004_a_slope_must_be_finite(string value, string shown) => AssertSingle(
        Layers($"[Dense(InFeatures = 4, OutFeatures = 2, Activation = Activation.LeakyRelu, LeakyReluSlope = {value})] static partial void Fc({Weighted});"),
        "KGEN004", $"Dense(InFeatures = 4, OutFeatures = 2, Activation = Activation.LeakyRelu, LeakyReluSlope = {value})",
        $"[Dense] LeakyReluSlope = {shown}: it must be a finite number (PyTorch's and ONNX's default is 0.01).");

    [Fact]
    public void KGEN005_kernel_larger_than_padded_input() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 5)] static partial void Conv({Weighted});"),
        "KGEN005", "Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 5)",
        "[Conv2D] The kernel spans 5 rows (height 5, dilation 1) but the padded input has only 3. Use a smaller kernel or dilation, or more padding.");

    [Fact]
    public void KGEN006_channels_not_divisible_by_groups() => AssertSingle(
        Layers($"[Conv2D(InChannels = 3, Height = 5, Width = 5, OutChannels = 4, Kernel = 3, Groups = 2)] static partial void Conv({Weighted});"),
        "KGEN006", "Conv2D(InChannels = 3, Height = 5, Width = 5, OutChannels = 4, Kernel = 3, Groups = 2)",
        "[Conv2D] InChannels (3) and OutChannels (4) must both be divisible by Groups (2). Use a Groups value that divides both.");

    [Fact]
    public void KGEN007_kernel_and_kernel_height_conflict() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, KernelHeight = 2)] static partial void Conv({Weighted});"),
        "KGEN007", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, KernelHeight = 2)", "[Conv2D] sets both Kernel and KernelHeight: keep one");

    [Fact]
    public void KGEN007_same_padding_and_padding_conflict() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, SamePadding = true, Padding = 1)] static partial void Conv({Weighted});"),
        "KGEN007", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, SamePadding = true, Padding = 1)", "[Conv2D] sets both SamePadding and Padding: keep one");

    [Fact]
    public void KGEN007_same_padding_and_a_side_conflict() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, SamePadding = true, PaddingTop = 1)] static partial void Conv({Weighted});"),
        "KGEN007", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, SamePadding = true, PaddingTop = 1)", "[Conv2D] sets both SamePadding and PaddingTop: keep one");

    [Fact]
    public void KGEN007_a_pool_with_same_padding_and_a_side() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 2, SamePadding = true, PaddingLeft = 1)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN007", "MaxPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 2, SamePadding = true, PaddingLeft = 1)", "[MaxPool2D] sets both SamePadding and PaddingLeft: keep one");

    [Fact]
    public void KGEN007_same_padding_and_ceil_mode() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 2, SamePadding = true, CeilMode = true)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN007", "MaxPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 2, SamePadding = true, CeilMode = true)", "[MaxPool2D] sets both SamePadding and CeilMode: keep one");

    [Fact]
    public void KGEN010_one_side_of_a_pool_padded_so_a_window_covers_padding_only() => AssertSingle(
        Layers("[AvgPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 3, Stride = 1, PaddingBottom = 3)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN010", "AvgPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 3, Stride = 1, PaddingBottom = 3)",
        "[AvgPool2D] Output row 5's window (rows 5 to 7) covers only the padding below (3) of an input of 5 rows, and a window must cover at least one input element. Reduce PaddingBottom.");

    /// <summary>As wide a padding as the window is fine when the stride keeps every window on the input (ONNX allows any padding).</summary>
    [Fact]
    public void A_pool_padded_as_wide_as_its_window_is_fine_when_every_window_covers_input() =>
        Assert.Empty(Harness.Diagnostics(Layers("[AvgPool2D(Channels = 1, Height = 5, Width = 5, Kernel = 3, PaddingBottom = 3)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);")));

    [Fact]
    public void KGEN010_a_dilated_window_that_skips_the_input() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 1, Width = 4, KernelHeight = 2, KernelWidth = 1, DilationHeight = 3, PaddingTop = 1, PaddingBottom = 2, Stride = 1)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN010", "MaxPool2D(Channels = 1, Height = 1, Width = 4, KernelHeight = 2, KernelWidth = 1, DilationHeight = 3, PaddingTop = 1, PaddingBottom = 2, Stride = 1)",
        "[MaxPool2D] Output row 0's window (rows -1 to 2, every 3) covers only the padding above (1) of an input of 1 rows, and a window must cover at least one input element. Reduce PaddingTop.");

    [Theory]
    [InlineData("Dilation = 2")]
    [InlineData("DilationWidth = 2")]
    public void KGEN004_an_average_pool_has_no_dilation(string dilation) => AssertSingle(
        Layers($"[AvgPool2D(Channels = 1, Height = 6, Width = 6, Kernel = 2, {dilation})] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN004", $"AvgPool2D(Channels = 1, Height = 6, Width = 6, Kernel = 2, {dilation})",
        $"[AvgPool2D] {dilation.Split(' ')[0]}: an average pool has no dilation (PyTorch's AvgPool2d has none); only [MaxPool2D] spaces its window's taps. Remove {dilation.Split(' ')[0]}.");

    [Fact]
    public void KGEN004_a_side_padding_must_not_be_negative() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, Padding = 1, PaddingRight = -1)] static partial void Conv({Weighted});"),
        "KGEN004", "Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3, Padding = 1, PaddingRight = -1)",
        "[Conv2D] PaddingRight = -1: it must be zero or positive.");

    [Fact]
    public void KGEN005_a_kernel_larger_than_the_input_with_its_side_padding() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 5, PaddingTop = 1, PaddingLeft = 2, PaddingRight = 2)] static partial void Conv({Weighted});"),
        "KGEN005", "Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 5, PaddingTop = 1, PaddingLeft = 2, PaddingRight = 2)",
        "[Conv2D] The kernel spans 5 rows (height 5, dilation 1) but the padded input has only 4. Use a smaller kernel or dilation, or more padding.");

    [Fact]
    public void KGEN004_a_stand_alone_add_names_no_layers() => AssertSingle(
        Layers("[Add(\"Conv1\", Channels = 2, Height = 3, Width = 3)] static partial void Sum(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output);"),
        "KGEN004", "Add(\"Conv1\", Channels = 2, Height = 3, Width = 3)",
        "[Add] names layers (Conv1), which only an [Add] inside a [Network] can: a stand-alone [Add] adds the method's two input spans. Remove them.");

    private const string Normalization = "ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output";

    [Fact]
    public void KGEN004_a_negative_epsilon() => AssertSingle(
        Layers($"[BatchNorm2D(Channels = 2, Height = 3, Width = 3, Epsilon = -1e-5f)] static partial void Norm({Normalization});"),
        "KGEN004", "BatchNorm2D(Channels = 2, Height = 3, Width = 3, Epsilon = -1e-5f)",
        "[BatchNorm2D] Epsilon = -1E-05: it must be positive and finite (PyTorch's and ONNX's default is 1e-5).");

    [Fact]
    public void KGEN004_a_momentum_above_one() => AssertSingle(
        Layers($"[BatchNorm2D(Channels = 2, Height = 3, Width = 3, Momentum = 1.5f)] static partial void Norm({Normalization});"),
        "KGEN004", "BatchNorm2D(Channels = 2, Height = 3, Width = 3, Momentum = 1.5f)",
        "[BatchNorm2D] Momentum = 1.5: it must be from 0 to 1, PyTorch's convention (the default is 0.1; ONNX's momentum is 1 minus it).");

    [Fact]
    public void KGEN002_batch_norm_takes_the_four_statistics() => AssertSingle(
        Layers("[BatchNorm2D(Channels = 2, Height = 3, Width = 3)] static partial void Norm(ReadOnlySpan<float> input, ReadOnlySpan<float> scale, Span<float> output);"),
        "KGEN002", "Norm",
        "'Norm' must take (ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output[, int batch])");

    [Fact]
    public void KGEN002_add_takes_two_inputs_and_an_output() => AssertSingle(
        Layers("[Add(Channels = 2, Height = 3, Width = 3)] static partial void Sum(ReadOnlySpan<float> a, Span<float> output);"),
        "KGEN002", "Sum",
        "'Sum' must take (ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output[, int batch])");

    [Fact]
    public void KGEN008_shape_too_large_to_generate_states_the_limit() => AssertSingle(
        Layers($"[Conv2D(InChannels = 1, Height = 3, Width = 100000, OutChannels = 1, Kernel = 3)] static partial void Conv({Weighted});"),
        "KGEN008", "Conv2D(InChannels = 1, Height = 3, Width = 100000, OutChannels = 1, Kernel = 3)",
        "[Conv2D] One input channel's band needs 300006 floats (kernel height 3 × stride 1 × row 100002); KernelGen keeps it on the stack and allows at most 16384. Reduce the width, kernel height or stride.");

    [Fact]
    public void KGEN008_shape_too_large_for_a_span() => AssertSingle(
        Layers($"[Dense(InFeatures = 100000, OutFeatures = 100000)] static partial void Fc({Weighted});"),
        "KGEN008", "Dense(InFeatures = 100000, OutFeatures = 100000)",
        "[Dense] The weight matrix would hold 10000000000 elements, more than a span can (2147483647).");

    [Fact]
    public void KGEN009_containing_type_must_be_partial() => AssertSingle(
        Layers("public static class Outer { [GlobalAvgPool2D(Channels = 2, Height = 3, Width = 3)] static partial void Gap(ReadOnlySpan<float> input, Span<float> output); }", "public static partial class Layers"),
        "KGEN009", "Gap", "'Gap' must be in partial, non-generic types: 'Outer' is not partial");

    [Fact]
    public void KGEN010_a_first_window_in_the_padding() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 6, Width = 6, Kernel = 2, Padding = 2)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN010", "MaxPool2D(Channels = 1, Height = 6, Width = 6, Kernel = 2, Padding = 2)",
        "[MaxPool2D] Output row 0's window (rows -2 to -1) covers only the padding above (2) of an input of 6 rows, and a window must cover at least one input element. Reduce PaddingTop.");

    [Fact]
    public void KGEN011_an_exception_in_the_generator_becomes_a_diagnostic_with_its_message()
    {
        Location location = Location.Create("Kernels.cs", new Microsoft.CodeAnalysis.Text.TextSpan(10, 4), new Microsoft.CodeAnalysis.Text.LinePositionSpan(new(1, 2), new(1, 6)));
        ParseResult<object> result = KernelGenerator.Guarded<object>(() => throw new InvalidOperationException("boom"), "Conv", location);
        Assert.Null(result.Spec);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics).ToDiagnostic();
        Assert.Equal("KGEN011", diagnostic.Id);
        Assert.Equal(location.GetLineSpan(), diagnostic.Location.GetLineSpan());
        Assert.Equal("KernelGen could not generate 'Conv': InvalidOperationException: boom. Please report this, with the attribute and signature.", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void KGEN012_a_method_implements_one_layer() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 4, Width = 4, Kernel = 2)] [AvgPool2D(Channels = 1, Height = 4, Width = 4, Kernel = 2)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN012", "Pool", "'Pool' carries both [MaxPool2D] and [AvgPool2D]: a method implements one layer");

    [Fact]
    public void KGEN001_on_a_local_function() => AssertSingle(
        Layers("static void Outer() { [GlobalAvgPool2D(Channels = 2, Height = 3, Width = 3)] static void Gap(ReadOnlySpan<float> input, Span<float> output) { } }"),
        "KGEN001", "Gap", "'Gap' must be declared 'static partial void' without a body, so that KernelGen can write its body: it is a local function");

    [Fact]
    public void KGEN003_a_missing_kernel_is_reported_once() => AssertSingle(
        Layers("[MaxPool2D(Channels = 1, Height = 4, Width = 4)] static partial void Pool(ReadOnlySpan<float> input, Span<float> output);"),
        "KGEN003", "MaxPool2D(Channels = 1, Height = 4, Width = 4)", "[MaxPool2D] needs Kernel (or both KernelHeight and KernelWidth): add it to the attribute");

    [Fact]
    public void KGEN009_names_the_generic_type()
    {
        Diagnostic diagnostic = Assert.Single(Harness.Diagnostics(Layers(
            "public partial class Outer<T> { public static partial class Inner { [GlobalAvgPool2D(Channels = 2, Height = 3, Width = 3)] static partial void Gap(ReadOnlySpan<float> input, Span<float> output); } }")));
        Assert.Equal("'Gap' must be in partial, non-generic types: 'Outer' is generic", diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void An_argument_the_compiler_rejects_gets_no_second_diagnostic() =>
        Assert.Empty(Harness.Diagnostics(Layers($"[Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = Missing, Kernel = 3)] static partial void Conv({Weighted});")));

    [Theory]
    [InlineData("this ReadOnlySpan<float> input, Span<float> output")]
    [InlineData("scoped ReadOnlySpan<float> input, Span<float> output")]
    [InlineData("ReadOnlySpan<float> input, ref Span<float> output")]
    public void KGEN002_parameters_the_generated_body_could_not_repeat(string parameters) => AssertSingle(
        Layers($"[MaxPool2D(Channels = 1, Height = 4, Width = 4, Kernel = 2)] static partial void Pool({parameters});"),
        "KGEN002", "Pool", "'Pool' must take (ReadOnlySpan<float> input, Span<float> output[, int batch])");

    [Fact]
    public void KGEN009_a_file_local_type_cannot_hold_a_kernel() => AssertSingle(
        Layers("[GlobalAvgPool2D(Channels = 2, Height = 3, Width = 3)] static partial void Gap(ReadOnlySpan<float> input, Span<float> output);", "file static partial class Layers"),
        "KGEN009", "Gap", "'Gap' must be in partial, non-generic types: 'Layers' is file-local, and the generated part is in another file");

    [Fact]
    public void A_value_that_is_not_an_int_gets_the_compiler_error_only() =>
        Assert.Empty(Harness.Diagnostics(Layers($"[Dense(InFeatures = 1.5, OutFeatures = 2)] static partial void Fc({Weighted});")));

    [Fact]
    public void Every_descriptor_is_tracked_in_the_release_file_and_documented()
    {
        string root = Path.GetFullPath(Path.Combine(Snapshot.ProjectDirectory, "..", ".."));
        string releases = File.ReadAllText(Path.Combine(root, "generator", "KernelGen.Generator", "AnalyzerReleases.Unshipped.md"));
        string[] ids = [.. typeof(KernelGenerator).Assembly.GetType("KernelGen.Generator.Diagnostics.Descriptors")!
            .GetFields().Select(f => f.GetValue(null)).OfType<DiagnosticDescriptor>().Select(d => d.Id)];
        Assert.Equal(16, ids.Length);
        Assert.All(ids, id =>
        {
            Assert.Contains($"{id} | KernelGen | Error", releases, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(root, "docs", "diagnostics", $"{id}.md")), $"docs/diagnostics/{id}.md is missing");
        });
    }
}
