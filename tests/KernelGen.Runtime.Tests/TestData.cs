namespace KernelGen.Runtime.Tests;

/// <summary>Seeded random values for tests: the same seed gives the same data on every run.</summary>
internal static class TestData
{
    public static double[] Uniform(int seed, int count, double min = -1, double max = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => min + (random.NextDouble() * (max - min)))];
    }

    public static float[] ToFloat(double[] values) => [.. values.Select(v => (float)v)];

    public static double Apply(Activation activation, double x) => activation switch
    {
        Activation.Relu => Math.Max(x, 0),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        _ => x,
    };
}
