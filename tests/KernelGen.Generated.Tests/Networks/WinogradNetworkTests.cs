using KernelGen.Tests.Shared;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// A network with a Winograd convolution of its own (<c>Conv1</c>, 16 → 16 channels at 24×24) and one a batch norm folds
/// into (<c>Conv2</c> with <c>Bn2</c>); the 12×12 one after the pool runs Winograd only with <c>FixedWeights</c> (a
/// network compares the weights on every call only on planes of at least 400 pixels).
/// </summary>
[Network(InputChannels = 16, InputHeight = 24, InputWidth = 24)]
internal sealed partial class WinogradNet
{
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Bias = false)] partial void Conv2();
    [BatchNorm2D(Activation = Activation.Relu)] partial void Bn2();
    [MaxPool2D(Kernel = 2)] partial void Pool();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv3();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary><see cref="WinogradNet"/> with every convolution direct, to compare against.</summary>
[Network(InputChannels = 16, InputHeight = 24, InputWidth = 24)]
internal sealed partial class DirectNet
{
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv1();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Bias = false, Algorithm = ConvAlgorithm.Direct)] partial void Conv2();
    [BatchNorm2D(Activation = Activation.Relu)] partial void Bn2();
    [MaxPool2D(Kernel = 2)] partial void Pool();
    [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv3();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary>
/// A network's Winograd layers at inference: they match the reference within float rounding; the workspace's
/// transformed weights follow the weights — a write to <c>Parameter.Values</c> with no call after it is seen by the next
/// <c>Forward</c>, for a convolution's own weights and for folded ones — and a <c>Forward</c> whose weights did not change
/// allocates nothing.
/// </summary>
public sealed class WinogradNetworkTests
{
    private static float[] Images(int batch) => [.. Enumerable.Range(0, batch * WinogradNet.InputSize).Select(i => ((i * 37 % 101) / 50f) - 1f)];

    [Fact]
    public void Its_winograd_layers_are_the_generated_kind()
    {
        // Conv1, the folded Conv2 and Conv3 keep transformed weights in the workspace (Conv3, 12×12, and the dense layer use
        // theirs with FixedWeights only).
        string[] caches = [.. typeof(WinogradNet.Workspace).GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(PackedWeightsCache)).Select(p => p.Name)];
        Assert.Equal(["Conv1Packed", "Bn2Packed", "Conv3Packed", "OutPacked"], caches);
    }

    [Fact]
    public void It_matches_the_same_network_computed_directly()
    {
        var winograd = new WinogradNet(seed: 5);
        var direct = new DirectNet(seed: 6);
        for (int i = 0; i < winograd.Parameters.Count; i++)
        {
            winograd.Parameters[i].Values.CopyTo(direct.Parameters[i].Values, 0);
        }

        float[] images = Images(3);
        float[] expected = new float[3 * WinogradNet.OutputSize], actual = new float[expected.Length];
        direct.Forward(images, expected, 3);
        winograd.Forward(images, actual, 3);
        KernelGen.Generated.Tests.Check.Close("Winograd network", [.. expected.Select(v => (double)v)], actual);
        Assert.NotEqual(expected, actual);
    }

    [Theory]
    [InlineData("Conv1.weight")]
    [InlineData("Conv2.weight")]
    [InlineData("Bn2.weight")]
    public void A_change_to_the_weights_reaches_the_next_forward(string parameter)
    {
        var network = new WinogradNet(seed: 3);
        float[] images = Images(2);
        float[] before = new float[2 * WinogradNet.OutputSize], after = new float[before.Length], fresh = new float[before.Length];
        network.Forward(images, before, 2);

        // Every value of the parameter scaled, written directly, as a user may.
        float[] values = network.Parameters.Single(p => p.Name == parameter).Values;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= 1.5f;
        }

        network.Forward(images, after, 2);

        // A network built with the changed weights gives the same bits; the old transformed weights would not.
        var rebuilt = new WinogradNet(seed: 9);
        for (int i = 0; i < network.Parameters.Count; i++)
        {
            network.Parameters[i].Values.CopyTo(rebuilt.Parameters[i].Values, 0);
        }

        rebuilt.Forward(images, fresh, 2);
        Assert.Equal(fresh, after);
        Assert.NotEqual(before, after);
    }

    [Fact]
    public void A_forward_with_unchanged_weights_allocates_nothing()
    {
        var network = new WinogradNet(seed: 4);
        float[] images = Images(1), output = new float[WinogradNet.OutputSize];
        network.Forward(images, output, 1);
        Assert.Equal(0, Measure.AllocatedByThread(() => network.Forward(images, output, 1), calls: 20));
    }
}
