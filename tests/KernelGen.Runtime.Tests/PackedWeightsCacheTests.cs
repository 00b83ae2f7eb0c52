namespace KernelGen.Runtime.Tests;

/// <summary>
/// The cache of a network layer's packed weights: by comparison it packs again whenever the weights differ from those it
/// packed; by version only when the version moves (not reading the weights otherwise); a switch between the two packs again.
/// </summary>
public class PackedWeightsCacheTests
{
    private int _packs;

    private PackedWeights Pack(ReadOnlySpan<float> weights)
    {
        _packs++;
        var packed = new PackedWeights("test", weights.Length);
        weights.CopyTo(packed.Values);
        return packed;
    }

    [Fact]
    public void By_comparison_it_packs_again_exactly_when_the_weights_differ()
    {
        var cache = new PackedWeightsCache();
        float[] weights = [1, 2, 3];
        PackedWeights first = cache.For(weights, Pack);
        Assert.Same(first, cache.For(weights, Pack));
        weights[2] = 4;
        PackedWeights second = cache.For(weights, Pack);
        Assert.NotSame(first, second);
        Assert.Equal(weights, second.Values.ToArray());
        Assert.Equal(2, _packs);
    }

    [Fact]
    public void By_version_it_packs_again_exactly_when_the_version_moves()
    {
        var cache = new PackedWeightsCache();
        float[] weights = [1, 2, 3];
        PackedWeights first = cache.For(weights, Pack, 7);
        weights[0] = 9; // unseen at the same version: the promise FixedWeights makes
        Assert.Same(first, cache.For(weights, Pack, 7));
        PackedWeights second = cache.For(weights, Pack, 8);
        Assert.Equal(weights, second.Values.ToArray());
        Assert.Equal(2, _packs);
        Assert.Throws<ArgumentOutOfRangeException>("version", () => cache.For(weights, Pack, -1));
    }

    [Fact]
    public void A_switch_between_comparison_and_version_packs_again()
    {
        var cache = new PackedWeightsCache();
        float[] weights = [1, 2, 3];
        cache.For(weights, Pack, 0);
        cache.For(weights, Pack);      // no copy was kept by version: packs
        cache.For(weights, Pack, 0);   // packed by comparison, whatever its version was: packs
        cache.For(weights, Pack, 0);
        Assert.Equal(3, _packs);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(100_000)]
    public void Packed_weights_are_zeroed_and_start_on_a_cache_line(int length)
    {
        var packed = new PackedWeights("test", length);
        Assert.Equal(length, packed.Length);
        Assert.Equal(length, packed.Values.Length);
        Assert.All(packed.Values.ToArray(), v => Assert.Equal(0f, v));
        if (length > 0)
        {
            // Pinned storage: the address cannot move between this check and a kernel's loads.
            nint address = System.Runtime.CompilerServices.Unsafe.ByteOffset(ref System.Runtime.CompilerServices.Unsafe.NullRef<float>(), ref packed.Values[0]);
            Assert.Equal(0, address % 64);
        }
    }
}
