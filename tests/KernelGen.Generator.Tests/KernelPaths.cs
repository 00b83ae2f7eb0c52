using System.Reflection;
using System.Runtime.InteropServices;

namespace KernelGen.Tests;

/// <summary>
/// Calls one hardware path of a generated kernel directly, bypassing the dispatch, so that every path
/// is tested on any machine: the path methods of the file-local kernel class are bound to delegates.
/// They take <c>ref float</c> for each span and the batch, and check nothing (the public method does).
/// </summary>
internal static class KernelPaths
{
    /// <summary>Every path a kernel has, in dispatch order.</summary>
    public static readonly string[] Names = ["Vector512", "Vector256", "Vector128", "Scalar"];

    /// <summary>The paths <paramref name="kernelClass"/> has: all of them.</summary>
    public static string[] Of(Assembly assembly, string kernelClass)
    {
        Type type = KernelClass(assembly, kernelClass);
        string[] paths = [.. Names.Where(p => type.GetMethod(p, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is not null)];
        Assert.Equal(Names, paths);
        return paths;
    }

    /// <summary>The paths that have a method named path + <paramref name="suffix"/> (<c>Vector512WinogradBand</c>, …), in dispatch order.</summary>
    public static string[] WithSuffix(Assembly assembly, string kernelClass, string suffix)
    {
        Type type = KernelClass(assembly, kernelClass);
        return [.. Names.Where(p => type.GetMethod(p + suffix, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is not null).Select(p => p + suffix)];
    }

    private static Type KernelClass(Assembly assembly, string kernelClass) =>
        assembly.GetTypes().Single(t => t.Name.EndsWith("__" + kernelClass, StringComparison.Ordinal));

    private delegate void Unweighted(ref float input, ref float output, int batch);

    private delegate void Weighted(ref float input, ref float weights, ref float output, int batch);

    private delegate void WeightedWithBias(ref float input, ref float weights, ref float bias, ref float output, int batch);

    private delegate void UnweightedPart(ref float input, ref float output, int batch, int from, int to);

    private delegate void WeightedPart(ref float input, ref float weights, ref float output, int batch, int from, int to);

    private delegate void WeightedWithBiasPart(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to);

    /// <summary>Runs one path on the whole call (a path that does parts of the work gets all of them: 0 .. <c>Units</c>).</summary>
    public static void Run(Assembly assembly, string kernelClass, string path, bool weighted, bool bias,
        float[] input, float[] weights, float[] biasValues, float[] output, int batch)
    {
        MethodInfo method = Method(assembly, kernelClass, path);
        if (path.EndsWith("WinogradBand", StringComparison.Ordinal) || method.GetParameters().Length > (weighted ? bias ? 5 : 4 : 3))
        {
            RunPart(assembly, kernelClass, path, weighted, bias, input, weights, biasValues, output, batch, 0, Units(assembly, kernelClass, path));
            return;
        }

        ref float i = ref MemoryMarshal.GetArrayDataReference(input);
        ref float o = ref MemoryMarshal.GetArrayDataReference(output);
        if (!weighted)
        {
            method.CreateDelegate<Unweighted>()(ref i, ref o, batch);
        }
        else if (!bias)
        {
            method.CreateDelegate<Weighted>()(ref i, ref MemoryMarshal.GetArrayDataReference(weights), ref o, batch);
        }
        else
        {
            method.CreateDelegate<WeightedWithBias>()(ref i, ref MemoryMarshal.GetArrayDataReference(weights), ref MemoryMarshal.GetArrayDataReference(biasValues), ref o, batch);
        }
    }

    /// <summary>The number of units (rows, channels or groups) a sample's work splits into, for a kernel whose paths do parts.</summary>
    public static int Units(Assembly assembly, string kernelClass, string path = "") =>
        (int)KernelClass(assembly, kernelClass).GetField(
            path.EndsWith("WinogradBand", StringComparison.Ordinal) ? "WinogradUnits" : path.EndsWith("PackedDirect", StringComparison.Ordinal) ? "PackedUnits" : "Units",
            BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>Runs one path of a kernel whose work splits (a convolution, a pool) on units <paramref name="from"/> .. <paramref name="to"/> − 1 of every sample.</summary>
    public static void RunPart(Assembly assembly, string kernelClass, string path, bool weighted, bool bias,
        float[] input, float[] weights, float[] biasValues, float[] output, int batch, int from, int to)
    {
        if (path.EndsWith("WinogradBand", StringComparison.Ordinal))
        {
            RunWinogradBand(assembly, kernelClass, path, input, weights, biasValues, output, batch, from, to);
            return;
        }

        MethodInfo method = Method(assembly, kernelClass, path);
        ref float i = ref MemoryMarshal.GetArrayDataReference(input);
        ref float w = ref MemoryMarshal.GetArrayDataReference(weights);
        ref float o = ref MemoryMarshal.GetArrayDataReference(output);
        if (!weighted)
        {
            method.CreateDelegate<UnweightedPart>()(ref i, ref o, batch, from, to);
        }
        else if (bias)
        {
            method.CreateDelegate<WeightedWithBiasPart>()(ref i, ref w, ref MemoryMarshal.GetArrayDataReference(biasValues), ref o, batch, from, to);
        }
        else
        {
            method.CreateDelegate<WeightedPart>()(ref i, ref w, ref o, batch, from, to);
        }
    }

    private delegate void BandPath(ref float band, ref float weights, ref float bias, ref float output, int from, int to);

    private delegate void BandPathWithoutBias(ref float band, ref float weights, ref float output, int from, int to);

    /// <summary>
    /// Runs one path of a Winograd kernel (<c>{Path}WinogradBand</c>, one sample from its tile band) on units
    /// <paramref name="from"/> .. <paramref name="to"/> − 1 of every sample: the kernel's <c>WinogradFillPart</c> fills the
    /// band in two uneven parts of its input channels, into a band that starts as NaN (so padding the fill left unwritten
    /// shows), then the path runs over it.
    /// </summary>
    private static void RunWinogradBand(Assembly assembly, string kernelClass, string path, float[] input, float[] weights, float[] biasValues, float[] output, int batch, int from, int to)
    {
        Type type = KernelClass(assembly, kernelClass);
        int Constant(string name) => (int)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var band = new float[Constant("WinogradBandLength")];
        Array.Fill(band, float.NaN);
        int channels = Constant("WinogradFillUnits"), inputLength = input.Length / batch, outputLength = output.Length / batch;
        KernelPart fill = Method(assembly, kernelClass, "WinogradFillPart").CreateDelegate<KernelPart>();
        MethodInfo method = Method(assembly, kernelClass, path);
        BandPath run = method.GetParameters().Length == 6
            ? method.CreateDelegate<BandPath>()
            : (ref float band, ref float weights, ref float bias, ref float output, int from, int to) => method.CreateDelegate<BandPathWithoutBias>()(ref band, ref weights, ref output, from, to);
        ref float w = ref MemoryMarshal.GetArrayDataReference(weights);
        ref float b = ref MemoryMarshal.GetArrayDataReference(biasValues);
        for (int n = 0; n < batch; n++)
        {
            ref float sample = ref input[n * inputLength];
            fill(ref sample, ref w, ref b, ref band[0], 1, 0, channels / 3);
            fill(ref sample, ref w, ref b, ref band[0], 1, channels / 3, channels);
            run(ref band[0], ref w, ref b, ref output[n * outputLength], from, to);
        }
    }

    private static MethodInfo Method(Assembly assembly, string kernelClass, string path) =>
        KernelClass(assembly, kernelClass).GetMethod(path, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{kernelClass} has no {path} path.");
}
