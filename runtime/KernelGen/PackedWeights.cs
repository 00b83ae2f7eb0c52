using System;
using System.ComponentModel;

namespace KernelGen;

/// <summary>
/// A layer's weights rearranged once into the order its generated packed overload reads them — for a <c>[Dense]</c>
/// kernel <c>Fc1</c>, <c>Fc1PackWeights(weights)</c> makes one and <c>Fc1(input, packed, bias, output, batch)</c> reads
/// it. Packing is an explicit step, never a hidden per-call cost: pack when the weights are loaded or changed, then
/// call the packed overload as often as needed. A packed overload checks that its argument was packed for its own
/// layout (<see cref="Layout"/>) and throws <see cref="ArgumentException"/> for any other.
/// </summary>
/// <remarks>
/// The object holds a copy: changing the original weights afterwards does not change it (pack again). Reading it from
/// many threads at once is safe; it is never written after packing.
/// </remarks>
public sealed class PackedWeights
{
    /// <summary>Floats in a cache line: the packed floats start on one, so that no vector load of them spans two.</summary>
    private const int LineFloats = 16;

    private readonly float[] _values;
    private readonly int _offset, _length;

    /// <summary>Whether every packed float is finite: 0 not yet known, 1 yes, 2 no (see <see cref="AllFinite"/>).</summary>
    private int _finite;

    /// <summary>Zeroed storage of <paramref name="length"/> floats for the layout named <paramref name="layout"/>; the generated packing method fills it.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public PackedWeights(string layout, int length)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Layout = layout;
        // Pinned, so the start stays on its cache line: an array's data is only 8-byte aligned, and vector loads of
        // weights that straddle two lines measured runs of a packed layer 10–20 % apart from one process to the next.
        _length = length;
        _values = GC.AllocateArray<float>(length + LineFloats - 1, pinned: true);
        _offset = (int)((LineFloats - (Address(_values) / sizeof(float) % LineFloats)) % LineFloats);
    }

    /// <summary>The layout the weights were packed for, as the kernel that packed them names it (its shape and order).</summary>
    public string Layout { get; }

    /// <summary>How many floats the packed weights hold (padding included).</summary>
    public int Length => _length;

    /// <summary>The packed floats, for the generated code that writes and reads them.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<float> Values => _values.AsSpan(_offset, _length);

    /// <summary>
    /// Whether every packed float is finite (no infinity, no NaN), for the generated code: then an input of exactly zero
    /// adds only zeros to every sum it enters, and a kernel may skip its weights; with an infinite or NaN weight its
    /// products are NaN and must be computed. Found on first use, after packing, and kept: the floats never change after.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool AllFinite
    {
        get
        {
            // Two threads that both find it out write the same value.
            if (_finite == 0)
            {
                _finite = IsFinite(Values) ? 1 : 2;
            }

            return _finite == 1;
        }
    }

    private static bool IsFinite(ReadOnlySpan<float> values)
    {
        foreach (float value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    private static unsafe long Address(float[] pinned)
    {
        fixed (float* start = pinned)
        {
            return (long)start;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Layout} ({Length} floats)";
}
