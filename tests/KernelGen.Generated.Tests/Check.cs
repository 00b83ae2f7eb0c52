using System.Reflection;
using KernelGen.Tests;

namespace KernelGen.Generated.Tests;

/// <summary>Runs a generated kernel and the reference on the same random data and compares them.</summary>
internal static class Check
{
    public delegate void WeightedKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    public delegate void BatchedWeightedKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    public delegate void PackedKernel(ReadOnlySpan<float> input, PackedWeights weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    public delegate PackedWeights Packer(ReadOnlySpan<float> weights);

    public delegate void PoolKernel(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// The tolerance for a float sum of <paramref name="terms"/> products of values in [-1, 1], accumulated in
    /// another order than the reference's: both absolute and relative, <c>terms · 2⁻²³</c>.
    /// </summary>
    public static double Tolerance(long terms) => Math.Max(terms, 1) * Math.Pow(2, -23);

    /// <summary>
    /// Equal within float rounding carried through a network computed in float against the reference in double:
    /// 10⁻⁴ of the tensor's largest magnitude.
    /// </summary>
    public static void Close(string what, double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(expected.Max(Math.Abs), 1e-3);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (scale {scale:G3})");
        }
    }

    /// <summary>
    /// Compares the kernel, called as a user calls it, and then each of its hardware paths called directly
    /// (<paramref name="kernelClass"/> names its file-local class), with the reference.
    /// </summary>
    public static TensorComparison Conv(Conv2DGeometry g, BatchedWeightedKernel kernel, string kernelClass, int batch = 1, Activation activation = Activation.None, bool flip = false, int seed = 1)
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
        int[] shape = [batch, g.OutChannels, g.OutputHeight, g.OutputWidth];
        return EveryPath(expected, actual, shape, tolerance, kernelClass, path =>
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: true, input, weights, bias, actual, batch));
    }

    public static TensorComparison Conv(Conv2DGeometry g, WeightedKernel kernel, string kernelClass, Activation activation = Activation.None, bool flip = false) =>
        Conv(g, (i, w, b, o, _) => kernel(i, w, b, o), kernelClass, 1, activation, flip);

    /// <summary>
    /// Asserts that <paramref name="actual"/>, as the dispatch left it, matches; then runs each path into it
    /// and asserts the same. Returns the last comparison.
    /// </summary>
    private static TensorComparison EveryPath(float[] expected, float[] actual, int[] shape, double tolerance, string kernelClass, Action<string> runPath, string suffix = "")
    {
        TensorComparison comparison = TensorComparison.Of(expected, actual, shape, tolerance, tolerance);
        Assert.True(comparison.Matches, $"dispatch: {comparison}");
        foreach (string path in KernelPaths.Of(Assembly.GetExecutingAssembly(), kernelClass).Select(p => p + suffix))
        {
            Array.Fill(actual, float.NaN);
            runPath(path);
            comparison = TensorComparison.Of(expected, actual, shape, tolerance, tolerance);
            Assert.True(comparison.Matches, $"{path}: {comparison}");
        }

        return comparison;
    }

    /// <summary>A dense kernel with or without bias, through the dispatch and on every path, against the reference.</summary>
    public static TensorComparison Dense(DenseGeometry g, BatchedWeightedKernel kernel, string kernelClass, int batch, Activation activation, bool bias = true, int seed = 1)
    {
        (float[] input, float[] weights, float[] biases, float[] expected, float[] actual) = DenseCase(g, batch, activation, bias, seed);
        kernel(input, weights, biases, actual, batch);
        return EveryPath(expected, actual, [batch, g.OutFeatures], Tolerance(g.InFeatures), kernelClass, path =>
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: bias, input, weights, biases, actual, batch));
    }

    /// <summary>
    /// A dense kernel's packed overload over weights packed by <paramref name="pack"/>, through the dispatch and on every
    /// packed path, against the reference.
    /// </summary>
    public static TensorComparison DensePacked(DenseGeometry g, Packer pack, PackedKernel kernel, string kernelClass, int batch, Activation activation, bool bias = true, int seed = 1)
    {
        (float[] input, float[] weights, float[] biases, float[] expected, float[] actual) = DenseCase(g, batch, activation, bias, seed);
        PackedWeights packed = pack(weights);
        kernel(input, packed, biases, actual, batch);
        float[] values = packed.Values.ToArray();
        return EveryPath(expected, actual, [batch, g.OutFeatures], Tolerance(g.InFeatures), kernelClass, path =>
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: bias, input, values, biases, actual, batch), "Packed");
    }

    /// <summary>A dense layer's random data, the reference's output for it, and an output of NaNs for the kernel.</summary>
    private static (float[] Input, float[] Weights, float[] Bias, float[] Expected, float[] Actual) DenseCase(DenseGeometry g, int batch, Activation activation, bool bias, int seed)
    {
        float[] input = Random(seed, batch * g.InFeatures);
        for (int i = 0; i < input.Length; i += 5)
        {
            // Zeros as ReLU leaves them, whose weights a single sample's packed path passes over.
            input[i] = i % 2 == 0 ? 0f : -0f;
        }

        float[] weights = Random(seed + 1, g.WeightLength);
        float[] biases = bias ? Random(seed + 2, g.OutFeatures) : [];
        var expected = new float[batch * g.OutFeatures];
        var actual = new float[expected.Length];
        Array.Fill(actual, float.NaN);
        Reference.Dense<float>(g, input, weights, biases, expected, batch, activation);
        return (input, weights, biases, expected, actual);
    }

    public static TensorComparison Pool(Pool2DGeometry g, PoolKernel kernel, string kernelClass, bool max, bool countIncludePad = false)
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
        return EveryPath(expected, actual, [g.Channels, g.OutputHeight, g.OutputWidth], tolerance, kernelClass, path =>
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: false, bias: false, input, [], [], actual, 1));
    }

    public static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
