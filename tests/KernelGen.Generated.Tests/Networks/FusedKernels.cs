using System.Reflection;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>What the tests of fused layers share: a network's private kernels as delegates, and random data.</summary>
internal static class FusedKernels
{
    public delegate PackedWeights Pack(ReadOnlySpan<float> weights);

    public delegate void Convolve(ReadOnlySpan<float> input, PackedWeights weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    public delegate void ConvolveSplit(ReadOnlySpan<float> input, PackedWeights weights, ReadOnlySpan<float> bias, Span<float> output, int batch, Parallelism parallelism);

    /// <summary>The parameters of a convolution's packed overloads.</summary>
    public static readonly Type[] Spans = [typeof(ReadOnlySpan<float>), typeof(PackedWeights), typeof(ReadOnlySpan<float>), typeof(Span<float>), typeof(int)];

    /// <summary>The parameters of a convolution's packed overloads with a <see cref="Parallelism"/>.</summary>
    public static readonly Type[] SplitSpans = [.. Spans, typeof(Parallelism)];

    /// <summary>The generated static kernel <paramref name="name"/> of <typeparamref name="TNetwork"/>, as a delegate.</summary>
    public static T Kernel<TNetwork, T>(string name, params Type[] parameters) where T : Delegate =>
        typeof(TNetwork).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static, parameters)?.CreateDelegate<T>()
        ?? throw new InvalidOperationException($"{typeof(TNetwork).Name} has no {name}.");

    /// <summary>Layer <paramref name="layer"/>'s weights in <paramref name="network"/>, packed by its convolution's <c>PackWeights</c>.</summary>
    public static PackedWeights Packed<TNetwork>(TNetwork network, string layer) where TNetwork : INetwork =>
        Kernel<TNetwork, Pack>($"{layer}ForwardPackWeights", typeof(ReadOnlySpan<float>))(network.Parameters.Single(p => p.Name == $"{layer}.weight").Values);

    /// <summary><paramref name="length"/> floats uniform in [−1, 1), the same for the same <paramref name="seed"/>.</summary>
    public static float[] Data(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
