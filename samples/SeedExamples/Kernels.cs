using KernelGen;

/// <summary>The layers of the walkthrough, written by KernelGen at compile time.</summary>
internal static partial class Kernels
{
    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3, Padding = 1)]
    public static partial void PlusPadded(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 2, FlipKernel = true)]
    public static partial void Flipped(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    // Seed 002's Keras layers on a 3x3 image: Conv2D(1, (3, 3), padding='same', activation='relu'), then
    // MaxPooling2D((2, 2), padding='same'), whose odd extra row and column of padding go after.
    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3, SamePadding = true, Activation = Activation.Relu)]
    public static partial void KerasConv(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [MaxPool2D(Channels = 1, Height = 3, Width = 3, Kernel = 2, SamePadding = true)]
    public static partial void KerasPool(ReadOnlySpan<float> input, Span<float> output);

    // The classic MNIST model: Conv 32 3x3 ReLU -> MaxPool 2 -> Flatten -> Dense 128 ReLU -> Dense 10.
    [Conv2D(InChannels = 1, Height = 28, Width = 28, OutChannels = 32, Kernel = 3, Activation = Activation.Relu)]
    public static partial void Conv1(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [MaxPool2D(Channels = 32, Height = 26, Width = 26, Kernel = 2)]
    public static partial void Pool1(ReadOnlySpan<float> input, Span<float> output);

    [Dense(InFeatures = 5408, OutFeatures = 128, Activation = Activation.Relu)]
    public static partial void Fc1(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Dense(InFeatures = 128, OutFeatures = 10)]
    public static partial void Logits(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);
}
