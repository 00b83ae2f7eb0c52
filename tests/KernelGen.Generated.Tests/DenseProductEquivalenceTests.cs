namespace KernelGen.Generated.Tests;

/// <summary>
/// Dense layers as blocked matrix products: every part of the blocking — whole tiles, the output features left after whole
/// tiles, several blocks of input features with partial sums kept in the output, a last block that is not a whole number
/// of vectors, several panels of samples with a short last one, and samples left over from whole tiles — equals the
/// reference, through the dispatch and on every path. Tiles are 4 samples on Vector512 and 3 on the narrower paths, and
/// panels 16 and 15, so the batches below cover each case on each.
/// </summary>
public partial class DenseProductEquivalenceTests
{
    /// <summary>1000 inputs: four blocks of 256, the last 232 (not a whole number of vectors); 30 outputs: 7 tiles of 4 and 2 left.</summary>
    [Dense(InFeatures = 1000, OutFeatures = 30, Activation = Activation.LeakyRelu)]
    internal static partial void Blocked(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    /// <summary>300 inputs: two blocks of 160 and 140; 8 outputs: two whole tiles.</summary>
    [Dense(InFeatures = 300, OutFeatures = 8)]
    internal static partial void NoBias(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, int batch);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(37)]
    [InlineData(64)]
    public void Blocked_product_equals_the_reference(int batch)
    {
        TensorComparison comparison = Check.Dense(new DenseGeometry(1000, 30), Blocked, "DenseProductEquivalenceTestsBlockedKernel", batch, Activation.LeakyRelu);
        Assert.True(comparison.Matches, comparison.Message);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    public void Product_without_bias_equals_the_reference(int batch)
    {
        TensorComparison comparison = Check.Dense(new DenseGeometry(300, 8), (i, w, _, o, n) => NoBias(i, w, o, n), "DenseProductEquivalenceTestsNoBiasKernel", batch, Activation.None, bias: false);
        Assert.True(comparison.Matches, comparison.Message);
    }

    [Fact]
    public void Mnist_fc1_relu_batch_64()
    {
        TensorComparison comparison = Check.Dense(new DenseGeometry(5408, 128), SuiteKernels.MnistFc1, "SuiteKernelsMnistFc1Kernel", 64, Activation.Relu);
        Assert.True(comparison.Matches, comparison.Message);
    }
}
