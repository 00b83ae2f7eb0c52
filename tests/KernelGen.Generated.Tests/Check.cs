namespace KernelGen.Generated.Tests;

/// <summary>Runs a generated kernel and the reference on the same random data and compares them.</summary>
internal static class Check
{
    public delegate void WeightedKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    public delegate void BatchedWeightedKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    public delegate void PoolKernel(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// The tolerance for a float sum of <paramref name="terms"/> products of values in [-1, 1], accumulated in
    /// another order than the reference's: both absolute and relative, <c>terms · 2⁻²³</c>.
    /// </summary>
    public static double Tolerance(long terms) => Math.Max(terms, 1) * Math.Pow(2, -23);

    public static TensorComparison Conv(Conv2DGeometry g, BatchedWeightedKernel kernel, int batch = 1, Activation activation = Activation.None, bool flip = false, int seed = 1)
    {
        float[] input = Random(seed, batch * g.InputLength);
        float[] weights = Random(seed + 1, g.WeightLength);
        float[] bias = Random(seed + 2, g.OutChannels);
        var expected = new float[batch * g.OutputLength];
        var actual = new float[expected.Length];
        Array.Fill(actual, float.NaN);
        Reference.Conv2D<float>(g, input, weights, bias, expected, batch, activation, flip);
        kernel(input, weights, bias, actual, batch);
        double tolerance = Tolerance(g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth);
        return TensorComparison.Of(expected, actual, [batch, g.OutChannels, g.OutputHeight, g.OutputWidth], tolerance, tolerance);
    }

    public static TensorComparison Conv(Conv2DGeometry g, WeightedKernel kernel, Activation activation = Activation.None, bool flip = false) =>
        Conv(g, (i, w, b, o, _) => kernel(i, w, b, o), 1, activation, flip);

    public static TensorComparison Pool(Pool2DGeometry g, PoolKernel kernel, bool max, bool countIncludePad = false)
    {
        float[] input = Random(3, g.InputLength);
        var expected = new float[g.OutputLength];
        var actual = new float[expected.Length];
        Array.Fill(actual, float.NaN);
        if (max)
        {
            Reference.MaxPool2D<float>(g, input, expected);
        }
        else
        {
            Reference.AvgPool2D<float>(g, input, expected, countIncludePad: countIncludePad);
        }

        kernel(input, actual);
        double tolerance = max ? 0 : Tolerance(g.KernelHeight * g.KernelWidth);
        return TensorComparison.Of(expected, actual, [g.Channels, g.OutputHeight, g.OutputWidth], tolerance, tolerance);
    }

    public static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
