using System.Collections.Concurrent;
using System.Runtime.Intrinsics;
using CsCheck;
using Xunit.Abstractions;

namespace KernelGen.Generator.Tests;

/// <summary>
/// The proof that matters: for hundreds of randomly drawn layers, over every option of the contract, the
/// generated kernel equals the reference within a tolerance derived from its reduction length. The
/// layers are compiled in a few large batches. CI runs this on each hardware path.
/// </summary>
public class RandomEquivalenceTests(ITestOutputHelper output)
{
    private const int BatchSize = 80;

    private void Run(Gen<LayerCase> layers, int batches, string what) => Run(layers, batches, what, RandomLayers.Data);

    private void Run(Gen<LayerCase> layers, int batches, string what, Func<int, int, float[]> inputs)
    {
        var worst = new ConcurrentBag<double>();
        var tried = new ConcurrentBag<LayerCase>();
        layers.Array[BatchSize].Sample(cases =>
        {
            foreach (LayerCase c in cases)
            {
                tried.Add(c);
            }

            worst.Add(RandomLayers.CheckAll(cases, inputs));
        }, iter: batches, threads: 1);

        string path = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
        output.WriteLine($"{tried.Count} random {what}, each run through the dispatch (this machine takes the {path} path) and on every path directly; largest error / tolerance: {worst.Max():F3}");
        Assert.Equal(batches * BatchSize, tried.Count);
        Assert.InRange(worst.Max(), 0, 1);
    }

    [Fact]
    public void Convolutions_320_random_shapes() => Run(RandomLayers.Conv, 4, "convolutions");

    /// <summary>Winograd F(4×4, 3×3) and F(2×2, 3×3) on random shapes: the plain overload as every convolution, the Winograd one within the stated bound.</summary>
    [Fact]
    public void Winograd_convolutions_160_random_shapes() => Run(RandomLayers.Winograd, 2, "Winograd convolutions");

    /// <summary>The packed direct form on random ungrouped shapes: the plain overload as every convolution, the packed one to the same tolerance.</summary>
    [Fact]
    public void Packed_direct_convolutions_160_random_shapes() => Run(RandomLayers.PackedDirect, 2, "packed direct convolutions");

    /// <summary>The packed direct form of 1×1 layers without padding (panel tiles on Vector256) on random shapes, as above.</summary>
    [Fact]
    public void Packed_pointwise_convolutions_80_random_shapes() => Run(RandomLayers.PackedPointwise, 1, "packed 1×1 convolutions");

    [Fact]
    public void Pools_160_random_shapes() => Run(RandomLayers.Pool, 2, "max and average pools");

    /// <summary>
    /// NaN and ±∞ among the inputs (one in 40) come out as the reference says, which is as PyTorch does: NaN wins a max pool
    /// and survives ReLU, ∞ − ∞ in a sum is NaN, and an infinity is matched only by the same infinity.
    /// </summary>
    [Fact]
    public void NaN_and_infinities_propagate_as_in_the_reference_through_160_random_layers() =>
        Run(Gen.OneOf(RandomLayers.Conv, RandomLayers.Pool, RandomLayers.DenseOrGlobal), 2, "layers with NaN and infinities among their inputs", RandomLayers.SpecialData);

    [Fact]
    public void Dense_global_pools_and_adds_80_random_shapes() => Run(RandomLayers.DenseOrGlobal, 1, "dense layers, global pools and adds");
}
