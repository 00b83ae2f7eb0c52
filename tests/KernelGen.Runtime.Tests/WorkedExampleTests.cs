namespace KernelGen.Runtime.Tests;

/// <summary>
/// The worked examples of the introductions KernelGen grows from, with the correct values
/// (the introductions themselves print wrong numbers for all but the first).
/// </summary>
public class WorkedExampleTests
{
    private static readonly float[] OneToNine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    private static readonly float[] Plus = [0, 1, 0, 1, 1, 1, 0, 1, 0];

    [Fact]
    public void Plus_kernel_over_one_to_nine_without_padding_is_25() =>
        Assert.Equal([25f], Convolve(OneToNine, 3, Plus, 3));

    [Fact]
    public void Plus_kernel_over_one_to_nine_with_padding_1() =>
        Assert.Equal([7f, 11, 11, 17, 25, 23, 19, 29, 23], Convolve(OneToNine, 3, Plus, 3, padding: 1));

    [Fact]
    public void Two_by_two_kernel_over_one_to_nine_cross_correlates() =>
        Assert.Equal([37f, 47, 67, 77], Convolve(OneToNine, 3, [1, 2, 3, 4], 2));

    [Fact]
    public void Two_by_two_kernel_over_one_to_nine_flipped_is_the_textbook_convolution() =>
        Assert.Equal([23f, 33, 53, 63], Convolve(OneToNine, 3, [1, 2, 3, 4], 2, flip: true));

    [Fact]
    public void Ring_kernel_over_one_to_twenty_five() =>
        Assert.Equal(
            [28f, 32, 36, 48, 52, 56, 68, 72, 76],
            Convolve([.. Enumerable.Range(1, 25).Select(i => (float)i)], 5, [0, 1, 0, 1, 0, 1, 0, 1, 0], 3));

    [Fact]
    public void Anti_diagonal_kernel_over_two_by_two_is_5() =>
        Assert.Equal([5f], Convolve([1, 2, 3, 4], 2, [0, 1, 1, 0], 2));

    private static float[] Convolve(float[] image, int size, float[] kernel, int kernelSize, int padding = 0, bool flip = false)
    {
        var geometry = new Conv2DGeometry(1, size, size, 1, kernelSize, kernelSize,
            padTop: padding, padBottom: padding, padLeft: padding, padRight: padding);
        var output = new float[geometry.OutputLength];
        Reference.Conv2D<float>(geometry, image, kernel, [], output, flipKernel: flip);
        return output;
    }
}
