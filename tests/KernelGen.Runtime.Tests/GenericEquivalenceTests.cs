using CsCheck;

namespace KernelGen.Runtime.Tests;

/// <summary>The run-time-shape kernels of <see cref="Generic"/> against the reference, on random shapes over every option.</summary>
public class GenericEquivalenceTests
{
    private static double Tolerance(long terms) => Math.Max(terms, 1) * Math.Pow(2, -23);

    private static void AssertClose(float[] expected, float[] actual, long terms, string what)
    {
        TensorComparison comparison = TensorComparison.Of(expected, actual, [expected.Length], Tolerance(terms), Tolerance(terms));
        Assert.True(comparison.Matches, $"{what}: {comparison}");
    }

    [Fact]
    public void Conv2D_matches_the_reference_on_300_random_shapes()
    {
        Conv2DAgainstIm2ColTests.Cases.Where(c => c.TryGeometry() is not null).Sample(c =>
        {
            Conv2DGeometry g = c.TryGeometry()!;
            float[] input = TestData.ToFloat(TestData.Uniform(c.Seed, c.Batch * g.InputLength));
            float[] weights = TestData.ToFloat(TestData.Uniform(c.Seed + 1, g.WeightLength));
            float[] bias = c.Bias ? TestData.ToFloat(TestData.Uniform(c.Seed + 2, g.OutChannels)) : [];
            var expected = new float[c.Batch * g.OutputLength];
            var actual = new float[expected.Length];
            Reference.Conv2D<float>(g, input, weights, bias, expected, c.Batch, c.Activation, c.Flip);
            Generic.Conv2D(g, input, weights, bias, actual, c.Batch, c.Activation, c.Flip);
            AssertClose(expected, actual, (long)g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth, g.ToString());
        }, iter: 300);
    }

    [Theory]
    [InlineData(600, 4, 30, 6, Activation.Sigmoid)]
    [InlineData(300, 3, 200, 3, Activation.Relu)]
    public void Conv2D_with_more_input_channels_than_the_band_holds_accumulates_across_chunks(int channels, int height, int width, int outChannels, Activation activation)
    {
        var g = new Conv2DGeometry(channels, height, width, outChannels, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        float[] input = TestData.ToFloat(TestData.Uniform(1, g.InputLength)), weights = TestData.ToFloat(TestData.Uniform(2, g.WeightLength));
        float[] bias = TestData.ToFloat(TestData.Uniform(3, outChannels));
        var expected = new float[g.OutputLength];
        var actual = new float[g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, bias, expected, activation: activation);
        Generic.Conv2D(g, input, weights, bias, actual, activation: activation);
        AssertClose(expected, actual, 9L * channels, g.ToString());
    }

    [Fact]
    public void Pools_match_the_reference_on_300_random_shapes()
    {
        var pools =
            from max in Gen.Bool
            from channels in Gen.Int[1, 3]
            from height in Gen.Int[1, 12]
            from width in Gen.OneOf(Gen.Int[1, 12], Gen.Int[13, 40])
            from kernel in Gen.Int[1, 4].Array[2]
            from stride in Gen.Int[1, 3].Array[2]
            from pad in Gen.Int[0, 3].Array[2]
            from countIncludePad in Gen.Bool
            from batch in Gen.Int[1, 3]
            from seed in Gen.Int
            let g = Pool2DGeometry.TryCreate(channels, height, width, kernel[0], kernel[1], stride[0], stride[1], Math.Min(pad[0], kernel[0] - 1), Math.Min(pad[1], kernel[1] - 1), out _)
            where g is not null
            select (max, g, countIncludePad, batch, seed);

        pools.Sample(c =>
        {
            float[] input = TestData.ToFloat(TestData.Uniform(c.seed, c.batch * c.g.InputLength));
            var expected = new float[c.batch * c.g.OutputLength];
            var actual = new float[expected.Length];
            if (c.max)
            {
                Reference.MaxPool2D<float>(c.g, input, expected, c.batch);
                Generic.MaxPool2D(c.g, input, actual, c.batch);
            }
            else
            {
                Reference.AvgPool2D<float>(c.g, input, expected, c.batch, c.countIncludePad);
                Generic.AvgPool2D(c.g, input, actual, c.batch, c.countIncludePad);
            }

            AssertClose(expected, actual, c.max ? 0 : c.g.KernelHeight * c.g.KernelWidth, c.g.ToString());
        }, iter: 300);
    }

    [Fact]
    public void Dense_and_global_pool_match_the_reference_on_random_shapes()
    {
        var dense =
            from inFeatures in Gen.OneOf(Gen.Int[1, 20], Gen.Int[21, 400])
            from outFeatures in Gen.Int[1, 19]
            from activation in Gen.Enum<Activation>()
            from bias in Gen.Bool
            from batch in Gen.Int[1, 3]
            from seed in Gen.Int
            select (g: new DenseGeometry(inFeatures, outFeatures), activation, bias, batch, seed);
        dense.Sample(c =>
        {
            float[] input = TestData.ToFloat(TestData.Uniform(c.seed, c.batch * c.g.InFeatures));
            float[] weights = TestData.ToFloat(TestData.Uniform(c.seed + 1, c.g.WeightLength));
            float[] bias = c.bias ? TestData.ToFloat(TestData.Uniform(c.seed + 2, c.g.OutFeatures)) : [];
            var expected = new float[c.batch * c.g.OutFeatures];
            var actual = new float[expected.Length];
            Reference.Dense<float>(c.g, input, weights, bias, expected, c.batch, c.activation);
            Generic.Dense(c.g, input, weights, bias, actual, c.batch, c.activation);
            AssertClose(expected, actual, c.g.InFeatures, c.g.ToString());
        }, iter: 200);

        var global = from c in Gen.Int[1, 6] from h in Gen.Int[1, 15] from w in Gen.Int[1, 15] from batch in Gen.Int[1, 3] from seed in Gen.Int select (c, h, w, batch, seed);
        global.Sample(c =>
        {
            float[] input = TestData.ToFloat(TestData.Uniform(c.seed, c.batch * c.c * c.h * c.w));
            var expected = new float[c.batch * c.c];
            var actual = new float[expected.Length];
            Reference.GlobalAvgPool2D<float>(c.c, c.h, c.w, input, expected, c.batch);
            Generic.GlobalAvgPool2D(c.c, c.h, c.w, input, actual, c.batch);
            AssertClose(expected, actual, c.h * c.w, $"{c.c}x{c.h}x{c.w}");
            Reference.GlobalMaxPool2D<float>(c.c, c.h, c.w, input, expected, c.batch);
            Generic.GlobalMaxPool2D(c.c, c.h, c.w, input, actual, c.batch);
            Assert.Equal(expected, actual);
        }, iter: 100);
    }

    [Fact]
    public void Wrong_lengths_are_rejected_before_anything_is_written()
    {
        var g = new Conv2DGeometry(2, 5, 5, 3, 3, 3);
        float[] output = new float[g.OutputLength];
        Array.Fill(output, 42f);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => Generic.Conv2D(g, new float[g.InputLength], new float[5], [], output)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => Generic.Conv2D(g, new float[g.InputLength], new float[g.WeightLength], [], output, 0)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => Generic.MaxPool2D(new Pool2DGeometry(2, 4, 4, 2, 2), new float[31], output.AsSpan(0, 8))).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => Generic.Dense(new DenseGeometry(4, 3), new float[4], new float[12], [], output)).ParamName);
        Assert.All(output, v => Assert.Equal(42f, v));
    }
}
