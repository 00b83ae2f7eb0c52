using System.Reflection;
using static KernelGen.Generated.Tests.Networks.FusedKernels;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// Two residual blocks whose sums fuse into the Winograd convolution before them: <c>Conv2</c> (24×24, its weights
/// compared on every call, so fused with and without <c>FixedWeights</c>) adds itself into <c>Stem</c>'s buffer and
/// applies ReLU; <c>Conv4</c> (12×12, Winograd with <c>FixedWeights</c> only) adds itself into <c>Pool</c>'s, with no
/// activation.
/// </summary>
[Network(InputChannels = 16, InputHeight = 24, InputWidth = 24)]
internal sealed partial class ResidualNet
{
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Stem();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv2();
    [Add(nameof(Stem), Activation = Activation.Relu)] partial void Block1();
    [MaxPool2D(Kernel = 2)] partial void Pool();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv3();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv4();
    [Add(nameof(Pool))] partial void Block2();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary><see cref="ResidualNet"/> with every convolution direct, so that nothing fuses, to compare against.</summary>
[Network(InputChannels = 16, InputHeight = 24, InputWidth = 24)]
internal sealed partial class ResidualDirectNet
{
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Stem();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv1();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Algorithm = ConvAlgorithm.Direct)] partial void Conv2();
    [Add(nameof(Stem), Activation = Activation.Relu)] partial void Block1();
    [MaxPool2D(Kernel = 2)] partial void Pool();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv3();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Algorithm = ConvAlgorithm.Direct)] partial void Conv4();
    [Add(nameof(Pool))] partial void Block2();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary>
/// A residual sum fused into the Winograd convolution before it (<c>{Conv}ForwardResidual</c>): its store gives bit for bit
/// what the convolution's Winograd overload followed by the sum gives, on one thread and on two, and the network's outputs
/// match the direct network's within float rounding with and without <c>FixedWeights</c>.
/// </summary>
public sealed class ResidualFusionTests
{
    [Theory]
    [InlineData("Conv2", 24, true)]
    [InlineData("Conv4", 12, false)]
    public void The_fused_store_gives_the_convolution_followed_by_the_sum_bit_for_bit(string layer, int size, bool relu)
    {
        var network = new ResidualNet(seed: 7);
        PackedWeights packed = Packed(network, layer);
        float[] bias = network.Parameters.Single(p => p.Name == $"{layer}.bias").Values;
        const int batch = 2;
        int length = batch * 16 * size * size;
        float[] input = Data(length, 1), residual = Data(length, 2);

        // The Winograd overload, then the sum as the network's [Add] computes it.
        float[] convolved = new float[length];
        Kernel<ResidualNet, Convolve>($"{layer}Forward", Spans)(input, packed, bias, convolved, batch);
        float[] expected = [.. convolved.Zip(residual, (c, r) => relu ? MathF.Max(c + r, 0f) : c + r)];

        float[] fused = (float[])residual.Clone();
        Kernel<ResidualNet, Convolve>($"{layer}ForwardResidual", Spans)(input, packed, bias, fused, batch);
        Assert.Equal(expected, fused);

        float[] split = (float[])residual.Clone();
        Kernel<ResidualNet, ConvolveSplit>($"{layer}ForwardResidual", SplitSpans)(input, packed, bias, split, batch, new Parallelism(2));
        Assert.Equal(expected, split);
        // The sum's activation mattered (or, without one, negative sums were kept).
        Assert.Contains(expected, v => relu ? v == 0f : v < 0f);
    }

    [Fact]
    public void Only_the_convolutions_right_before_a_sum_have_a_fused_form()
    {
        string[] fused = [.. typeof(ResidualNet).GetMethods(BindingFlags.NonPublic | BindingFlags.Static)
            .Select(m => m.Name).Where(n => n.EndsWith("ForwardResidual", StringComparison.Ordinal)).Distinct().Order()];
        Assert.Equal(["Conv2ForwardResidual", "Conv4ForwardResidual"], fused);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(true, 2)]
    public void The_network_matches_the_same_network_computed_directly(bool fixedWeights, int threads)
    {
        var fused = new ResidualNet(seed: 5) { FixedWeights = fixedWeights, Parallelism = new Parallelism(threads) };
        var direct = new ResidualDirectNet(seed: 6);
        for (int i = 0; i < fused.Parameters.Count; i++)
        {
            fused.Parameters[i].Values.CopyTo(direct.Parameters[i].Values, 0);
        }

        const int batch = 3;
        float[] images = Data(batch * ResidualNet.InputSize, 3);
        float[] expected = new float[batch * ResidualNet.OutputSize], actual = new float[expected.Length];
        direct.Forward(images, expected, batch);
        fused.Forward(images, actual, batch);
        Check.Close("Residual network", [.. expected.Select(v => (double)v)], actual);
        Assert.NotEqual(expected, actual);
    }
}
