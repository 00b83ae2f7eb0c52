using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace KernelGen.Bench;

/// <summary>
/// The machine's single-core FMA peak, measured the way suite.md describes: 12 independent accumulators of the widest
/// accelerated vector (Vector512 where the machine has AVX-512, as the generated kernels then use it; Vector256
/// otherwise), so that neither latency nor loads limit it. One operation = 12 × 16 (or 12 × 8) multiply-adds.
/// </summary>
public class PeakBenchmarks
{
    public const int Iterations = 1 << 16;

    /// <summary>Floats per vector of the probe: 16 with AVX-512, else 8.</summary>
    public static int Lanes => Vector512.IsHardwareAccelerated ? 16 : 8;

    /// <summary>What the probe is, for the report.</summary>
    public static string Describe => $"12 independent Vector{Lanes * 32} FMA chains";

    public static int FlopsPerIteration => 12 * Lanes * 2;

    [Benchmark(OperationsPerInvoke = Iterations)]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float WidestFma() => Vector512.IsHardwareAccelerated ? Fma512() : Fma256();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Fma512()
    {
        Vector512<float> m = Vector512.Create(0.999f), c = Vector512.Create(0.001f);
        Vector512<float> a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m, a10 = m, a11 = m;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c);
            a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c);
            a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c);
            a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c);
            a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }

        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Fma256()
    {
        Vector256<float> m = Vector256.Create(0.999f), c = Vector256.Create(0.001f);
        Vector256<float> a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m, a8 = m, a9 = m, a10 = m, a11 = m;
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c);
            a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c);
            a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c);
            a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c);
            a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }

        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }
}
