namespace KernelGen.Generator.Tests;

/// <summary>
/// The generated source for representative layers, pinned as snapshots. Each snapshot's source is also
/// compiled with every warning an error (see <see cref="Harness.CompileAndLoad"/>).
/// </summary>
public class SnapshotTests
{
    private static void VerifyKernel(string attribute, string signature, string method, string? file = null, [System.Runtime.CompilerServices.CallerMemberName] string test = "")
    {
        string source = $$"""
            using System;
            using KernelGen;

            namespace Samples;

            public static partial class Layers
            {
                {{attribute}}
                public static partial void {{method}}({{signature}});
            }
            """;
        Harness.CompileAndLoad(source);
        (var result, _) = Harness.Run(source);
        Snapshot.Verify(Harness.Generated(result, file ?? $"Samples.Layers.{method}.g.cs"), nameof(SnapshotTests), test);
    }

    private const string Weighted = "ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output";
    private const string Pool = "ReadOnlySpan<float> input, Span<float> output";

    [Fact]
    public void Seed_3x3_with_padding() =>
        VerifyKernel("[Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3, Padding = 1)]", Weighted, "Seed");

    [Fact]
    public void Mnist_conv1_relu_batched() =>
        VerifyKernel("[Conv2D(InChannels = 1, Height = 28, Width = 28, OutChannels = 32, Kernel = 3, Activation = Activation.Relu)]", Weighted + ", int batch", "Conv1");

    /// <summary>The register tiles <see cref="Mnist_conv1_relu_batched"/> calls, as the assembly's shared file holds them.</summary>
    [Fact]
    public void Shared_tiles_of_mnist_conv1() =>
        VerifyKernel("[Conv2D(InChannels = 1, Height = 28, Width = 28, OutChannels = 32, Kernel = 3, Activation = Activation.Relu)]", Weighted + ", int batch", "Conv1", "KernelGen.DirectTiles.g.cs");

    [Fact]
    public void Depthwise_without_bias() =>
        VerifyKernel("[Conv2D(InChannels = 8, Height = 20, Width = 20, OutChannels = 8, Kernel = 3, Padding = 1, Groups = 8)]",
            "ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output", "Depthwise");

    [Fact]
    public void Strided_and_dilated() =>
        VerifyKernel("[Conv2D(InChannels = 2, Height = 17, Width = 17, OutChannels = 4, Kernel = 3, Stride = 2, Dilation = 2, Padding = 2, Activation = Activation.Tanh)]", Weighted, "Dilated");

    [Fact]
    public void Rectangular_kernel_flipped() =>
        VerifyKernel("[Conv2D(InChannels = 3, Height = 9, Width = 12, OutChannels = 5, KernelHeight = 2, KernelWidth = 4, FlipKernel = true, Activation = Activation.Sigmoid)]", Weighted, "Rectangular");

    [Fact]
    public void Depthwise_hard_swish() =>
        VerifyKernel("[Conv2D(InChannels = 6, Height = 14, Width = 14, OutChannels = 6, Kernel = 3, Padding = 1, Groups = 6, Activation = Activation.HardSwish)]",
            Weighted, "Expand");

    [Fact]
    public void Winograd_chosen_with_relu_and_a_partial_tile() =>
        VerifyKernel("[Conv2D(InChannels = 16, Height = 18, Width = 22, OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)]", Weighted, "Conv3x3");

    [Fact]
    public void Winograd_2x2_asked_for_with_chunked_weights() =>
        VerifyKernel("[Conv2D(InChannels = 24, Height = 9, Width = 11, OutChannels = 20, Kernel = 3, Padding = 1, Algorithm = ConvAlgorithm.Winograd2x2)]", Weighted, "Small");

    [Fact]
    public void Packed_direct_chosen_for_a_strided_convolution() =>
        VerifyKernel("[Conv2D(InChannels = 8, Height = 10, Width = 10, OutChannels = 40, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Relu)]", Weighted, "Strided");

    [Fact]
    public void Leaky_relu_with_a_slope() =>
        VerifyKernel("[Conv2D(InChannels = 2, Height = 8, Width = 8, OutChannels = 3, Kernel = 3, Activation = Activation.LeakyRelu, LeakyReluSlope = 0.2f)]", Weighted, "Leaky");

    [Fact]
    public void Max_pool_dilated() =>
        VerifyKernel("[MaxPool2D(Channels = 2, Height = 9, Width = 11, Kernel = 3, Stride = 2, Dilation = 2, Padding = 2)]", "ReadOnlySpan<float> input, Span<float> output", "Dilated");

    [Fact]
    public void Dense_gelu() =>
        VerifyKernel("[Dense(InFeatures = 20, OutFeatures = 6, Activation = Activation.Gelu)]", Weighted, "Fc");

    [Fact]
    public void Same_padding_stride_2() =>
        VerifyKernel("[Conv2D(InChannels = 3, Height = 10, Width = 10, OutChannels = 6, Kernel = 4, Stride = 2, SamePadding = true)]", Weighted, "Same");

    /// <summary>ONNX's <c>pads = [3, 3, 2, 2]</c> (top, left, bottom, right), as a pretrained ResNet's stem pads its 7×7 convolution.</summary>
    [Fact]
    public void Side_padding_as_onnx_states_it() =>
        VerifyKernel("[Conv2D(InChannels = 3, Height = 12, Width = 12, OutChannels = 4, Kernel = 7, Stride = 2, PaddingTop = 3, PaddingLeft = 3, PaddingBottom = 2, PaddingRight = 2)]", Weighted, "Stem");

    [Fact]
    public void Max_pool_3_stride_2_padding_1() =>
        VerifyKernel("[MaxPool2D(Channels = 4, Height = 15, Width = 15, Kernel = 3, Stride = 2, Padding = 1)]", Pool, "MaxPool");

    /// <summary>MNIST's 2×2 pool: the windows tile the input exactly, so one pass runs over the row pairs (13 outputs: steps of 8 at 0 and 5).</summary>
    [Fact]
    public void Max_pool_2_pairs() =>
        VerifyKernel("[MaxPool2D(Channels = 3, Height = 10, Width = 26, Kernel = 2)]", Pool + ", int batch", "Pool1");

    /// <summary>Keras's <c>MaxPooling2D((2, 2), padding='same')</c> on an odd plane: the extra column and row of padding after.</summary>
    [Fact]
    public void Max_pool_same_padding() =>
        VerifyKernel("[MaxPool2D(Channels = 2, Height = 9, Width = 11, Kernel = 2, SamePadding = true)]", Pool, "SamePool");

    /// <summary>PyTorch's <c>AvgPool2d(3, 2, padding=1, ceil_mode=True)</c> on 8×8: the last window reaches past the padding and is divided by its part within it.</summary>
    [Fact]
    public void Avg_pool_ceil_mode_counting_padding() =>
        VerifyKernel("[AvgPool2D(Channels = 2, Height = 8, Width = 8, Kernel = 3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = true)]", Pool, "CeilPool");

    [Fact]
    public void Avg_pool_excluding_padding() =>
        VerifyKernel("[AvgPool2D(Channels = 4, Height = 9, Width = 9, Kernel = 3, Stride = 2, Padding = 1)]", Pool + ", int batch", "AvgPool");

    [Fact]
    public void Global_avg_pool() =>
        VerifyKernel("[GlobalAvgPool2D(Channels = 16, Height = 7, Width = 7)]", Pool, "Gap");

    /// <summary>A residual connection's <c>relu(x + f(x))</c>.</summary>
    [Fact]
    public void Add_relu_batched() =>
        VerifyKernel("[Add(Channels = 4, Height = 5, Width = 7, Activation = Activation.Relu)]", "ReadOnlySpan<float> x, ReadOnlySpan<float> fx, Span<float> output, int batch", "Residual");

    [Fact]
    public void Batch_norm_relu() =>
        VerifyKernel("[BatchNorm2D(Channels = 3, Height = 6, Width = 10, Activation = Activation.Relu)]",
            "ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output, int batch", "Norm");

    [Fact]
    public void Global_max_pool() =>
        VerifyKernel("[GlobalMaxPool2D(Channels = 8, Height = 7, Width = 9)]", Pool + ", int batch", "Gmp");

    /// <summary>The network file of the README's MNIST model: parameters, buffers, passes, the batched dense and the backward kernels.</summary>
    [Fact]
    public void Mnist_network()
    {
        const string source = """
            using KernelGen;

            namespace Samples;

            [Network(InputChannels = 1, InputHeight = 28, InputWidth = 28)]
            public sealed partial class MnistCnn
            {
                [Conv2D(OutChannels = 32, Kernel = 3, Activation = Activation.Relu)] partial void Conv1();
                [MaxPool2D(Kernel = 2)] partial void Pool1();
                [Dense(OutFeatures = 128, Activation = Activation.Relu)] partial void Fc1();
                [Dense(OutFeatures = 10)] partial void Logits();
            }
            """;
        Harness.CompileAndLoad(source);
        (var result, _) = Harness.Run(source);
        Snapshot.Verify(Harness.Generated(result, "Samples.MnistCnn.Network.g.cs"), nameof(SnapshotTests), nameof(Mnist_network));
    }

    /// <summary>
    /// The network file of a small residual network: a block whose input is added back ([Add] with ReLU), a branch from the
    /// network's input joined along channels ([Concat]), gradients added where a tensor is read twice.
    /// </summary>
    [Fact]
    public void Residual_network()
    {
        const string source = """
            using KernelGen;

            namespace Samples;

            [Network(InputChannels = 3, InputHeight = 8, InputWidth = 8)]
            public sealed partial class Residual
            {
                [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Stem();
                [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false, Activation = Activation.Relu)] partial void Conv1();
                [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false)] partial void Conv2();
                [Add(nameof(Stem), Activation = Activation.Relu)] partial void Block();
                [Conv2D(OutChannels = 2, Kernel = 1, Input = NetworkAttribute.Input)] partial void Side();
                [Concat(nameof(Side), Input = nameof(Block))] partial void Join();
                [GlobalAvgPool2D] partial void Gap();
                [Dense(OutFeatures = 10, Name = "fc")] partial void Logits();
            }
            """;
        Harness.CompileAndLoad(source);
        (var result, _) = Harness.Run(source);
        Snapshot.Verify(Harness.Generated(result, "Samples.Residual.Network.g.cs"), nameof(SnapshotTests), nameof(Residual_network));
    }

    /// <summary>
    /// A residual block with batch norms as torchvision writes one: bias-free convolutions, each batch norm folded into its
    /// convolution for inference, training on the batch's statistics, a projection shortcut, running statistics moved.
    /// </summary>
    [Fact]
    public void Batch_norm_residual_network()
    {
        const string source = """
            using KernelGen;

            namespace Samples;

            [Network(InputChannels = 2, InputHeight = 6, InputWidth = 6, Initialization = KernelGen.Training.Initialization.He)]
            public sealed partial class ResBlock
            {
                [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false, Name = "layer1.0.conv1")] partial void Conv1();
                [BatchNorm2D(Activation = Activation.Relu, Name = "layer1.0.bn1")] partial void Bn1();
                [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false, Name = "layer1.0.conv2")] partial void Conv2();
                [BatchNorm2D(Name = "layer1.0.bn2")] partial void Bn2();
                [Conv2D(OutChannels = 4, Kernel = 1, Bias = false, Input = NetworkAttribute.Input, Name = "layer1.0.downsample.0")] partial void Shortcut();
                [BatchNorm2D(Name = "layer1.0.downsample.1")] partial void ShortcutBn();
                [Add(nameof(Bn2), Activation = Activation.Relu)] partial void Block();
                [GlobalAvgPool2D] partial void Gap();
                [Dense(OutFeatures = 3, Name = "fc")] partial void Fc();
            }
            """;
        Harness.CompileAndLoad(source);
        (var result, _) = Harness.Run(source);
        Snapshot.Verify(Harness.Generated(result, "Samples.ResBlock.Network.g.cs"), nameof(SnapshotTests), nameof(Batch_norm_residual_network));
    }

    [Fact]
    public void Dense_relu() =>
        VerifyKernel("[Dense(InFeatures = 37, OutFeatures = 10, Activation = Activation.Relu)]", Weighted + ", int batch", "Fc");
}
