using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using CsCheck;
using KernelGen.Tests;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Random <c>[BatchNorm2D]</c> layers — channels, plane sizes around every vector width, batched or not, ε, each
/// activation — compiled and run through the public method and on every path directly, against the reference.
/// </summary>
public class BatchNormEquivalenceTests
{
    private sealed record Case(int Channels, int Height, int Width, float Epsilon, Activation Activation, bool Batched, int Batch, int Seed, float? Slope)
    {
        public int Samples => Batched ? Batch : 1;

        public int Length => Samples * Channels * Height * Width;

        public string Declaration(int i) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""
                [BatchNorm2D(Channels = {{Channels}}, Height = {{Height}}, Width = {{Width}}, Epsilon = {{Epsilon:R}}f, Activation = Activation.{{Activation}}{{(Slope is { } s ? $", LeakyReluSlope = {s:R}f" : "")}})]
                private static partial void K{{i}}(ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output{{(Batched ? ", int batch" : "")}});
                public static void Run{{i}}(float[] input, float[] scale, float[] shift, float[] mean, float[] variance, float[] output, int batch) => K{{i}}(input, scale, shift, mean, variance, output{{(Batched ? ", batch" : "")}});
            """);
    }

    private delegate void PathMethod(ref float input, ref float scale, ref float shift, ref float mean, ref float variance, ref float output, int batch);

    private static readonly Gen<Case> Cases =
        from channels in Gen.Int[1, 5]
        from height in Gen.Int[1, 9]
        from width in Gen.OneOf(Gen.Int[1, 9], Gen.Int[10, 40])
        from epsilon in Gen.OneOf(Gen.Const(1e-5f), Gen.Const(1e-3f), Gen.Const(0.1f))
        from activation in RandomLayers.Activations
        from batched in Gen.Bool
        from batch in Gen.Int[1, 3]
        from seed in Gen.Int
        select new Case(channels, height, width, epsilon, activation.Activation, batched, batch, seed, activation.Slope);

    [Fact]
    public void Random_layers_match_the_reference_on_every_path() => Cases.Array[40].Sample(Check, iter: 2, threads: 1);

    private static void Check(Case[] cases)
    {
        var source = new StringBuilder("using System;\nusing KernelGen;\n\nnamespace Random;\n\npublic static partial class Norms\n{\n");
        for (int i = 0; i < cases.Length; i++)
        {
            source.AppendLine(cases[i].Declaration(i));
        }

        Assembly assembly = Harness.CompileAndLoad(source.AppendLine("}").ToString());
        Type norms = assembly.GetType("Random.Norms")!;
        for (int i = 0; i < cases.Length; i++)
        {
            Case c = cases[i];
            float[] input = RandomLayers.Data(c.Seed, c.Length), scale = RandomLayers.Data(c.Seed + 1, c.Channels), shift = RandomLayers.Data(c.Seed + 2, c.Channels);
            float[] mean = RandomLayers.Data(c.Seed + 3, c.Channels), variance = [.. RandomLayers.Data(c.Seed + 4, c.Channels).Select(v => 0.25f + Math.Abs(v))];
            var expected = new float[c.Length];
            Reference.BatchNorm2D<float>(c.Channels, c.Height, c.Width, input, scale, shift, mean, variance, expected, c.Samples, c.Epsilon, c.Activation, c.Slope ?? ActivationFunctions.DefaultLeakyReluSlope);
            var actual = new float[c.Length];
            Array.Fill(actual, float.NaN);
            norms.GetMethod($"Run{i}")!.Invoke(null, [input, scale, shift, mean, variance, actual, c.Batch]);
            AssertClose(c, "dispatch", expected, actual);
            foreach (string path in KernelPaths.Of(assembly, $"NormsK{i}Kernel"))
            {
                Array.Fill(actual, float.NaN);
                MethodInfo method = assembly.GetTypes().Single(t => t.Name.EndsWith($"__NormsK{i}Kernel", StringComparison.Ordinal))
                    .GetMethod(path, BindingFlags.Public | BindingFlags.Static)!;
                method.CreateDelegate<PathMethod>()(ref Start(input), ref Start(scale), ref Start(shift), ref Start(mean), ref Start(variance), ref Start(actual), c.Samples);
                AssertClose(c, path, expected, actual);
            }
        }
    }

    private static ref float Start(float[] array) => ref MemoryMarshal.GetArrayDataReference(array);

    private static void AssertClose(Case c, string path, float[] expected, float[] actual)
    {
        // |(x − mean) · factor| is at most about 2 / √0.25 · 1 = 4: a few roundings of that size.
        const double tolerance = 16 * 1.1920929e-7;
        TensorComparison comparison = TensorComparison.Of(expected, actual, [expected.Length], tolerance, tolerance);
        Assert.True(comparison.Matches, $"{c}, {path}: {comparison.Message}");
    }
}
