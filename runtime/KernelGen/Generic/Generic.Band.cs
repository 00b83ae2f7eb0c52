using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen;

public static partial class Generic
{
    /// <summary>
    /// A band of input rows: for each channel, <see cref="Rows"/> input rows <see cref="RowStep"/> apart (the kernel
    /// rows of one output row, or every row of the padded plane), padded and split into <see cref="Phases"/> stride
    /// phases of <see cref="RowLength"/> floats.
    /// </summary>
    private readonly record struct Band(int Height, int Width, int Rows, int RowStep, int PadLeft, int Phases, int RowLength, float PadValue)
    {
        public int RowStride => Phases * RowLength;

        public int ChannelStride => Rows * RowStride;

        /// <summary>Copies <see cref="Rows"/> input rows per channel from <paramref name="firstRow"/> on; the padding columns hold <see cref="PadValue"/> already.</summary>
        public void Fill(ReadOnlySpan<float> input, Span<float> band, int firstRow, int channels)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int r = 0; r < Rows; r++)
                {
                    int iy = firstRow + (r * RowStep);
                    Span<float> row = band.Slice(((c * Rows) + r) * RowStride, RowStride);
                    for (int phase = 0; phase < Phases; phase++)
                    {
                        (int start, int end) = InputColumns(phase);
                        Span<float> target = row.Slice((phase * RowLength) + start, end - start);
                        if ((uint)iy >= (uint)Height)
                        {
                            target.Fill(PadValue);
                            continue;
                        }

                        ReadOnlySpan<float> source = input.Slice(((c * Height) + iy) * Width, Width);
                        int first = (start * Phases) + phase - PadLeft;
                        if (Phases == 1)
                        {
                            source.Slice(first, target.Length).CopyTo(target);
                        }
                        else
                        {
                            for (int j = 0; j < target.Length; j++)
                            {
                                target[j] = source[first + (j * Phases)];
                            }
                        }
                    }
                }
            }
        }

        /// <summary>The columns <c>[start, end)</c> of a phase that hold input rather than padding.</summary>
        private (int Start, int End) InputColumns(int phase) => ShapeMath.PhaseInputColumns(Width, PadLeft, phase, Phases, RowLength);
    }

    /// <summary>A band buffer: on the stack when small enough (passed in), else rented.</summary>
    private ref struct BandBuffer
    {
        private float[]? _rented;

        public BandBuffer(Span<float> stack, int length)
        {
            _rented = length > stack.Length ? System.Buffers.ArrayPool<float>.Shared.Rent(length) : null;
            Span = _rented is null ? stack[..length] : _rented.AsSpan(0, length);
        }

        public Span<float> Span { get; }

        public void Dispose()
        {
            if (_rented is not null)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(_rented);
                _rented = null;
            }
        }
    }

    private static ref float At(Span<float> span, int index) => ref Unsafe.Add(ref MemoryMarshal.GetReference(span), index);
}
