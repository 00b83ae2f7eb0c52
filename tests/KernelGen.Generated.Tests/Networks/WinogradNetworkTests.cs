using KernelGen.Samples;
using KernelGen.Tests.Shared;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// A network's Winograd layers at inference (the MNIST ResNet's 28- and 14-pixel 3×3 convolutions, batch norms folded in):
/// the workspace's transformed weights follow the weights — a write to <c>Parameter.Values</c> with no call after it is
/// seen by the next <c>Forward</c> — and a <c>Forward</c> whose weights did not change allocates nothing.
/// </summary>
public sealed class WinogradNetworkTests
{
    private static float[] Images(int batch) => [.. Enumerable.Range(0, batch * MnistResNet.InputSize).Select(i => (i * 37 % 101) / 100f)];

    [Fact]
    public void A_change_to_the_weights_reaches_the_next_forward()
    {
        var network = new MnistResNet(seed: 3);
        float[] images = Images(2);
        float[] before = new float[2 * MnistResNet.OutputSize], after = new float[before.Length], fresh = new float[before.Length];
        network.Forward(images, before, 2);

        // A weight of a Winograd layer (layer1.0.conv2, 32 → 32 at 28×28) written directly, as a user may.
        network.Parameters.Single(p => p.Name == "layer1.0.conv2.weight").Values[5] += 0.75f;
        network.Forward(images, after, 2);

        // A network built with the changed weights gives the same bits; the old transformed weights would not.
        var rebuilt = new MnistResNet(seed: 9);
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
        var network = new MnistResNet(seed: 4);
        float[] images = Images(1), output = new float[MnistResNet.OutputSize];
        network.Forward(images, output, 1);
        Assert.Equal(0, Measure.AllocatedByThread(() => network.Forward(images, output, 1), calls: 20));
    }
}
