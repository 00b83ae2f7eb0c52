using System;
using System.ComponentModel;

namespace KernelGen;

/// <summary>
/// A layer's packed weights, kept for as long as the weights they were packed from stay the same: a network's inference
/// packs a Winograd layer's weights on its first call and again only after they change (by training, <c>Load</c>, or a
/// write to <c>Parameter.Values</c>) — which it notices by comparing the weights with a copy of those it packed, a
/// vectorised comparison that reads each weight once per call.
/// </summary>
/// <remarks>Not for concurrent use: each inference workspace has its own.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class PackedWeightsCache
{
    private float[] _source = [];
    private PackedWeights? _packed;

    /// <summary>Packs a layer's weights: a generated <c>{Method}PackWeights</c>.</summary>
    public delegate PackedWeights Packer(ReadOnlySpan<float> weights);

    /// <summary>
    /// The packed weights of <paramref name="weights"/>: those kept if they were packed from the same values, else
    /// <paramref name="pack"/>'s, kept with a copy of the weights (the only call that allocates).
    /// </summary>
    public PackedWeights For(ReadOnlySpan<float> weights, Packer pack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        if (_packed is not null && weights.SequenceEqual(_source))
        {
            return _packed;
        }

        PackedWeights packed = pack(weights);
        if (_source.Length == weights.Length)
        {
            weights.CopyTo(_source);
        }
        else
        {
            _source = weights.ToArray();
        }

        _packed = packed;
        return packed;
    }
}
