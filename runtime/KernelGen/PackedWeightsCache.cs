using System;
using System.ComponentModel;

namespace KernelGen;

/// <summary>
/// A network layer's packed weights (Winograd-transformed, or laid out for the packed direct form), kept for as long as
/// the weights they were packed from stay the same. Two ways to know that: by comparing the weights with a copy of those
/// it packed (a vectorised comparison that reads each weight once per call: a network's default, which notices any
/// write to <c>Parameter.Values</c>), or by a version number that moves with every change (a network with
/// <c>FixedWeights</c> set: no comparison and no copy, as an ONNX Runtime session owns its prepacked weights).
/// </summary>
/// <remarks>Not for concurrent use: each inference workspace has its own.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class PackedWeightsCache
{
    /// <summary>The version recorded for weights packed after a comparison, which no version number equals.</summary>
    private const long Compared = -1;

    private float[] _source = [];
    private PackedWeights? _packed;
    private long _version = Compared;

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
        _version = Compared;
        return packed;
    }

    /// <summary>
    /// The packed weights of <paramref name="weights"/> at <paramref name="version"/> (the <c>Parameter.Version</c> they
    /// are made from, or the sum of several: it only grows): those kept if they were packed at the same
    /// version, else <paramref name="pack"/>'s. The weights are not read unless they are packed.
    /// </summary>
    public PackedWeights For(ReadOnlySpan<float> weights, Packer pack, long version)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        if (_packed is not null && _version == version)
        {
            return _packed;
        }

        _packed = pack(weights);
        _source = []; // a comparison after this (FixedWeights cleared) packs again
        _version = version;
        return _packed;
    }
}
