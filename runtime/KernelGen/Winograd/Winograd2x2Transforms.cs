using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace KernelGen;

/// <summary>
/// The input and output transforms of Winograd F(2×2, 3×3) (Lavin and Gray, 2016), shared by every generated
/// convolution that uses it: as <see cref="WinogradTransforms"/> for F(4×4, 3×3), with 4×4 patches, 16 points and
/// 2×2 output tiles. Lanes are tiles: one call transforms <c>vectors</c> vectors of consecutive tiles of one channel.
/// </summary>
/// <remarks>
/// <para>
/// Input: <c>V = Bᵀ d B</c> for each tile's 4×4 patch <c>d</c>. Tap (r, c) of the tile in lane l is at
/// <c>band[((r mod 2) · 4 + c) · planeStride + ⌊r / 2⌋ · tileRow + l]</c> (the band's 8 planes: tap row modulo 2 × tap
/// column); point (a, b) of the result goes to <c>points[(4a + b) · pointStride + l]</c>.
/// </para>
/// <para>
/// Output: <c>Y = Aᵀ M A</c> for each tile's 4×4 products <c>M</c> (point (a, b) at <c>products[(4a + b) · pointStride + l]</c>),
/// pixel (r, c) of the 2×2 result to <c>tiles[(2r + c) · tileStride + l]</c>.
/// </para>
/// <para>
/// Both are additions and subtractions only, so every path rounds alike; the weight transform's <c>G</c> holds only 0,
/// ±½ and 1. F(2×2) takes 16 products per tile and pair of channels where direct convolution takes 36 (F(4×4): 36 for
/// 144), with weights 16 / 9 of the originals (F(4×4): 4×), and rounds less: the choice for small planes, where
/// F(4×4)'s tiles leave vectors empty and its weights stream from memory.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Winograd2x2Transforms
{
    /// <summary>The input transform on <see cref="System.Runtime.Intrinsics.Vector512{T}"/> lanes.</summary>
    public static void Input512(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes512>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The input transform on <see cref="System.Runtime.Intrinsics.Vector256{T}"/> lanes.</summary>
    public static void Input256(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes256>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The input transform on <see cref="System.Runtime.Intrinsics.Vector128{T}"/> lanes (x64 and ARM64).</summary>
    public static void Input128(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes128>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The input transform one tile at a time (<paramref name="vectors"/> tiles).</summary>
    public static void InputScalar(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes1>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The output transform on <see cref="System.Runtime.Intrinsics.Vector512{T}"/> lanes.</summary>
    public static void Output512(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes512>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>The output transform on <see cref="System.Runtime.Intrinsics.Vector256{T}"/> lanes.</summary>
    public static void Output256(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes256>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>The output transform on <see cref="System.Runtime.Intrinsics.Vector128{T}"/> lanes (x64 and ARM64).</summary>
    public static void Output128(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes128>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>The output transform one tile at a time (<paramref name="vectors"/> tiles).</summary>
    public static void OutputScalar(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes1>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary><c>Bᵀ</c> for F(2×2, 3×3), 4 rows of 4: <c>Bᵀ d B</c> is what <see cref="Input512"/> computes. For tests and documentation.</summary>
    public static ReadOnlySpan<float> InputMatrix =>
    [
        1, 0, -1, 0,
        0, 1, 1, 0,
        0, -1, 1, 0,
        0, 1, 0, -1,
    ];

    /// <summary><c>Aᵀ</c> for F(2×2, 3×3), 2 rows of 4: <c>Aᵀ M A</c> is what <see cref="Output512"/> computes.</summary>
    public static ReadOnlySpan<float> OutputMatrix =>
    [
        1, 1, 1, 0,
        0, 1, -1, -1,
    ];

    /// <summary><c>G</c> for F(2×2, 3×3), 4 rows of 3: the weight transform <c>G g Gᵀ</c> (the generated packing method computes it in double).</summary>
    public static ReadOnlySpan<double> WeightMatrix =>
    [
        1, 0, 0,
        0.5, 0.5, 0.5,
        0.5, -0.5, 0.5,
        0, 0, 1,
    ];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Input<T>(ref float band, nuint plane, nuint row, ref float points, nuint point, int vectors)
        where T : struct, IWinogradLanes<T>
    {
        for (int v = 0; v < vectors; v++)
        {
            ref float b = ref Unsafe.Add(ref band, v * T.Width);

            // Bᵀ along each of the patch's four rows (tap rows 2 and 3 are rows 0 and 1 of the next tile row's planes),
            // kept in registers: 16 values.
            T r00, r01, r02, r03, r10, r11, r12, r13, r20, r21, r22, r23, r30, r31, r32, r33;
            Row(ref b, plane, out r00, out r01, out r02, out r03);
            Row(ref Unsafe.Add(ref b, 4 * plane), plane, out r10, out r11, out r12, out r13);
            Row(ref Unsafe.Add(ref b, row), plane, out r20, out r21, out r22, out r23);
            Row(ref Unsafe.Add(ref b, (4 * plane) + row), plane, out r30, out r31, out r32, out r33);

            // ... then Bᵀ down each of the four columns, stored point by point.
            ref float p = ref Unsafe.Add(ref points, v * T.Width);
            Transform(r00, r10, r20, r30, ref p, 4 * point);
            Transform(r01, r11, r21, r31, ref Unsafe.Add(ref p, point), 4 * point);
            Transform(r02, r12, r22, r32, ref Unsafe.Add(ref p, 2 * point), 4 * point);
            Transform(r03, r13, r23, r33, ref Unsafe.Add(ref p, 3 * point), 4 * point);
        }
    }

    /// <summary>Bᵀ along one patch row: its four taps are in four consecutive planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row<T>(ref float taps, nuint plane, out T t0, out T t1, out T t2, out T t3)
        where T : struct, IWinogradLanes<T>
    {
        T d0 = T.Load(ref taps, 0), d1 = T.Load(ref taps, plane), d2 = T.Load(ref taps, 2 * plane), d3 = T.Load(ref taps, 3 * plane);
        t0 = T.Subtract(d0, d2);
        t1 = T.Add(d1, d2);
        t2 = T.Subtract(d2, d1);
        t3 = T.Subtract(d1, d3);
    }

    /// <summary>Bᵀ times four values; result i stored at <c>target[i · step]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform<T>(T d0, T d1, T d2, T d3, ref float target, nuint step)
        where T : struct, IWinogradLanes<T>
    {
        T.Store(T.Subtract(d0, d2), ref target, 0);
        T.Store(T.Add(d1, d2), ref target, step);
        T.Store(T.Subtract(d2, d1), ref target, 2 * step);
        T.Store(T.Subtract(d1, d3), ref target, 3 * step);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Output<T>(ref float products, nuint point, ref float tiles, nuint tile, float bias, int vectors)
        where T : struct, IWinogradLanes<T>
    {
        T offset = T.Broadcast(bias);
        for (int v = 0; v < vectors; v++)
        {
            ref float m = ref Unsafe.Add(ref products, v * T.Width);

            // Aᵀ along each of the four rows of products: 8 values ...
            Collapse(ref m, point, out T s00, out T s01);
            Collapse(ref Unsafe.Add(ref m, 4 * point), point, out T s10, out T s11);
            Collapse(ref Unsafe.Add(ref m, 8 * point), point, out T s20, out T s21);
            Collapse(ref Unsafe.Add(ref m, 12 * point), point, out T s30, out T s31);

            // ... then Aᵀ down each of the two columns, plus the bias: output pixel (r, c) of every tile.
            ref float y = ref Unsafe.Add(ref tiles, v * T.Width);
            T.Store(T.Add(T.Add(T.Add(s00, s10), s20), offset), ref y, 0);
            T.Store(T.Add(T.Add(T.Add(s01, s11), s21), offset), ref y, tile);
            T.Store(T.Add(T.Subtract(T.Subtract(s10, s20), s30), offset), ref y, 2 * tile);
            T.Store(T.Add(T.Subtract(T.Subtract(s11, s21), s31), offset), ref y, 3 * tile);
        }
    }

    /// <summary>Aᵀ along one row of four products.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Collapse<T>(ref float row, nuint point, out T y0, out T y1)
        where T : struct, IWinogradLanes<T>
    {
        T m0 = T.Load(ref row, 0), m1 = T.Load(ref row, point), m2 = T.Load(ref row, 2 * point), m3 = T.Load(ref row, 3 * point);
        y0 = T.Add(T.Add(m0, m1), m2);
        y1 = T.Subtract(T.Subtract(m1, m2), m3);
    }
}
