using KernelGen;

namespace PackageConsumer;

/// <summary>Stand-alone layers: the whole shape in each attribute, the kernels written by the package's generator.</summary>
internal static partial class Layers
{
    // The worked examples: 3×3 and 5×5 inputs, one channel.
    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3)]
    public static partial void PlusValid(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3, Padding = 1)]
    public static partial void PlusPadded(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 2)]
    public static partial void TwoByTwo(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 2, FlipKernel = true)]
    public static partial void TwoByTwoFlipped(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [Conv2D(InChannels = 1, Height = 5, Width = 5, OutChannels = 1, Kernel = 3)]
    public static partial void Ring(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [Conv2D(InChannels = 1, Height = 2, Width = 2, OutChannels = 1, Kernel = 2)]
    public static partial void AntiDiagonal(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [MaxPool2D(Channels = 1, Height = 4, Width = 4, Kernel = 2)]
    public static partial void Pool4x4(ReadOnlySpan<float> input, Span<float> output);

    [Dense(InFeatures = 3, OutFeatures = 2, Activation = Activation.Relu)]
    public static partial void SmallDense(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    // Rows wide enough for the vector paths, a batch, and the three layer kinds one after the other.
    [Conv2D(InChannels = 3, Height = 10, Width = 20, OutChannels = 8, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    public static partial void WideConv(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    [MaxPool2D(Channels = 8, Height = 10, Width = 20, Kernel = 2)]
    public static partial void WidePool(ReadOnlySpan<float> input, Span<float> output, int batch);

    [Dense(InFeatures = 400, OutFeatures = 10)]
    public static partial void WideDense(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);
}
