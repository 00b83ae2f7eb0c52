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
    public static readonly string[] Names = ["Vector512", "Vector256", "Scalar"];

    private delegate void Unweighted(ref float input, ref float output, int batch);

    private delegate void Weighted(ref float input, ref float weights, ref float output, int batch);

    private delegate void WeightedWithBias(ref float input, ref float weights, ref float bias, ref float output, int batch);

    public static void Run(Assembly assembly, string kernelClass, string path, bool weighted, bool bias,
        float[] input, float[] weights, float[] biasValues, float[] output, int batch)
    {
        Type type = assembly.GetTypes().Single(t => t.Name.EndsWith("__" + kernelClass, StringComparison.Ordinal));
        MethodInfo method = type.GetMethod(path, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)!;
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
}
