using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen;

public static partial class Generic
{
    /// <summary>
    /// 2-D convolution of any shape, computing what <see cref="Reference.Conv2D{T}"/> computes: cross-correlation
    /// (or true convolution with <paramref name="flipKernel"/>), bias, and the activation fused into the store.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">NCHW input, <c>batch * geometry.InputLength</c> elements.</param>
    /// <param name="weights">OIHW weights, <c>geometry.WeightLength</c> elements.</param>
    /// <param name="bias">Bias per output channel, or empty for none.</param>
    /// <param name="output">NCHW output, <c>batch * geometry.OutputLength</c> elements; overwritten.</param>
    /// <param name="batch">Samples in <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="activation">Applied to every output element.</param>
    /// <param name="flipKernel">Rotate the kernel by 180°.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Conv2D(
        Conv2DGeometry geometry, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output,
        int batch = 1, Activation activation = Activation.None, bool flipKernel = false, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
    {
        KernelArguments.Conv2D(geometry, input.Length, weights.Length, bias.Length, output.Length, batch, activation, leakyReluSlope);

        Conv2DGeometry g = geometry;
        int phases = g.StrideWidth, rowLength = RoundUp(g.OutputWidth, 2 * Lanes) + ((g.KernelWidth - 1) * g.DilationWidth / phases);
        int inPerGroup = g.InChannelsPerGroup, outPerGroup = g.OutChannelsPerGroup;

        // The padded planes of a group's input channels, copied once per sample, when they fit the band;
        // otherwise the kernel rows of one output row, copied for each row in chunks of channels that stay in L1.
        int planeRows = g.PlaneRows;
        bool wholePlane = (long)inPerGroup * planeRows * phases * rowLength <= BandLimit;
        var band = wholePlane
            ? new Band(g.Height, g.Width, planeRows, 1, g.PadLeft, phases, rowLength, 0f)
            : new Band(g.Height, g.Width, g.KernelHeight, g.DilationHeight, g.PadLeft, phases, rowLength, 0f);
        int chunk = wholePlane ? inPerGroup : Math.Max(1, Math.Min(inPerGroup, ChunkFloats / band.ChannelStride));
        int bandLength = chunk * band.ChannelStride;
        using var buffer = new BandBuffer(bandLength <= BandLimit ? stackalloc float[bandLength] : default, bandLength);
        Span<float> bandSpan = buffer.Span;
        bandSpan.Fill(band.PadValue);

        var tile = new ConvTile(g, band, wholePlane ? g.DilationHeight * band.RowStride : band.RowStride, flipKernel, activation, leakyReluSlope);
        for (int n = 0; n < batch; n++)
        {
            for (int group = 0; group < g.Groups; group++)
            {
                ReadOnlySpan<float> inputGroup = input.Slice((n * g.InputLength) + (group * inPerGroup * g.Height * g.Width));
                if (wholePlane)
                {
                    band.Fill(inputGroup, bandSpan, -g.PadTop, inPerGroup);
                }

                for (int oy = 0; oy < g.OutputHeight; oy++)
                {
                    for (int c0 = 0; c0 < inPerGroup; c0 += chunk)
                    {
                        int channels = Math.Min(chunk, inPerGroup - c0);
                        Span<float> rows = wholePlane ? bandSpan.Slice(oy * g.StrideHeight * band.RowStride) : bandSpan;
                        if (!wholePlane)
                        {
                            band.Fill(inputGroup.Slice(c0 * g.Height * g.Width), bandSpan, (oy * g.StrideHeight) - g.PadTop, channels);
                        }

                        var step = new ConvStep(channels, c0 == 0, c0 + chunk >= inPerGroup);
                        for (int o = 0; o < outPerGroup; o += 4)
                        {
                            int oc = (group * outPerGroup) + o;
                            ReadOnlySpan<float> w = weights.Slice((oc * g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth) + (c0 * g.KernelHeight * g.KernelWidth));
                            Span<float> row = output.Slice((n * g.OutputLength) + (oc * g.OutputHeight * g.OutputWidth) + (oy * g.OutputWidth));
                            int count = Math.Min(4, outPerGroup - o);
                            ReadOnlySpan<float> b = bias.IsEmpty ? default : bias.Slice(oc, count);
                            for (int x0 = 0; x0 < g.OutputWidth; x0 += 2 * Lanes)
                            {
                                tile.Run(rows.Slice(x0), w, b, row.Slice(x0), count, Math.Min(2 * Lanes, g.OutputWidth - x0), step);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Which input channels of the band a tile reduces over, and whether it starts from the bias and ends with the activation.</summary>
    private readonly record struct ConvStep(int Channels, bool First, bool Last);

    /// <summary>
    /// A register tile of up to 4 output channels × 2 vectors of output pixels (8 accumulators), reduced over
    /// the band's channels and the kernel window, then stored once.
    /// </summary>
    private readonly struct ConvTile(Conv2DGeometry g, Band band, int kernelRowStride, bool flip, Activation activation, float leakyReluSlope)
    {
        private readonly int _taps = g.KernelHeight * g.KernelWidth;
        private readonly int _weightStride = g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;
        private readonly int _plane = g.OutputHeight * g.OutputWidth;

        public void Run(ReadOnlySpan<float> bandSpan, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int count, int pixels, ConvStep step)
        {
            Span<Vector<float>> acc = stackalloc Vector<float>[8];
            for (int j = 0; j < count; j++)
            {
                if (step.First)
                {
                    acc[2 * j] = acc[(2 * j) + 1] = new Vector<float>(bias.IsEmpty ? 0 : bias[j]);
                }
                else
                {
                    acc[2 * j] = Load(output.Slice(j * _plane), 0, pixels);
                    acc[(2 * j) + 1] = Load(output.Slice(j * _plane), Lanes, pixels);
                }
            }

            Reduce(ref MemoryMarshal.GetReference(bandSpan), ref MemoryMarshal.GetReference(weights), count, step.Channels, acc);

            for (int j = 0; j < count; j++)
            {
                Span<float> target = output.Slice(j * _plane);
                Store(acc[2 * j], target, 0, pixels, step.Last ? activation : Activation.None, leakyReluSlope);
                Store(acc[(2 * j) + 1], target, Lanes, pixels, step.Last ? activation : Activation.None, leakyReluSlope);
            }
        }

        /// <summary>The accumulation: four channels' accumulators live in registers through the whole window.</summary>
        private void Reduce(ref float bandRef, ref float weights, int count, int channels, Span<Vector<float>> acc)
        {
            Vector<float> a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
            int lanes = Lanes, kernelWidth = g.KernelWidth, kernelHeight = g.KernelHeight;
            int w1 = count > 1 ? _weightStride : 0, w2 = count > 2 ? 2 * _weightStride : 0, w3 = count > 3 ? 3 * _weightStride : 0;
            for (int c = 0; c < channels; c++)
            {
                ref float channelBand = ref Unsafe.Add(ref bandRef, c * band.ChannelStride);
                ref float channelWeights = ref Unsafe.Add(ref weights, c * _taps);
                for (int ky = 0; ky < kernelHeight; ky++)
                {
                    ref float row = ref Unsafe.Add(ref channelBand, ky * kernelRowStride);
                    int wy = (flip ? kernelHeight - 1 - ky : ky) * kernelWidth;
                    for (int kx = 0; kx < kernelWidth; kx++)
                    {
                        int reach = kx * g.DilationWidth;
                        nuint offset = (nuint)((reach % band.Phases * band.RowLength) + (reach / band.Phases));
                        ref float w = ref Unsafe.Add(ref channelWeights, wy + (flip ? kernelWidth - 1 - kx : kx));
                        Vector<float> x0 = Vector.LoadUnsafe(ref row, offset), x1 = Vector.LoadUnsafe(ref row, offset + (nuint)lanes);
                        var b0 = new Vector<float>(w);
                        a0 = MultiplyAdd(x0, b0, a0);
                        a1 = MultiplyAdd(x1, b0, a1);
                        var b1 = new Vector<float>(Unsafe.Add(ref w, w1));
                        a2 = MultiplyAdd(x0, b1, a2);
                        a3 = MultiplyAdd(x1, b1, a3);
                        var b2 = new Vector<float>(Unsafe.Add(ref w, w2));
                        a4 = MultiplyAdd(x0, b2, a4);
                        a5 = MultiplyAdd(x1, b2, a5);
                        var b3 = new Vector<float>(Unsafe.Add(ref w, w3));
                        a6 = MultiplyAdd(x0, b3, a6);
                        a7 = MultiplyAdd(x1, b3, a7);
                    }
                }
            }

            // Channels beyond count computed copies of channel 0 (weight offset 0): only the first count are stored.
            acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
        }
    }

    /// <summary>The vector of pixels [offset, offset + lanes) of a tile holding <paramref name="pixels"/>, zeros past its end.</summary>
    private static Vector<float> Load(Span<float> row, int offset, int pixels)
    {
        if (offset + Lanes <= pixels)
        {
            return Vector.LoadUnsafe(ref MemoryMarshal.GetReference(row), (nuint)offset);
        }

        Span<float> lanes = stackalloc float[Lanes];
        lanes.Clear();
        if (offset < pixels)
        {
            row.Slice(offset, pixels - offset).CopyTo(lanes);
        }

        return Vector.LoadUnsafe(ref MemoryMarshal.GetReference(lanes));
    }

    /// <summary>Stores the pixels of a vector that lie inside the tile, with the activation applied.</summary>
    private static void Store(Vector<float> value, Span<float> row, int offset, int pixels, Activation activation, float leakyReluSlope)
    {
        if (activation == Activation.Relu)
        {
            value = Vector.Max(value, Vector<float>.Zero);
        }

        int count = Math.Min(Lanes, pixels - offset);
        if (count <= 0)
        {
            return;
        }

        Span<float> target = row.Slice(offset, count);
        if (count == Lanes)
        {
            value.StoreUnsafe(ref MemoryMarshal.GetReference(target));
        }
        else
        {
            Span<float> lanes = stackalloc float[Lanes];
            value.StoreUnsafe(ref MemoryMarshal.GetReference(lanes));
            lanes[..count].CopyTo(target);
        }

        if (activation is not (Activation.None or Activation.Relu))
        {
            foreach (ref float e in target)
            {
                e = ActivationFunctions.Apply(activation, e, leakyReluSlope);
            }
        }
    }
}
