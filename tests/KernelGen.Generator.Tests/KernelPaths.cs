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

    /// <summary>The paths that have a method named path + <paramref name="suffix"/> (<c>Vector512Winograd</c>, …), in dispatch order.</summary>
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

    private delegate void WeightedSkipping(ref float input, ref float weights, ref float output, int batch, bool skipZeros);

    private delegate void WeightedWithBiasSkipping(ref float input, ref float weights, ref float bias, ref float output, int batch, bool skipZeros);

    private delegate void UnweightedPart(ref float input, ref float output, int batch, int from, int to);

    private delegate void WeightedPart(ref float input, ref float weights, ref float output, int batch, int from, int to);

    private delegate void WeightedWithBiasPart(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to);

    /// <summary>Runs one path on the whole call (a path that does parts of the work gets all of them: 0 .. <c>Units</c>).</summary>
    public static void Run(Assembly assembly, string kernelClass, string path, bool weighted, bool bias,
        float[] input, float[] weights, float[] biasValues, float[] output, int batch)
    {
        MethodInfo method = Method(assembly, kernelClass, path);
        ParameterInfo[] parameters = method.GetParameters();
        if (parameters[^1].ParameterType == typeof(bool))
        {
            // A dense layer's packed path, told that every weight is finite: it skips the weights of inputs of zero.
            ref float x = ref MemoryMarshal.GetArrayDataReference(input), w = ref MemoryMarshal.GetArrayDataReference(weights), y = ref MemoryMarshal.GetArrayDataReference(output);
            if (bias)
            {
                method.CreateDelegate<WeightedWithBiasSkipping>()(ref x, ref w, ref MemoryMarshal.GetArrayDataReference(biasValues), ref y, batch, weights.All(float.IsFinite));
            }
            else
            {
                method.CreateDelegate<WeightedSkipping>()(ref x, ref w, ref y, batch, weights.All(float.IsFinite));
            }

            return;
        }

        if (path.EndsWith("Winograd", StringComparison.Ordinal) || parameters.Length > (weighted ? bias ? 5 : 4 : 3))
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
            path.EndsWith("Winograd", StringComparison.Ordinal) ? "WinogradUnits" : path.EndsWith("PackedDirect", StringComparison.Ordinal) ? "PackedUnits" : "Units",
            BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>Runs one path of a kernel whose work splits (a convolution, a pool) on units <paramref name="from"/> .. <paramref name="to"/> − 1 of every sample.</summary>
    public static void RunPart(Assembly assembly, string kernelClass, string path, bool weighted, bool bias,
        float[] input, float[] weights, float[] biasValues, float[] output, int batch, int from, int to)
    {
        if (path.EndsWith("Winograd", StringComparison.Ordinal))
        {
            RunWinograd(assembly, kernelClass, path, input, weights, biasValues, output, batch, from, to);
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

    private delegate void WinogradPath(ref float input, ref float band, ref float weights, ref float bias, ref float output, int from, int to);

    private delegate void WinogradPathWithoutBias(ref float input, ref float band, ref float weights, ref float output, int from, int to);

    /// <summary>
    /// Runs one path of a Winograd kernel (<c>{Path}Winograd</c>, one sample, copying the input rows its part reads into
    /// a tile band) on units <paramref name="from"/> .. <paramref name="to"/> − 1 of every sample, each time over a band
    /// that starts as NaN: a row the part reads and did not copy, or padding it did not clear, shows.
    /// </summary>
    private static void RunWinograd(Assembly assembly, string kernelClass, string path, float[] input, float[] weights, float[] biasValues, float[] output, int batch, int from, int to)
    {
        var band = new float[(int)KernelClass(assembly, kernelClass).GetField("WinogradBandLength", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!];
        int inputLength = input.Length / batch, outputLength = output.Length / batch;
        MethodInfo method = Method(assembly, kernelClass, path);
        WinogradPath run = method.GetParameters().Length == 7
            ? method.CreateDelegate<WinogradPath>()
            : (ref float input, ref float band, ref float weights, ref float bias, ref float output, int from, int to) =>
                method.CreateDelegate<WinogradPathWithoutBias>()(ref input, ref band, ref weights, ref output, from, to);
        ref float w = ref MemoryMarshal.GetArrayDataReference(weights);
        ref float b = ref MemoryMarshal.GetArrayDataReference(biasValues);
        for (int n = 0; n < batch; n++)
        {
            Array.Fill(band, float.NaN);
            run(ref input[n * inputLength], ref band[0], ref w, ref b, ref output[n * outputLength], from, to);
        }
    }

    private static MethodInfo Method(Assembly assembly, string kernelClass, string path) =>
        KernelClass(assembly, kernelClass).GetMethod(path, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{kernelClass} has no {path} path.");
}
