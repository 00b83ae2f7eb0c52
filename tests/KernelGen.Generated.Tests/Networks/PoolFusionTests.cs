using System.Reflection;
using static KernelGen.Generated.Tests.Networks.FusedKernels;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// Two convolutions whose max pools fuse into them: <c>Conv1</c> (3 → 24 channels, 20×21, ReLU) with a 2×2 pool, whose
/// last column no window reads, and <c>Conv2</c> (24 → 20 channels, 10×10, LeakyReLU) with a 3×3 pool, whose last row and
/// column no window reads. Neither channel count fills whole 16-channel blocks.
/// </summary>
[Network(InputChannels = 3, InputHeight = 20, InputWidth = 21)]
internal sealed partial class PoolNet
{
    [Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
    [MaxPool2D(Kernel = 2)] partial void Pool1();
    [Conv2D(OutChannels = 20, Kernel = 3, Padding = 1, Activation = Activation.LeakyRelu, LeakyReluSlope = 0.1f, Algorithm = ConvAlgorithm.PackedDirect)] partial void Conv2();
    [MaxPool2D(Kernel = 3)] partial void Pool2();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary><see cref="PoolNet"/> with both convolutions direct, so that no pool fuses, to compare against.</summary>
[Network(InputChannels = 3, InputHeight = 20, InputWidth = 21)]
internal sealed partial class PoolDirectNet
{
    [Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv1();
    [MaxPool2D(Kernel = 2)] partial void Pool1();
    [Conv2D(OutChannels = 20, Kernel = 3, Padding = 1, Activation = Activation.LeakyRelu, LeakyReluSlope = 0.1f, Algorithm = ConvAlgorithm.Direct)] partial void Conv2();
    [MaxPool2D(Kernel = 3)] partial void Pool2();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary>
/// A max pool fused into the convolution before it (<c>{Conv}ForwardPooled</c>): its tiles give bit for bit what the
/// convolution's packed direct overload followed by the pool gives, on one thread and on two, and the network's outputs
/// match the direct network's within float rounding with and without <c>FixedWeights</c>.
/// </summary>
public sealed class PoolFusionTests
{
    [Theory]
    [InlineData("Conv1", 3, 24, 20, 21, 2, 2)]
    [InlineData("Conv1", 3, 24, 20, 21, 2, 3)]
    [InlineData("Conv2", 24, 20, 10, 10, 3, 2)]
    [InlineData("Conv2", 24, 20, 10, 10, 3, 1)]
    public void The_pooled_tiles_give_the_convolution_followed_by_the_pool_bit_for_bit(string layer, int inChannels, int outChannels, int height, int width, int k, int batch)
    {
        // Two threads split a batch of two by samples, one of one or three by (block of channels, pooled row) pairs.
        var network = new PoolNet(seed: 7);
        PackedWeights packed = Packed(network, layer);
        float[] bias = Data(outChannels, 4);
        float[] input = Data(batch * inChannels * height * width, 1);

        // The packed direct overload, then the pool as the network's [MaxPool2D] computes it.
        float[] convolved = new float[batch * outChannels * height * width];
        Kernel<PoolNet, Convolve>($"{layer}Forward", Spans)(input, packed, bias, convolved, batch);
        float[] expected = new float[batch * outChannels * (height / k) * (width / k)];
        Reference.MaxPool2D<float>(new Pool2DGeometry(outChannels, height, width, k, k), convolved, expected, batch);

        // Both are written over a buffer that holds something else: every output is written.
        float[] pooled = Data(expected.Length, 2);
        Kernel<PoolNet, Convolve>($"{layer}ForwardPooled", Spans)(input, packed, bias, pooled, batch);
        Assert.Equal(expected, pooled);

        float[] split = Data(expected.Length, 3);
        Kernel<PoolNet, ConvolveSplit>($"{layer}ForwardPooled", SplitSpans)(input, packed, bias, split, batch, new Parallelism(2));
        Assert.Equal(expected, split);

        // The activation mattered: some window's largest output was negative before it.
        Assert.Contains(expected, v => layer == "Conv1" ? v == 0f : v < 0f);
    }

    [Fact]
    public void The_pooled_form_checks_its_output_against_the_pool_s_length()
    {
        PackedWeights packed = Packed(new PoolNet(seed: 7), "Conv1");
        Convolve pooled = Kernel<PoolNet, Convolve>("Conv1ForwardPooled", Spans);
        float[] input = Data(3 * 20 * 21, 1), bias = new float[24];

        // The convolution's output length is not the pool's.
        var error = Assert.Throws<ArgumentException>(() => pooled(input, packed, bias, new float[24 * 20 * 21], 1));
        Assert.Equal("output", error.ParamName);
    }

    [Fact]
    public void Only_the_convolutions_right_before_a_max_pool_have_a_pooled_form()
    {
        string[] fused = [.. typeof(PoolNet).GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Select(m => m.Name).Where(n => n.EndsWith("ForwardPooled", StringComparison.Ordinal)).Distinct().Order()];
        Assert.Equal(["Conv1ForwardPooled", "Conv2ForwardPooled"], fused);
        Assert.DoesNotContain(typeof(PoolDirectNet).GetMethods(BindingFlags.NonPublic | BindingFlags.Static), m => m.Name.EndsWith("ForwardPooled", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void The_network_matches_the_same_network_computed_directly(bool fixedWeights, int threads)
    {
        var fused = new PoolNet(seed: 5) { FixedWeights = fixedWeights, Parallelism = new Parallelism(threads) };
        var direct = new PoolDirectNet(seed: 6);
        for (int i = 0; i < fused.Parameters.Count; i++)
        {
            fused.Parameters[i].Values.CopyTo(direct.Parameters[i].Values, 0);
        }

        const int batch = 3;
        float[] images = Data(batch * PoolNet.InputSize, 3);
        float[] expected = new float[batch * PoolNet.OutputSize], actual = new float[expected.Length];
        direct.Forward(images, expected, batch);
        fused.Forward(images, actual, batch);
        Check.Close("Pooled network", [.. expected.Select(v => (double)v)], actual);
    }
}
