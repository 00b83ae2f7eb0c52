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
                    int count = Math.Min(16, pixels - i);
                    if (count <= 8 && count % 4 == 0)
                    {
                        // Four or eight pixels: half of the transpose, and 128-bit stores.
                        for (int q = 0; q < count; q += 4)
                        {
                            Store4(ref Unsafe.Add(ref tile, ((i + q) * stride) + j), stride, Math.Min(16, channels - j), ref Unsafe.Add(ref output, (j * plane) + i + q), plane);
                        }

                        continue;
                    }

                    Store16(ref Unsafe.Add(ref tile, (i * stride) + j), stride, count, Math.Min(16, channels - j),
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
    /// <remarks>Not inlined: a method with a pinned local is not, and one call per block costs little.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static unsafe void Store16(ref float tile, int stride, int pixels, int channels, ref float output, int plane)
    {
        int last = pixels - 1;
        Vector512<float> r0 = Row512(ref tile, 0, last, stride), r1 = Row512(ref tile, 1, last, stride), r2 = Row512(ref tile, 2, last, stride), r3 = Row512(ref tile, 3, last, stride);
        Vector512<float> r4 = Row512(ref tile, 4, last, stride), r5 = Row512(ref tile, 5, last, stride), r6 = Row512(ref tile, 6, last, stride), r7 = Row512(ref tile, 7, last, stride);
        Vector512<float> r8 = Row512(ref tile, 8, last, stride), r9 = Row512(ref tile, 9, last, stride), r10 = Row512(ref tile, 10, last, stride), r11 = Row512(ref tile, 11, last, stride);
        Vector512<float> r12 = Row512(ref tile, 12, last, stride), r13 = Row512(ref tile, 13, last, stride), r14 = Row512(ref tile, 14, last, stride), r15 = Row512(ref tile, 15, last, stride);

        // Round 1, in each 128-bit lane: pixels 2k and 2k + 1 interleaved.
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);

        // Round 2: lane l of u(4q + k) holds pixels 4q .. 4q + 3 of channel 4l + k (pairs of round 1's rows interleaved as doubles).
        Vector512<float> u0 = Low(t0, t2), u1 = High(t0, t2), u2 = Low(t1, t3), u3 = High(t1, t3);
        Vector512<float> u4 = Low(t4, t6), u5 = High(t4, t6), u6 = Low(t5, t7), u7 = High(t5, t7);
        Vector512<float> u8 = Low(t8, t10), u9 = High(t8, t10), u10 = Low(t9, t11), u11 = High(t9, t11);
        Vector512<float> u12 = Low(t12, t14), u13 = High(t12, t14), u14 = Low(t13, t15), u15 = High(t13, t15);

        // Round 3: 0x88 takes 128-bit lanes 0 and 2 of each source, 0xDD lanes 1 and 3; v(k) holds pixels 0 .. 7 of
        // channels k and k + 8 (w(k): k + 4 and k + 12), v(4 + k) and w(4 + k) pixels 8 .. 15.
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), w0 = Avx512F.Shuffle4x128(u0, u4, 0xDD);
        Vector512<float> v1 = Avx512F.Shuffle4x128(u1, u5, 0x88), w1 = Avx512F.Shuffle4x128(u1, u5, 0xDD);
        Vector512<float> v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), w2 = Avx512F.Shuffle4x128(u2, u6, 0xDD);
        Vector512<float> v3 = Avx512F.Shuffle4x128(u3, u7, 0x88), w3 = Avx512F.Shuffle4x128(u3, u7, 0xDD);
        Vector512<float> v4 = Avx512F.Shuffle4x128(u8, u12, 0x88), w4 = Avx512F.Shuffle4x128(u8, u12, 0xDD);
        Vector512<float> v5 = Avx512F.Shuffle4x128(u9, u13, 0x88), w5 = Avx512F.Shuffle4x128(u9, u13, 0xDD);
        Vector512<float> v6 = Avx512F.Shuffle4x128(u10, u14, 0x88), w6 = Avx512F.Shuffle4x128(u10, u14, 0xDD);
        Vector512<float> v7 = Avx512F.Shuffle4x128(u11, u15, 0x88), w7 = Avx512F.Shuffle4x128(u11, u15, 0xDD);

        // Round 4: each channel's 16 pixels, stored.
        fixed (float* target = &output)
        {
            Vector512<float> mask = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(pixels)).AsSingle();
            Channel(Avx512F.Shuffle4x128(v0, v4, 0x88), 0, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v1, v5, 0x88), 1, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v2, v6, 0x88), 2, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v3, v7, 0x88), 3, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w0, w4, 0x88), 4, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w1, w5, 0x88), 5, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w2, w6, 0x88), 6, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w3, w7, 0x88), 7, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v0, v4, 0xDD), 8, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v1, v5, 0xDD), 9, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v2, v6, 0xDD), 10, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(v3, v7, 0xDD), 11, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w0, w4, 0xDD), 12, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w1, w5, 0xDD), 13, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w2, w6, 0xDD), 14, channels, target, plane, mask);
            Channel(Avx512F.Shuffle4x128(w3, w7, 0xDD), 15, channels, target, plane, mask);
        }
    }

    /// <summary>
    /// Four pixels × up to 16 channels: <see cref="Store16"/>'s first two rounds leave lane l of u(k) holding the four
    /// pixels of channel 4l + k, each stored as one 128-bit vector — a quarter of the shuffles where a tile is four pixels
    /// wide (resnet_3x3_s2's tiles of 4 pixels × 64 channels spent 5 % of the layer in the full transpose).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void Store4(ref float tile, int stride, int channels, ref float output, int plane)
    {
        if (channels < 16)
        {
            for (int j = 0; j < channels; j++)
            {
                for (int i = 0; i < 4; i++)
                {
                    Unsafe.Add(ref output, (j * plane) + i) = Unsafe.Add(ref tile, (i * stride) + j);
                }
            }

            return;
        }

        Vector512<float> r0 = Vector512.LoadUnsafe(ref tile), r1 = Vector512.LoadUnsafe(ref tile, (nuint)stride);
        Vector512<float> r2 = Vector512.LoadUnsafe(ref tile, (nuint)(2 * stride)), r3 = Vector512.LoadUnsafe(ref tile, (nuint)(3 * stride));
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> u0 = Low(t0, t2), u1 = High(t0, t2), u2 = Low(t1, t3), u3 = High(t1, t3);
        nuint p = (nuint)plane;
        Avx512F.ExtractVector128(u0, 0).StoreUnsafe(ref output);
        Avx512F.ExtractVector128(u1, 0).StoreUnsafe(ref output, p);
        Avx512F.ExtractVector128(u2, 0).StoreUnsafe(ref output, 2 * p);
        Avx512F.ExtractVector128(u3, 0).StoreUnsafe(ref output, 3 * p);
        Avx512F.ExtractVector128(u0, 1).StoreUnsafe(ref output, 4 * p);
        Avx512F.ExtractVector128(u1, 1).StoreUnsafe(ref output, 5 * p);
        Avx512F.ExtractVector128(u2, 1).StoreUnsafe(ref output, 6 * p);
        Avx512F.ExtractVector128(u3, 1).StoreUnsafe(ref output, 7 * p);
        Avx512F.ExtractVector128(u0, 2).StoreUnsafe(ref output, 8 * p);
        Avx512F.ExtractVector128(u1, 2).StoreUnsafe(ref output, 9 * p);
        Avx512F.ExtractVector128(u2, 2).StoreUnsafe(ref output, 10 * p);
        Avx512F.ExtractVector128(u3, 2).StoreUnsafe(ref output, 11 * p);
        Avx512F.ExtractVector128(u0, 3).StoreUnsafe(ref output, 12 * p);
        Avx512F.ExtractVector128(u1, 3).StoreUnsafe(ref output, 13 * p);
        Avx512F.ExtractVector128(u2, 3).StoreUnsafe(ref output, 14 * p);
        Avx512F.ExtractVector128(u3, 3).StoreUnsafe(ref output, 15 * p);
    }

    /// <summary>Pixel <paramref name="i"/>'s 16 channels, or the last pixel's past it (lanes the masked stores leave out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row512(ref float tile, int i, int last, int stride) => Vector512.LoadUnsafe(ref tile, (nuint)(Math.Min(i, last) * stride));

    /// <summary>Pixel <paramref name="i"/>'s 8 channels, or the last pixel's past it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Row256(ref float tile, int i, int last, int stride) => Vector256.LoadUnsafe(ref tile, (nuint)(Math.Min(i, last) * stride));

    /// <summary>Lanes 0 of each pair of doubles of <paramref name="a"/> and <paramref name="b"/>, interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Low(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    /// <summary>Lanes 1 of each pair of doubles of <paramref name="a"/> and <paramref name="b"/>, interleaved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> High(Vector512<float> a, Vector512<float> b) => Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

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
        Vector256<float> r0 = Row256(ref tile, 0, last, stride), r1 = Row256(ref tile, 1, last, stride), r2 = Row256(ref tile, 2, last, stride), r3 = Row256(ref tile, 3, last, stride);
        Vector256<float> r4 = Row256(ref tile, 4, last, stride), r5 = Row256(ref tile, 5, last, stride), r6 = Row256(ref tile, 6, last, stride), r7 = Row256(ref tile, 7, last, stride);
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
