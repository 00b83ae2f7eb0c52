namespace KernelGen.Generated.Tests;

/// <summary>
/// Seed 002's Keras layers, as samples/SeedExamples declares them: Conv2D(1, (3, 3), padding='same', activation='relu')
/// and MaxPooling2D((2, 2), padding='same') on a 3×3 image — worked out by hand below.
/// </summary>
public static partial class KerasSeedTests
{
    [Conv2D(InChannels = 1, Height = 3, Width = 3, OutChannels = 1, Kernel = 3, SamePadding = true, Activation = Activation.Relu)]
    private static partial void KerasConv(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [MaxPool2D(Channels = 1, Height = 3, Width = 3, Kernel = 2, SamePadding = true)]
    private static partial void KerasPool(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// The vertical edge [[1, 0, −1], …] over 1..9 with one row and column of zeros around it: column 0 is minus the
    /// sum of input column 1's rows in the window (−7, −15, −13), column 1 the left column minus the right (−4, −6, −4),
    /// column 2 the sums of input column 1 (7, 15, 13). ReLU keeps the last column. The 2×2 pool with Keras's 'same'
    /// padding adds one row and column after, which never win: [[max(0, 0, 0, 0), max(7, 15)], [max(0, 0), 13]].
    /// </summary>
    [Fact]
    public static void Same_convolution_then_same_max_pool_gives_the_hand_worked_values()
    {
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9], edge = [1, 0, -1, 1, 0, -1, 1, 0, -1];
        var convolved = new float[9];
        var pooled = new float[4];
        KerasConv(image, edge, [0], convolved);
        KerasPool(convolved, pooled);
        Assert.Equal([0f, 0, 7, 0, 0, 15, 0, 0, 13], convolved);
        Assert.Equal([0f, 15, 0, 13], pooled);

        var reference = new float[4];
        Reference.MaxPool2D<float>(Pool2DGeometry.Same(1, 3, 3, 2, 2, 2, 2), convolved, reference);
        Assert.Equal(pooled, reference);
    }
}
