// Built from the KernelGen package alone: layers and a network declared with its attributes, their kernels written by
// the generator the package carries, run and checked against known answers — the worked examples of the convolution
// introductions, exact answers from hand-set weights, and KernelGen.Reference. Exits with 1 on any mismatch.
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using KernelGen;
using KernelGen.Training;
using PackageConsumer;

var checks = new Checks();
string version = typeof(Tensor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
Console.WriteLine($"KernelGen {version.Split('+')[0]} from the package");
// The one line that may differ between a JIT run and a NativeAOT one (CI compares the rest).
Console.WriteLine($"runtime: {(RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT")}; hardware-accelerated: "
    + $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}");

float[] oneToNine = Counting(9), plus = [0, 1, 0, 1, 1, 1, 0, 1, 0];

Console.WriteLine();
Console.WriteLine("Worked examples (stand-alone [Conv2D] kernels; cross-correlation, as PyTorch):");
checks.Exact("plus kernel over 1..9, valid", Run(Layers.PlusValid, oneToNine, plus, 1), [25]);
checks.Exact("plus kernel over 1..9, padding 1", Run(Layers.PlusPadded, oneToNine, plus, 9), [7, 11, 11, 17, 25, 23, 19, 29, 23]);
checks.Exact("[[1,2],[3,4]] over 1..9", Run(Layers.TwoByTwo, oneToNine, [1, 2, 3, 4], 4), [37, 47, 67, 77]);
checks.Exact("[[1,2],[3,4]] over 1..9, flipped", Run(Layers.TwoByTwoFlipped, oneToNine, [1, 2, 3, 4], 4), [23, 33, 53, 63]);
checks.Exact("ring kernel over 1..25", Run(Layers.Ring, Counting(25), [0, 1, 0, 1, 0, 1, 0, 1, 0], 9), [28, 32, 36, 48, 52, 56, 68, 72, 76]);
checks.Exact("[[0,1],[1,0]] over [[1,2],[3,4]]", Run(Layers.AntiDiagonal, [1, 2, 3, 4], [0, 1, 1, 0], 1), [5]);

Console.WriteLine();
Console.WriteLine("[MaxPool2D] and [Dense]:");
float[] pooled = new float[4];
Layers.Pool4x4(Counting(16), pooled);
checks.Exact("max pool 2x2 over 1..16", pooled, [6, 8, 14, 16]);
float[] dense = new float[4];
Layers.SmallDense([1, 2, 3, -1, 0, 2], [1, 2, 3, -1, -1, -1], [0.5f, 10], dense, batch: 2);
checks.Exact("dense 3 -> 2 with ReLU, batch 2", dense, [14.5f, 4, 5.5f, 9]);

Console.WriteLine();
Console.WriteLine("Conv 3x10x20 -> 8 (ReLU), max pool 2x2, dense 400 -> 10; batch 2, seeded values, against KernelGen.Reference:");
checks.AgainstReference("conv, pool, dense", WideLayers.Generated(), WideLayers.Referenced());

Console.WriteLine();
Console.WriteLine("[Network] TinyCnn: conv 3x3 -> 2 channels (padding 1, ReLU), max pool 2x2, dense 18 -> 3:");
TinyCnn handSet = TinyNetwork.HandSet();
float[] logits = new float[3];
handSet.Forward(Counting(36), logits);
checks.Exact("hand-set weights, input 1..36: logits", logits, [885, 54.5f, 104]);
checks.Exact("hand-set weights, input 1..36: predicted class", [handSet.Predict(Counting(36))], [0]);
checks.AgainstReference("seed 42, batch 3: logits", TinyNetwork.SeededLogits(), TinyNetwork.ReferenceLogits());
checks.True("training: 30 Adam steps on 8 labelled images fit them", TinyNetwork.Trains(out string trained), trained);
checks.True("Save and Load: the same logits, bit for bit", TinyNetwork.RoundTrips(), "safetensors");

Console.WriteLine();
Console.WriteLine(checks.Failed == 0
    ? $"All {checks.Passed} checks passed."
    : $"{checks.Failed} of {checks.Passed + checks.Failed} checks FAILED.");
return checks.Failed == 0 ? 0 : 1;

static float[] Counting(int count) => [.. Enumerable.Range(1, count).Select(i => (float)i)];

static float[] Run(ConvKernel conv, float[] input, float[] weights, int outputs)
{
    float[] output = new float[outputs];
    conv(input, weights, output);
    return output;
}

/// <summary>A stand-alone convolution without bias.</summary>
internal delegate void ConvKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

/// <summary>Counts and prints the checks.</summary>
internal sealed class Checks
{
    public int Passed { get; private set; }

    public int Failed { get; private set; }

    /// <summary>Every element exactly as expected (the worked examples and hand-set weights are exact in float).</summary>
    public void Exact(string what, float[] actual, float[] expected)
    {
        bool ok = actual.AsSpan().SequenceEqual(expected);
        Report(ok, what, ok ? Format(actual) : $"expected {Format(expected)}, got {Format(actual)}");
    }

    /// <summary>Within float rounding of the reference (which sums in double): the kernels add in another order.</summary>
    public void AgainstReference(string what, float[] actual, float[] expected)
    {
        TensorComparison comparison = TensorComparison.Of(expected, actual, [expected.Length], 1e-5, 1e-5);
        Report(comparison.Matches, what, comparison.Matches ? $"{expected.Length} values match the reference" : comparison.Message);
    }

    public void True(string what, bool ok, string detail) => Report(ok, what, detail);

    private void Report(bool ok, string what, string detail)
    {
        if (ok)
        {
            Passed++;
        }
        else
        {
            Failed++;
        }

        Console.WriteLine($"  {(ok ? "ok" : "MISMATCH")}  {what}: {detail}");
    }

    private static string Format(float[] values) => "[" + string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]";
}
