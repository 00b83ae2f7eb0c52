namespace KernelGen.Bench;

/// <summary>Every shape of the benchmark suite (shared/bench/suite.md), declared as a user would.</summary>
public static partial class SuiteKernels
{
    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3, Padding = 1)]
    public static partial void Seed3x3(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 1, Height = 28, Width = 28, OutChannels = 32, Kernel = 3, Activation = Activation.Relu)]
    public static partial void MnistConv1(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    [Conv2D(InChannels = 6, Height = 14, Width = 14, OutChannels = 16, Kernel = 5)]
    public static partial void Lenet5Conv2(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 32, Height = 13, Width = 13, OutChannels = 64, Kernel = 3, Activation = Activation.Relu)]
    public static partial void MnistConv2(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 3, Height = 224, Width = 224, OutChannels = 64, Kernel = 7, Stride = 2, Padding = 3)]
    public static partial void ResnetStem(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 64, Height = 56, Width = 56, OutChannels = 64, Kernel = 3, Padding = 1)]
    public static partial void Resnet3x3x64(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 64, Height = 56, Width = 56, OutChannels = 128, Kernel = 3, Stride = 2, Padding = 1)]
    public static partial void Resnet3x3Stride2(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 256, Height = 14, Width = 14, OutChannels = 256, Kernel = 3, Padding = 1)]
    public static partial void Resnet3x3x256(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 256, Height = 14, Width = 14, OutChannels = 256, Kernel = 1)]
    public static partial void Pointwise256(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 32, Height = 112, Width = 112, OutChannels = 32, Kernel = 3, Padding = 1, Groups = 32)]
    public static partial void Depthwise32(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    /// <summary>Not in suite.md: MobileNetV3's expanded depthwise layer with its HardSwish fused (depthwise_hswish_96).</summary>
    [Conv2D(InChannels = 96, Height = 56, Width = 56, OutChannels = 96, Kernel = 3, Padding = 1, Groups = 96, Activation = Activation.HardSwish)]
    public static partial void DepthwiseHardSwish96(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [MaxPool2D(Channels = 32, Height = 26, Width = 26, Kernel = 2)]
    public static partial void MaxPool2(ReadOnlySpan<float> input, Span<float> output);

    [MaxPool2D(Channels = 64, Height = 112, Width = 112, Kernel = 3, Stride = 2, Padding = 1)]
    public static partial void MaxPool3s2(ReadOnlySpan<float> input, Span<float> output);

    [AvgPool2D(Channels = 64, Height = 56, Width = 56, Kernel = 2)]
    public static partial void AvgPool2(ReadOnlySpan<float> input, Span<float> output);

    [GlobalAvgPool2D(Channels = 512, Height = 7, Width = 7)]
    public static partial void Gap512(ReadOnlySpan<float> input, Span<float> output);

    [BatchNorm2D(Channels = 64, Height = 56, Width = 56)]
    public static partial void BatchNorm64(
        ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output);

    [Add(Channels = 64, Height = 56, Width = 56, Activation = Activation.Relu)]
    public static partial void AddRelu64(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, Span<float> output);

    [Dense(InFeatures = 5408, OutFeatures = 128, Activation = Activation.Relu)]
    public static partial void MnistFc1(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);
}
