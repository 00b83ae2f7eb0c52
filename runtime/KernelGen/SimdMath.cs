using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KernelGen;

/// <summary>
/// Vector operations the generated kernels share, each inlined into its caller: the maximum of max pools and ReLU, and
/// the split of two vectors into their even and odd lanes that stride-2 pools use. Each condition is a JIT-time constant.
/// </summary>
/// <remarks>
/// <para><c>MaxOrNaN</c>: on x64 the hardware's maximum (<c>maxps</c>, the second operand where they are equal or
/// unordered) with every lane where either is NaN set to all ones, a NaN — three instructions where the portable
/// <c>Max</c>, which also orders −0 below +0, takes nine (maxpool_3s2 1.8× faster on an AVX2 machine); elsewhere the
/// portable <c>Max</c> (ARM64's <c>fmax</c>). A pool's window then has the reference's maximum (the first largest, NaN
/// where the window has one) but for the sign of a zero where −0 and +0 tie and a NaN's payload; ReLU's,
/// <c>MaxOrNaN(x, 0)</c>, is +0 for −0 as <c>Math.Max</c> gives.</para>
/// <para><c>Evens</c>, <c>Odds</c>: lanes 0, 2, 4, … (1, 3, 5, …) of <c>a</c>, then of <c>b</c>; on x64 a <c>shufps</c>
/// (for 256 bits and a <c>vpermpd</c> across the halves), two instructions where the portable <c>Narrow</c> of 64-bit lanes
/// takes four on AVX2; for 512 bits and elsewhere <c>Narrow</c> (AVX-512's <c>vpmovqd</c>).</para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SimdMath
{
    /// <summary>The larger of <paramref name="a"/> and <paramref name="b"/>, NaN where either is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MaxOrNaN(Vector512<float> a, Vector512<float> b) =>
        Avx512F.IsSupported ? Vector512.BitwiseOr(Avx512F.Max(a, b), Avx512F.CompareUnordered(a, b)) : Vector512.Max(a, b);

    /// <inheritdoc cref="MaxOrNaN(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MaxOrNaN(Vector256<float> a, Vector256<float> b) =>
        Avx.IsSupported ? Vector256.BitwiseOr(Avx.Max(a, b), Avx.CompareUnordered(a, b)) : Vector256.Max(a, b);

    /// <inheritdoc cref="MaxOrNaN(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> MaxOrNaN(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Vector128.BitwiseOr(Sse.Max(a, b), Sse.CompareUnordered(a, b)) : Vector128.Max(a, b);

    /// <summary>The even lanes of <paramref name="a"/>, then those of <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Evens(Vector512<float> a, Vector512<float> b) =>
        Vector512.AsSingle(Vector512.Narrow(a.AsUInt64(), b.AsUInt64()));

    /// <inheritdoc cref="Evens(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Evens(Vector256<float> a, Vector256<float> b) =>
        Avx2.IsSupported
            ? Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle()
            : Vector256.AsSingle(Vector256.Narrow(a.AsUInt64(), b.AsUInt64()));

    /// <inheritdoc cref="Evens(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Evens(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Shuffle(a, b, 0x88) : Vector128.AsSingle(Vector128.Narrow(a.AsUInt64(), b.AsUInt64()));

    /// <summary>The odd lanes of <paramref name="a"/>, then those of <paramref name="b"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Odds(Vector512<float> a, Vector512<float> b) =>
        Vector512.AsSingle(Vector512.Narrow(Vector512.ShiftRightLogical(a.AsUInt64(), 32), Vector512.ShiftRightLogical(b.AsUInt64(), 32)));

    /// <inheritdoc cref="Odds(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Odds(Vector256<float> a, Vector256<float> b) =>
        Avx2.IsSupported
            ? Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle()
            : Vector256.AsSingle(Vector256.Narrow(Vector256.ShiftRightLogical(a.AsUInt64(), 32), Vector256.ShiftRightLogical(b.AsUInt64(), 32)));

    /// <inheritdoc cref="Odds(Vector512{float}, Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Odds(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported
            ? Sse.Shuffle(a, b, 0xDD)
            : Vector128.AsSingle(Vector128.Narrow(Vector128.ShiftRightLogical(a.AsUInt64(), 32), Vector128.ShiftRightLogical(b.AsUInt64(), 32)));
}
