using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace KernelGen;

/// <summary>
/// The input and output transforms of Winograd F(4×4, 3×3) (Lavin and Gray, 2016), shared by every generated
/// Winograd convolution: they depend on no layer's shape, only on the strides the generated code passes. Lanes are
/// tiles: one call transforms <c>vectors</c> vectors of consecutive tiles of one channel.
/// </summary>
/// <remarks>
/// <para>
/// Input: <c>V = Bᵀ d B</c> for each tile's 6×6 patch <c>d</c>. The generated band holds, for every tap row modulo 4 and
/// every tap column, one plane with that tap's pixel for every tile; tap (r, c) of the tile in lane l is at
/// <c>band[((r mod 4) · 6 + c) · planeStride + ⌊r / 4⌋ · tileRow + l]</c>, point (a, b) of the result goes to
/// <c>points[(6a + b) · pointStride + l]</c>.
/// </para>
/// <para>
/// Output: <c>Y = Aᵀ M A</c> for each tile's 6×6 products <c>M</c> (point (a, b) at <c>products[(6a + b) · pointStride + l]</c>),
/// pixel (r, c) of the 4×4 result to <c>tiles[(4r + c) · tileStride + l]</c>.
/// </para>
/// <para>
/// Both are additions, subtractions and multiplications by 2, 4, 5 and 8 — no fused multiply-add — so that every path
/// (each vector width and the scalar one) rounds alike: a tile's result does not depend on the hardware.
/// </para>
/// <para>
/// Each transform's scratch rows (<c>stackalloc</c>) are written whole before they are read, so they are not cleared
/// first (<see cref="SkipLocalsInitAttribute"/>): cleared, the 1.1 KB of every input transform took 7 % of ResNet-18's
/// time on an AVX2 machine (<c>dotnet-trace</c>: <c>Buffer.ZeroMemoryInternal</c> under <c>Input</c>).
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit]
public static class WinogradTransforms
{
    private const int Points = 36;

    /// <summary>The input transform on <see cref="Vector512{T}"/> lanes.</summary>
    public static void Input512(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes512>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The input transform on <see cref="Vector256{T}"/> lanes.</summary>
    public static void Input256(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes256>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The input transform on <see cref="Vector128{T}"/> lanes (x64 and ARM64).</summary>
    public static void Input128(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes128>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The input transform one tile at a time (<paramref name="vectors"/> tiles).</summary>
    public static void InputScalar(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors) =>
        Input<Lanes1>(ref band, (nuint)planeStride, (nuint)tileRow, ref points, (nuint)pointStride, vectors);

    /// <summary>The output transform on <see cref="Vector512{T}"/> lanes.</summary>
    public static void Output512(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes512>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>The output transform on <see cref="Vector256{T}"/> lanes.</summary>
    public static void Output256(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes256>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>The output transform on <see cref="Vector128{T}"/> lanes (x64 and ARM64).</summary>
    public static void Output128(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes128>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>The output transform one tile at a time (<paramref name="vectors"/> tiles).</summary>
    public static void OutputScalar(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors) =>
        Output<Lanes1>(ref products, (nuint)pointStride, ref tiles, (nuint)tileStride, bias, vectors);

    /// <summary>
    /// Stores one output row of four consecutive tiles: <paramref name="column0"/> … <paramref name="column3"/> hold pixel
    /// columns 0–3 of tiles 0–3 (lane = tile); tile k's four pixels go to <c>target[4k .. 4k + 3]</c> — a 4 × 4 transpose
    /// (SSE unpacks or NEON zips) and 16 contiguous floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreTiles4(Vector128<float> column0, Vector128<float> column1, Vector128<float> column2, Vector128<float> column3, ref float target)
    {
        Transpose4(ref column0, ref column1, ref column2, ref column3);
        column0.StoreUnsafe(ref target);
        column1.StoreUnsafe(ref target, 4);
        column2.StoreUnsafe(ref target, 8);
        column3.StoreUnsafe(ref target, 12);
    }

    /// <summary>Asks for the cache line of <paramref name="address"/> (x64: <c>prefetcht0</c>; elsewhere nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(ref float address)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref address));
        }
    }

    /// <summary>
    /// Transposes four vectors as the rows of a 4 × 4 matrix, in place: on entry <paramref name="row0"/> … <paramref name="row3"/>
    /// hold pixel columns 0–3 of four consecutive tiles (lane = tile), on return tile k's four pixels in row k (SSE unpacks
    /// or NEON zips): what <see cref="StoreTiles4"/> stores, and what a store that adds them to the output first (a residual
    /// sum fused into the convolution) adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose4(ref Vector128<float> row0, ref Vector128<float> row1, ref Vector128<float> row2, ref Vector128<float> row3)
    {
        if (Sse.IsSupported)
        {
            Vector128<float> low01 = Sse.UnpackLow(row0, row1), high01 = Sse.UnpackHigh(row0, row1);
            Vector128<float> low23 = Sse.UnpackLow(row2, row3), high23 = Sse.UnpackHigh(row2, row3);
            row0 = Sse.MoveLowToHigh(low01, low23);
            row1 = Sse.MoveHighToLow(low23, low01);
            row2 = Sse.MoveLowToHigh(high01, high23);
            row3 = Sse.MoveHighToLow(high23, high01);
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            Vector128<ulong> low01 = AdvSimd.Arm64.ZipLow(row0, row1).AsUInt64(), high01 = AdvSimd.Arm64.ZipHigh(row0, row1).AsUInt64();
            Vector128<ulong> low23 = AdvSimd.Arm64.ZipLow(row2, row3).AsUInt64(), high23 = AdvSimd.Arm64.ZipHigh(row2, row3).AsUInt64();
            row0 = AdvSimd.Arm64.ZipLow(low01, low23).AsSingle();
            row1 = AdvSimd.Arm64.ZipHigh(low01, low23).AsSingle();
            row2 = AdvSimd.Arm64.ZipLow(high01, high23).AsSingle();
            row3 = AdvSimd.Arm64.ZipHigh(high01, high23).AsSingle();
        }
        else
        {
            Vector128<float> c0 = row0, c1 = row1, c2 = row2, c3 = row3;
            row0 = Vector128.Create(c0.GetElement(0), c1.GetElement(0), c2.GetElement(0), c3.GetElement(0));
            row1 = Vector128.Create(c0.GetElement(1), c1.GetElement(1), c2.GetElement(1), c3.GetElement(1));
            row2 = Vector128.Create(c0.GetElement(2), c1.GetElement(2), c2.GetElement(2), c3.GetElement(2));
            row3 = Vector128.Create(c0.GetElement(3), c1.GetElement(3), c2.GetElement(3), c3.GetElement(3));
        }
    }

    /// <summary>
    /// <c>Bᵀ</c> for F(4×4, 3×3) as a matrix, row by row: <c>Bᵀ d B</c> is what <see cref="Input512"/> computes in
    /// factored form. For tests and documentation.
    /// </summary>
    public static ReadOnlySpan<float> InputMatrix =>
    [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ];

    /// <summary><c>Aᵀ</c> for F(4×4, 3×3), 4 rows of 6: <c>Aᵀ M A</c> is what <see cref="Output512"/> computes.</summary>
    public static ReadOnlySpan<float> OutputMatrix =>
    [
        1, 1, 1, 1, 1, 0,
        0, 1, -1, 2, -2, 0,
        0, 1, 1, 4, 4, 0,
        0, 1, -1, 8, -8, 1,
    ];

    /// <summary><c>G</c> for F(4×4, 3×3), 6 rows of 3: the weight transform <c>G g Gᵀ</c> (the generated packing method computes it in double).</summary>
    public static ReadOnlySpan<double> WeightMatrix =>
    [
        1.0 / 4, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    ];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Input<T>(ref float band, nuint plane, nuint row, ref float points, nuint point, int vectors)
        where T : struct, IWinogradLanes<T>
    {
        // The rows' results: 36 vectors, contiguous, so that the second pass reads back from L1 what the first wrote.
        Span<float> rows = stackalloc float[Points * T.Width];
        ref float e = ref MemoryMarshal.GetReference(rows);
        nuint width = (nuint)T.Width;
        for (int v = 0; v < vectors; v++)
        {
            ref float b = ref Unsafe.Add(ref band, v * T.Width);

            // Bᵀ along each of the patch's six rows (tap rows 4 and 5 are rows 0 and 1 of the next tile row's planes) ...
            for (nuint r = 0; r < 6; r++)
            {
                ref float taps = ref Unsafe.Add(ref b, ((r & 3) * 6 * plane) + ((r >> 2) * row));
                TransformInput(
                    T.Load(ref taps, 0), T.Load(ref taps, plane), T.Load(ref taps, 2 * plane),
                    T.Load(ref taps, 3 * plane), T.Load(ref taps, 4 * plane), T.Load(ref taps, 5 * plane),
                    ref Unsafe.Add(ref e, 6 * r * width), width);
            }

            // ... then Bᵀ down each of the six columns, stored point by point.
            ref float p = ref Unsafe.Add(ref points, v * T.Width);
            for (nuint c = 0; c < 6; c++)
            {
                ref float column = ref Unsafe.Add(ref e, c * width);
                TransformInput(
                    T.Load(ref column, 0), T.Load(ref column, 6 * width), T.Load(ref column, 12 * width),
                    T.Load(ref column, 18 * width), T.Load(ref column, 24 * width), T.Load(ref column, 30 * width),
                    ref Unsafe.Add(ref p, c * point), 6 * point);
            }
        }
    }

    /// <summary>Bᵀ times six values, factored (12 additions or subtractions, 6 multiplications); result i stored at <c>target[i · step]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformInput<T>(T d0, T d1, T d2, T d3, T d4, T d5, ref float target, nuint step)
        where T : struct, IWinogradLanes<T>
    {
        T.Store(T.Add(T.Subtract(T.Scale(d0, 4f), T.Scale(d2, 5f)), d4), ref target, 0);
        T a = T.Subtract(d4, T.Scale(d2, 4f)), b = T.Subtract(d3, T.Scale(d1, 4f));
        T.Store(T.Add(a, b), ref target, step);
        T.Store(T.Subtract(a, b), ref target, 2 * step);
        T c = T.Subtract(d4, d2), e = T.Scale(T.Subtract(d3, d1), 2f);
        T.Store(T.Add(c, e), ref target, 3 * step);
        T.Store(T.Subtract(c, e), ref target, 4 * step);
        T.Store(T.Add(T.Subtract(T.Scale(d1, 4f), T.Scale(d3, 5f)), d5), ref target, 5 * step);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Output<T>(ref float products, nuint point, ref float tiles, nuint tile, float bias, int vectors)
        where T : struct, IWinogradLanes<T>
    {
        // The rows' results: 6 rows × 4 vectors, contiguous.
        Span<float> rows = stackalloc float[6 * 4 * T.Width];
        ref float s = ref MemoryMarshal.GetReference(rows);
        nuint width = (nuint)T.Width;
        T offset = T.Broadcast(bias);
        for (int v = 0; v < vectors; v++)
        {
            ref float m = ref Unsafe.Add(ref products, v * T.Width);

            // Aᵀ along each of the six rows of products ...
            for (nuint a = 0; a < 6; a++)
            {
                ref float row = ref Unsafe.Add(ref m, 6 * a * point);
                TransformOutput(
                    T.Load(ref row, 0), T.Load(ref row, point), T.Load(ref row, 2 * point),
                    T.Load(ref row, 3 * point), T.Load(ref row, 4 * point), T.Load(ref row, 5 * point),
                    T.Zero, ref Unsafe.Add(ref s, 4 * a * width), width);
            }

            // ... then Aᵀ down each of the four columns, plus the bias: output pixel (r, c) of every tile.
            ref float y = ref Unsafe.Add(ref tiles, v * T.Width);
            for (nuint c = 0; c < 4; c++)
            {
                ref float column = ref Unsafe.Add(ref s, c * width);
                TransformOutput(
                    T.Load(ref column, 0), T.Load(ref column, 4 * width), T.Load(ref column, 8 * width),
                    T.Load(ref column, 12 * width), T.Load(ref column, 16 * width), T.Load(ref column, 20 * width),
                    offset, ref Unsafe.Add(ref y, c * tile), 4 * tile);
            }
        }
    }

    /// <summary>Aᵀ times six values, factored (10 additions or subtractions, 3 multiplications), plus <paramref name="offset"/>; result i stored at <c>target[i · step]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransformOutput<T>(T m0, T m1, T m2, T m3, T m4, T m5, T offset, ref float target, nuint step)
        where T : struct, IWinogradLanes<T>
    {
        T s12 = T.Add(m1, m2), d12 = T.Subtract(m1, m2), s34 = T.Add(m3, m4), d34 = T.Subtract(m3, m4);
        T.Store(T.Add(T.Add(T.Add(m0, s12), s34), offset), ref target, 0);
        T.Store(T.Add(T.Add(d12, T.Scale(d34, 2f)), offset), ref target, step);
        T.Store(T.Add(T.Add(s12, T.Scale(s34, 4f)), offset), ref target, 2 * step);
        T.Store(T.Add(T.Add(T.Add(d12, T.Scale(d34, 8f)), m5), offset), ref target, 3 * step);
    }
}
