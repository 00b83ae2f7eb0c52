using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen;

public static partial class Generic
{
    /// <summary>2-D max pool of any shape, computing what <see cref="Reference.MaxPool2D{T}"/> computes (padding never wins).</summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">NCHW input, <c>batch * geometry.InputLength</c> elements.</param>
    /// <param name="output">NCHW output, <c>batch * geometry.OutputLength</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void MaxPool2D(Pool2DGeometry geometry, ReadOnlySpan<float> input, Span<float> output, int batch = 1) =>
        Pool(geometry, input, output, batch, max: true, countIncludePad: false);

    /// <summary>2-D average pool of any shape, computing what <see cref="Reference.AvgPool2D{T}"/> computes.</summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">NCHW input, <c>batch * geometry.InputLength</c> elements.</param>
    /// <param name="output">NCHW output, <c>batch * geometry.OutputLength</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="countIncludePad">Count padding positions in the divisor.</param>
    public static void AvgPool2D(Pool2DGeometry geometry, ReadOnlySpan<float> input, Span<float> output, int batch = 1, bool countIncludePad = false) =>
        Pool(geometry, input, output, batch, max: false, countIncludePad);

    /// <summary>Global average pool: the mean of each <paramref name="height"/> × <paramref name="width"/> plane.</summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="output"><c>batch * channels</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void GlobalAvgPool2D(int channels, int height, int width, ReadOnlySpan<float> input, Span<float> output, int batch = 1)
    {
        var g = Pool2DGeometry.Global(channels, height, width);
        KernelArguments.Batch(batch);
        KernelArguments.Length(input.Length, batch, g.InputLength, nameof(input));
        KernelArguments.Length(output.Length, batch, channels, nameof(output));

        int plane = height * width, lanes = Lanes, blocked = plane / (4 * lanes) * 4 * lanes;
        for (int p = 0; p < batch * channels; p++)
        {
            ref float values = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), p * plane);
            Vector<float> a0 = Vector<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            int i = 0;
            for (; i < blocked; i += 4 * lanes)
            {
                a0 += Vector.LoadUnsafe(ref values, (nuint)i);
                a1 += Vector.LoadUnsafe(ref values, (nuint)(i + lanes));
                a2 += Vector.LoadUnsafe(ref values, (nuint)(i + (2 * lanes)));
                a3 += Vector.LoadUnsafe(ref values, (nuint)(i + (3 * lanes)));
            }

            for (; i + lanes <= plane; i += lanes)
            {
                a0 += Vector.LoadUnsafe(ref values, (nuint)i);
            }

            float sum = Vector.Sum((a0 + a1) + (a2 + a3));
            for (; i < plane; i++)
            {
                sum += Unsafe.Add(ref values, i);
            }

            output[p] = sum * (1f / plane);
        }
    }

    /// <summary>Global max pool: each channel plane becomes its largest element (a NaN makes it NaN), as <see cref="Reference.GlobalMaxPool2D"/>.</summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="output"><c>batch * channels</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void GlobalMaxPool2D(int channels, int height, int width, ReadOnlySpan<float> input, Span<float> output, int batch = 1)
    {
        var g = Pool2DGeometry.Global(channels, height, width);
        KernelArguments.Batch(batch);
        KernelArguments.Length(input.Length, batch, g.InputLength, nameof(input));
        KernelArguments.Length(output.Length, batch, channels, nameof(output));

        int plane = height * width, lanes = Lanes;
        for (int p = 0; p < batch * channels; p++)
        {
            ref float values = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), p * plane);
            float max = values;
            int i = 0;
            if (plane >= lanes)
            {
                // Whole vectors, the last one ending at the plane's end (a maximum may read an element twice).
                Vector<float> a = Vector.LoadUnsafe(ref values);
                for (i = lanes; i + lanes <= plane; i += lanes)
                {
                    a = Vector.Max(a, Vector.LoadUnsafe(ref values, (nuint)i));
                }

                a = Vector.Max(a, Vector.LoadUnsafe(ref values, (nuint)(plane - lanes)));
                for (int lane = 0; lane < lanes; lane++)
                {
                    max = MathF.Max(max, a[lane]);
                }

                i = plane;
            }

            for (; i < plane; i++)
            {
                max = MathF.Max(max, Unsafe.Add(ref values, i));
            }

            output[p] = max;
        }
    }

    private static void Pool(Pool2DGeometry geometry, ReadOnlySpan<float> input, Span<float> output, int batch, bool max, bool countIncludePad)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        KernelArguments.Batch(batch);
        KernelArguments.Length(input.Length, batch, geometry.InputLength, nameof(input));
        KernelArguments.Length(output.Length, batch, geometry.OutputLength, nameof(output));

        Pool2DGeometry g = geometry;
        int lanes = Lanes, phases = g.StrideWidth;
        int dh = g.DilationHeight, dw = g.DilationWidth;
        var band = new Band(g.Height, g.Width, g.KernelHeight, dh, g.PadLeft,
            phases, RoundUp(g.OutputWidth, lanes) + ((g.KernelWidth - 1) * dw / phases), max ? float.NegativeInfinity : 0f);
        int bandLength = band.ChannelStride;
        using var buffer = new BandBuffer(bandLength <= BandLimit ? stackalloc float[bandLength] : default, bandLength);
        Span<float> bandSpan = buffer.Span;
        bandSpan.Fill(band.PadValue);
        Span<float> scale = stackalloc float[lanes];

        for (int p = 0; p < batch * g.Channels; p++)
        {
            ReadOnlySpan<float> plane = input.Slice(p * g.Height * g.Width, g.Height * g.Width);
            for (int oy = 0; oy < g.OutputHeight; oy++)
            {
                band.Fill(plane, bandSpan, (oy * g.StrideHeight) - g.PadTop, 1);
                Span<float> row = output.Slice((p * g.OutputHeight * g.OutputWidth) + (oy * g.OutputWidth), g.OutputWidth);
                int top = (oy * g.StrideHeight) - g.PadTop;
                int rows = Math.Min(g.Height, top + g.KernelHeight) - Math.Max(0, top);
                for (int x0 = 0; x0 < g.OutputWidth; x0 += lanes)
                {
                    Vector<float> acc = new(band.PadValue);
                    ref float start = ref Unsafe.Add(ref MemoryMarshal.GetReference(bandSpan), x0);
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                    {
                        ref float bandRow = ref Unsafe.Add(ref start, ky * band.RowStride);
                        for (int kx = 0; kx < g.KernelWidth; kx++)
                        {
                            int column = kx * dw;
                            Vector<float> x = Vector.LoadUnsafe(ref bandRow, (nuint)((column % phases * band.RowLength) + (column / phases)));
                            acc = max ? Vector.Max(acc, x) : acc + x;
                        }
                    }

                    if (!max)
                    {
                        for (int k = 0; k < lanes; k++)
                        {
                            int left = ((x0 + k) * g.StrideWidth) - g.PadLeft;
                            int columns = Math.Min(g.Width, left + g.KernelWidth) - Math.Max(0, left);
                            scale[k] = countIncludePad ? 1f / (g.DivisorRows(oy, true) * g.DivisorColumns(x0 + k, true)) : 1f / (rows * Math.Max(columns, 1));
                        }

                        acc *= Vector.LoadUnsafe(ref MemoryMarshal.GetReference(scale));
                    }

                    Store(acc, row.Slice(x0), 0, Math.Min(lanes, g.OutputWidth - x0), Activation.None, 0);
                }
            }
        }
    }
}
