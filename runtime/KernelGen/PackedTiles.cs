using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KernelGen;

/// <summary>
/// The store of the packed direct form's register tiles, shared by every generated packed convolution: a tile's results
/// lie [pixel, channel] (the output channels on the vector axis), the output's planes [channel, pixel]. Blocks of 16
/// pixels × 16 channels (8 × 8 with AVX alone) are transposed in registers and each channel's pixels stored as one vector;
/// without those instructions, one float at a time. The values are moved, not changed: every path stores the same bits.
/// </summary>
/// <remarks>
/// Each channel's pixels are written with a masked store (AVX-512) or, for a partial block with AVX alone, lane by lane:
/// nothing past a tile's pixels is written, so the parts of a split call never write each other's outputs.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PackedTiles
{
    /// <summary>
    /// Writes pixels 0 .. <paramref name="pixels"/> − 1 of the tile's channels 0 .. <paramref name="channels"/> − 1
    /// (<c>tile[pixel · stride + channel]</c>) to <c>output[channel · plane + pixel]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Store(ref float tile, int stride, int pixels, int channels, ref float output, int plane)
    {
        if (Avx512F.IsSupported && stride % 16 == 0)
        {
            for (int j = 0; j < channels; j += 16)
            {
                for (int i = 0; i < pixels; i += 16)
                {
                    Store16(ref Unsafe.Add(ref tile, (i * stride) + j), stride, Math.Min(16, pixels - i), Math.Min(16, channels - j),
                        ref Unsafe.Add(ref output, (j * plane) + i), plane);
                }
            }
        }
        else if (Avx.IsSupported && stride % 8 == 0)
        {
            for (int j = 0; j < channels; j += 8)
            {
                for (int i = 0; i < pixels; i += 8)
                {
                    Store8(ref Unsafe.Add(ref tile, (i * stride) + j), stride, Math.Min(8, pixels - i), Math.Min(8, channels - j),
                        ref Unsafe.Add(ref output, (j * plane) + i), plane);
                }
            }
        }
        else
        {
            for (int j = 0; j < channels; j++)
            {
                for (int i = 0; i < pixels; i++)
                {
                    Unsafe.Add(ref output, (j * plane) + i) = Unsafe.Add(ref tile, (i * stride) + j);
                }
            }
        }
    }

    /// <summary>
    /// Up to 16 pixels × 16 channels: rows (pixels) loaded whole — a row past the last pixel repeats it, its lanes masked
    /// off —, transposed in four rounds of 16 shuffles, each channel's row stored under a mask of <paramref name="pixels"/> lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store16(ref float tile, int stride, int pixels, int channels, ref float output, int plane)
    {
        int last = pixels - 1;
        Vector512<float> Row(ref float tile, int i) => Vector512.LoadUnsafe(ref tile, (nuint)(Math.Min(i, last) * stride));
        Vector512<float> r0 = Row(ref tile, 0), r1 = Row(ref tile, 1), r2 = Row(ref tile, 2), r3 = Row(ref tile, 3);
        Vector512<float> r4 = Row(ref tile, 4), r5 = Row(ref tile, 5), r6 = Row(ref tile, 6), r7 = Row(ref tile, 7);
        Vector512<float> r8 = Row(ref tile, 8), r9 = Row(ref tile, 9), r10 = Row(ref tile, 10), r11 = Row(ref tile, 11);
        Vector512<float> r12 = Row(ref tile, 12), r13 = Row(ref tile, 13), r14 = Row(ref tile, 14), r15 = Row(ref tile, 15);

        // Round 1, in each 128-bit lane: pixels 2k and 2k + 1 interleaved.
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);

        // Round 2: lane l of u(4q + k) holds pixels 4q .. 4q + 3 of channel 4l + k.
        (Vector512<float> u0, Vector512<float> u1, Vector512<float> u2, Vector512<float> u3) = Quads(t0, t1, t2, t3);
        (Vector512<float> u4, Vector512<float> u5, Vector512<float> u6, Vector512<float> u7) = Quads(t4, t5, t6, t7);
        (Vector512<float> u8, Vector512<float> u9, Vector512<float> u10, Vector512<float> u11) = Quads(t8, t9, t10, t11);
        (Vector512<float> u12, Vector512<float> u13, Vector512<float> u14, Vector512<float> u15) = Quads(t12, t13, t14, t15);

        // Rounds 3 and 4: the 128-bit lanes gathered, four channels' rows at a time.
        fixed (float* target = &output)
        {
            Vector512<float> mask = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(pixels)).AsSingle();
            Columns(u0, u4, u8, u12, 0, channels, target, plane, mask);
            Columns(u1, u5, u9, u13, 1, channels, target, plane, mask);
            Columns(u2, u6, u10, u14, 2, channels, target, plane, mask);
            Columns(u3, u7, u11, u15, 3, channels, target, plane, mask);
        }
    }

    /// <summary>Round 2 of <see cref="Store16"/>: pairs of round 1's rows interleaved as doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Quads(Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, Vector512<float> t3) =>
        (Avx512F.UnpackLow(t0.AsDouble(), t2.AsDouble()).AsSingle(), Avx512F.UnpackHigh(t0.AsDouble(), t2.AsDouble()).AsSingle(),
         Avx512F.UnpackLow(t1.AsDouble(), t3.AsDouble()).AsSingle(), Avx512F.UnpackHigh(t1.AsDouble(), t3.AsDouble()).AsSingle());

    /// <summary>
    /// Rounds 3 and 4 of <see cref="Store16"/> for channels k, k + 4, k + 8 and k + 12, from the round-2 rows of pixels
    /// 0–3 (<paramref name="a"/>), 4–7, 8–11 and 12–15; each channel below <paramref name="channels"/> is stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Columns(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d, int k, int channels, float* target, int plane, Vector512<float> mask)
    {
        // 0x88 takes 128-bit lanes 0 and 2 of each source, 0xDD lanes 1 and 3.
        Vector512<float> low = Avx512F.Shuffle4x128(a, b, 0x88), high = Avx512F.Shuffle4x128(a, b, 0xDD);
        Vector512<float> low2 = Avx512F.Shuffle4x128(c, d, 0x88), high2 = Avx512F.Shuffle4x128(c, d, 0xDD);
        Channel(Avx512F.Shuffle4x128(low, low2, 0x88), k, channels, target, plane, mask);
        Channel(Avx512F.Shuffle4x128(high, high2, 0x88), k + 4, channels, target, plane, mask);
        Channel(Avx512F.Shuffle4x128(low, low2, 0xDD), k + 8, channels, target, plane, mask);
        Channel(Avx512F.Shuffle4x128(high, high2, 0xDD), k + 12, channels, target, plane, mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Channel(Vector512<float> pixels, int j, int channels, float* target, int plane, Vector512<float> mask)
    {
        if (j < channels)
        {
#if NET9_0_OR_GREATER
            Avx512F.MaskStore(target + ((nint)j * plane), mask, pixels);
#else
            // .NET 8 has no masked store: the lanes under the mask one by one.
            float* row = target + ((nint)j * plane);
            for (int i = 0; i < Vector512<float>.Count && mask.GetElement(i) != 0; i++)
            {
                row[i] = pixels.GetElement(i);
            }
#endif
        }
    }

    /// <summary>
    /// Up to 8 pixels × 8 channels with AVX: transposed in three rounds of 8 shuffles; a whole row of pixels is one store,
    /// a partial one goes lane by lane (AVX's masked store is slow on AMD's cores).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store8(ref float tile, int stride, int pixels, int channels, ref float output, int plane)
    {
        int last = pixels - 1;
        Vector256<float> Row(ref float tile, int i) => Vector256.LoadUnsafe(ref tile, (nuint)(Math.Min(i, last) * stride));
        Vector256<float> r0 = Row(ref tile, 0), r1 = Row(ref tile, 1), r2 = Row(ref tile, 2), r3 = Row(ref tile, 3);
        Vector256<float> r4 = Row(ref tile, 4), r5 = Row(ref tile, 5), r6 = Row(ref tile, 6), r7 = Row(ref tile, 7);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        // Lane l of u(4q + k) holds pixels 4q .. 4q + 3 of channel 4l + k.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Channel(Avx.Permute2x128(u0, u4, 0x20), 0, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u1, u5, 0x20), 1, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u2, u6, 0x20), 2, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u3, u7, 0x20), 3, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u0, u4, 0x31), 4, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u1, u5, 0x31), 5, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u2, u6, 0x31), 6, pixels, channels, ref output, plane);
        Channel(Avx.Permute2x128(u3, u7, 0x31), 7, pixels, channels, ref output, plane);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Channel(Vector256<float> values, int j, int pixels, int channels, ref float output, int plane)
    {
        if (j >= channels)
        {
            return;
        }

        ref float target = ref Unsafe.Add(ref output, j * plane);
        if (pixels == 8)
        {
            values.StoreUnsafe(ref target);
            return;
        }

        for (int i = 0; i < pixels; i++)
        {
            Unsafe.Add(ref target, i) = values.GetElement(i);
        }
    }
}
