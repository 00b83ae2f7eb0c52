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
    private readonly float[] _values;

    /// <summary>Zeroed storage of <paramref name="length"/> floats for the layout named <paramref name="layout"/>; the generated packing method fills it.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public PackedWeights(string layout, int length)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Layout = layout;
        _values = new float[length];
    }

    /// <summary>The layout the weights were packed for, as the kernel that packed them names it (its shape and order).</summary>
    public string Layout { get; }

    /// <summary>How many floats the packed weights hold (padding included).</summary>
    public int Length => _values.Length;

    /// <summary>The packed floats, for the generated code that writes and reads them.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public Span<float> Values => _values;

    /// <inheritdoc/>
    public override string ToString() => $"{Layout} ({Length} floats)";
}
