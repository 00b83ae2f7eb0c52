using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KernelGen;

/// <summary>
/// Copies one padded input row into the six planes of a generated Winograd tile band, shared by every generated
/// Winograd convolution: plane <c>j</c> (tap column 0–5) gets, for tile column <c>tx</c>, the row's pixel
/// <c>4tx + j</c> at <c>target[j · planeStride + tx]</c> — a stride-4 gather, done 16 tiles at a time by
/// de-interleaving four vectors with two-source permutes where AVX-512 is there.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
[SkipLocalsInit] // The lanes of a row's last tiles are stored whole before they are copied: no need to clear them first.
public static class WinogradBandRows
{
    /// <summary>Floats a padded row must hold (readable, zero past its pixels) for <see cref="Fill"/> to fill <paramref name="columns"/> tile columns.</summary>
    public static int PaddedLength(int columns) => (64 * ((columns + 15) / 16)) + 16;

    /// <summary>
    /// Plane j = 0 … 5 of <paramref name="target"/> (planes <paramref name="planeStride"/> apart) gets, for tile columns
    /// 0 … <paramref name="columns"/> − 1, <c>padded[4tx + j]</c>; nothing else is written. <paramref name="padded"/> holds
    /// at least <see cref="PaddedLength"/> floats.
    /// </summary>
    public static void Fill(ReadOnlySpan<float> padded, ref float target, int planeStride, int columns)
    {
        if (padded.Length < PaddedLength(columns))
        {
            throw new ArgumentException($"A padded row for {columns} tile columns holds at least {PaddedLength(columns)} floats, not {padded.Length}.", nameof(padded));
        }

        if (Avx512F.IsSupported)
        {
            Fill512(ref MemoryMarshal.GetReference(padded), ref target, (nuint)planeStride, columns);
            return;
        }

        for (int j = 0; j < 6; j++)
        {
            ref float plane = ref Unsafe.Add(ref target, j * planeStride);
            for (int tx = 0; tx < columns; tx++)
            {
                Unsafe.Add(ref plane, tx) = padded[(4 * tx) + j];
            }
        }
    }

    /// <summary>
    /// 16 tiles per step: four loads de-interleaved into the tap columns 0–3 (two rounds of two-source permutes: pairs of
    /// phases from each half, then each phase from both), columns 4 and 5 as columns 0 and 1 one tile on (the next step's
    /// first pixels from a fifth load), stored whole or, in the last step, only the tiles that exist.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Fill512(ref float padded, ref float target, nuint plane, int columns)
    {
        int whole = columns & ~15;
        for (int tx = 0; tx < whole; tx += 16)
        {
            Step(ref Unsafe.Add(ref padded, 4 * tx), out Vector512<float> c0, out Vector512<float> c1, out Vector512<float> c2, out Vector512<float> c3, out Vector512<float> c4, out Vector512<float> c5);
            ref float t = ref Unsafe.Add(ref target, tx);
            c0.StoreUnsafe(ref t);
            c1.StoreUnsafe(ref t, plane);
            c2.StoreUnsafe(ref t, 2 * plane);
            c3.StoreUnsafe(ref t, 3 * plane);
            c4.StoreUnsafe(ref t, 4 * plane);
            c5.StoreUnsafe(ref t, 5 * plane);
        }

        int left = columns - whole;
        if (left == 0)
        {
            return;
        }

        // The last, partial step: only the lanes of tiles that exist are stored.
        Step(ref Unsafe.Add(ref padded, 4 * whole), out Vector512<float> l0, out Vector512<float> l1, out Vector512<float> l2, out Vector512<float> l3, out Vector512<float> l4, out Vector512<float> l5);
        ref float last = ref Unsafe.Add(ref target, whole);
#if NET9_0_OR_GREATER
        Vector512<float> mask = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(left)).AsSingle();
        fixed (float* p = &last)
        {
            Avx512F.MaskStore(p, mask, l0);
            Avx512F.MaskStore(p + plane, mask, l1);
            Avx512F.MaskStore(p + (2 * plane), mask, l2);
            Avx512F.MaskStore(p + (3 * plane), mask, l3);
            Avx512F.MaskStore(p + (4 * plane), mask, l4);
            Avx512F.MaskStore(p + (5 * plane), mask, l5);
        }
#else
        Span<float> lanes = stackalloc float[96];
        ref float l = ref MemoryMarshal.GetReference(lanes);
        l0.StoreUnsafe(ref l);
        l1.StoreUnsafe(ref l, 16);
        l2.StoreUnsafe(ref l, 32);
        l3.StoreUnsafe(ref l, 48);
        l4.StoreUnsafe(ref l, 64);
        l5.StoreUnsafe(ref l, 80);
        for (int j = 0; j < 6; j++)
        {
            lanes.Slice(16 * j, left).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref last, (nuint)j * plane), left));
        }
#endif
    }

    /// <summary>Tap columns 0–5 of the 16 tiles whose pixels start at <paramref name="source"/> (80 floats read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref float source, out Vector512<float> column0, out Vector512<float> column1, out Vector512<float> column2,
        out Vector512<float> column3, out Vector512<float> column4, out Vector512<float> column5)
    {
        // Round one: phases 0 and 1 (or 2 and 3) of a vector pair's eight tiles, in its low and high halves.
        Vector512<int> phases01 = Vector512.Create(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
        Vector512<int> phases23 = Vector512.Create(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
        // Round two: one phase of all 16 tiles from the low (or high) halves of both pairs.
        Vector512<int> low = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
        Vector512<int> high = Vector512.Create(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
        // Tap columns 4 and 5: lanes 1–15 of columns 0 and 1, then the next step's first tile.
        Vector512<int> next0 = Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
        Vector512<int> next1 = Vector512.Create(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17);
        Vector512<float> a = Vector512.LoadUnsafe(ref source), b = Vector512.LoadUnsafe(ref source, 16);
        Vector512<float> c = Vector512.LoadUnsafe(ref source, 32), d = Vector512.LoadUnsafe(ref source, 48);
        Vector512<float> e = Vector512.LoadUnsafe(ref source, 64);
        Vector512<float> ab01 = Avx512F.PermuteVar16x32x2(a, phases01, b), ab23 = Avx512F.PermuteVar16x32x2(a, phases23, b);
        Vector512<float> cd01 = Avx512F.PermuteVar16x32x2(c, phases01, d), cd23 = Avx512F.PermuteVar16x32x2(c, phases23, d);
        column0 = Avx512F.PermuteVar16x32x2(ab01, low, cd01);
        column1 = Avx512F.PermuteVar16x32x2(ab01, high, cd01);
        column2 = Avx512F.PermuteVar16x32x2(ab23, low, cd23);
        column3 = Avx512F.PermuteVar16x32x2(ab23, high, cd23);
        column4 = Avx512F.PermuteVar16x32x2(column0, next0, e);
        column5 = Avx512F.PermuteVar16x32x2(column1, next1, e);
    }
}
