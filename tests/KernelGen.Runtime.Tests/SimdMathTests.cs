using System.Runtime.Intrinsics;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// The vector operations the generated pools and ReLU share (<see cref="SimdMath"/>), lane by lane against
/// <see cref="Math.Max(float, float)"/> and the definition of the split, at every width and on whichever instructions
/// this run's hardware path uses (CI runs these with AVX-512, AVX2, SSE alone and no SIMD).
/// </summary>
public class SimdMathTests
{
    /// <summary>Pairs that reach every branch: ordered, equal, either or both NaN, ±0 both ways, infinities.</summary>
    private static readonly (float A, float B)[] Pairs =
    [
        (1f, 2f), (2f, 1f), (-3f, -3f), (float.NaN, 1f), (1f, float.NaN), (float.NaN, float.NaN), (-0f, 0f), (0f, -0f),
        (float.NegativeInfinity, -1f), (float.PositiveInfinity, float.NaN), (-5f, 0f), (float.Epsilon, -0f), (3f, float.NegativeInfinity),
        (-2f, -1f), (7f, 7.5f), (float.MaxValue, float.PositiveInfinity),
    ];

    [Fact]
    public void MaxOrNaN_is_the_larger_NaN_where_either_is_and_a_zero_where_both_are()
    {
        float[] a = [.. Pairs.Select(p => p.A)], b = [.. Pairs.Select(p => p.B)];
        float[] r128 = new float[16], r256 = new float[16], r512 = new float[16];
        for (int i = 0; i < 16; i += 4)
        {
            SimdMath.MaxOrNaN(Vector128.Create(a, i), Vector128.Create(b, i)).CopyTo(r128, i);
        }

        for (int i = 0; i < 16; i += 8)
        {
            SimdMath.MaxOrNaN(Vector256.Create(a, i), Vector256.Create(b, i)).CopyTo(r256, i);
        }

        SimdMath.MaxOrNaN(Vector512.Create(a), Vector512.Create(b)).CopyTo(r512);
        foreach (float[] result in new[] { r128, r256, r512 })
        {
            for (int i = 0; i < Pairs.Length; i++)
            {
                float expected = Math.Max(a[i], b[i]);
                Assert.True(float.IsNaN(expected) ? float.IsNaN(result[i]) : result[i] == expected, $"MaxOrNaN({a[i]}, {b[i]}) gave {result[i]}, not {expected}");
            }
        }
    }

    /// <summary>ReLU's use, <c>MaxOrNaN(x, 0)</c>: +0 for −0, as <see cref="Math.Max(float, float)"/> gives — the same bits, not only an equal value.</summary>
    [Fact]
    public void MaxOrNaN_with_zero_gives_positive_zero_for_negative_zero()
    {
        Assert.Equal(0, BitConverter.SingleToInt32Bits(SimdMath.MaxOrNaN(Vector128.Create(-0f), Vector128<float>.Zero).GetElement(3)));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(SimdMath.MaxOrNaN(Vector256.Create(-0f), Vector256<float>.Zero).GetElement(7)));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(SimdMath.MaxOrNaN(Vector512.Create(-0f), Vector512<float>.Zero).GetElement(15)));
    }

    [Fact]
    public void Evens_and_odds_take_the_lanes_of_the_first_vector_then_the_second()
    {
        float[] values = [.. Enumerable.Range(0, 32).Select(i => (float)i)];
        Check(SimdMath.Evens(Vector128.Create(values, 0), Vector128.Create(values, 4)).ToArray(), SimdMath.Odds(Vector128.Create(values, 0), Vector128.Create(values, 4)).ToArray());
        Check(SimdMath.Evens(Vector256.Create(values, 0), Vector256.Create(values, 8)).ToArray(), SimdMath.Odds(Vector256.Create(values, 0), Vector256.Create(values, 8)).ToArray());
        Check(SimdMath.Evens(Vector512.Create(values, 0), Vector512.Create(values, 16)).ToArray(), SimdMath.Odds(Vector512.Create(values, 0), Vector512.Create(values, 16)).ToArray());

        static void Check(float[] evens, float[] odds)
        {
            Assert.Equal(Enumerable.Range(0, evens.Length).Select(i => 2f * i), evens);
            Assert.Equal(Enumerable.Range(0, odds.Length).Select(i => (2f * i) + 1), odds);
        }
    }
}

file static class VectorLanes
{
    public static float[] ToArray(this Vector128<float> v) => [.. Enumerable.Range(0, Vector128<float>.Count).Select(i => v.GetElement(i))];

    public static float[] ToArray(this Vector256<float> v) => [.. Enumerable.Range(0, Vector256<float>.Count).Select(i => v.GetElement(i))];

    public static float[] ToArray(this Vector512<float> v) => [.. Enumerable.Range(0, Vector512<float>.Count).Select(i => v.GetElement(i))];
}
