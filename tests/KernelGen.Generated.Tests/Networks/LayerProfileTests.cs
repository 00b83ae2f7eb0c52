using System.Diagnostics;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// A network's <c>Profile</c>: every kernel call of the forward pass timed in the order it runs, named after the declared
/// layers it runs (a convolution and the sum or batch norm fused or folded into it as one call), the times adding up to
/// no more than the passes took, and the outputs the same bits as without a profile.
/// </summary>
public sealed class LayerProfileTests
{
    [Fact]
    public void A_profile_times_every_call_of_the_forward_pass_in_order()
    {
        const int batch = 2;
        float[] input = Data(batch * ResidualNet.InputSize);
        var profiled = new ResidualNet(seed: 7) { FixedWeights = true, Profile = new LayerProfile() };
        var plain = new ResidualNet(seed: 7) { FixedWeights = true };
        float[] expected = new float[batch * ResidualNet.OutputSize], actual = new float[expected.Length];
        plain.Forward(input, expected, batch);

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 3; i++)
        {
            profiled.Forward(input, actual, batch);
        }

        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        LayerProfile profile = profiled.Profile!;
        Assert.Equal(expected, actual);
        Assert.Equal(3, profile.Runs);
        Assert.Equal(["Stem", "Conv1", "Conv2 + Block1", "Pool", "Conv3", "Conv4 + Block2", "Gap", "Out"], profile.Layers.Select(l => l.Layer));
        Assert.All(profile.Layers, l => Assert.Equal(3, l.Runs));
        Assert.All(profile.Layers, l => Assert.True(l.Total >= TimeSpan.Zero));
        Assert.InRange(profile.Total, TimeSpan.FromTicks(1), elapsed);
        Assert.Equal(profile.Total, profile.Layers.Aggregate(TimeSpan.Zero, (sum, l) => sum + l.Total));

        // Predict runs the same forward pass; Reset forgets the times and keeps the layers.
        profiled.Predict(input.AsSpan(0, ResidualNet.InputSize));
        Assert.Equal(4, profile.Runs);
        profile.Reset();
        Assert.Equal(0, profile.Runs);
        Assert.Equal(8, profile.Layers.Count);
        Assert.All(profile.Layers, l => Assert.Equal(TimeSpan.Zero, l.Total));
        Assert.Contains("Conv4 + Block2", profile.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Folded_batch_norms_are_timed_with_their_convolutions()
    {
        var network = new Normalized(seed: 3) { Profile = new LayerProfile() };
        network.Forward(Data(Normalized.InputSize), new float[Normalized.OutputSize]);
        Assert.Equal(
            ["Conv1 + Bn1", "Conv2 + Bn2", "Block", "Down + DownBn", "Projection + ProjectionBn", "Block2", "Bn3", "Gap", "Out"],
            network.Profile!.Layers.Select(l => l.Layer));
    }

    [Fact]
    public void A_profile_serves_one_network_class_and_refuses_another()
    {
        var profile = new LayerProfile();
        var first = new ResidualNet(seed: 1) { Profile = profile };
        var second = new ResidualNet(seed: 2) { Profile = profile };
        float[] input = Data(ResidualNet.InputSize), output = new float[ResidualNet.OutputSize];
        first.Forward(input, output);
        second.Forward(input, output);
        Assert.Equal(2, profile.Runs);

        var other = new Normalized(seed: 3) { Profile = profile };
        var error = Assert.Throws<InvalidOperationException>(() => other.Forward(Data(Normalized.InputSize), new float[Normalized.OutputSize]));
        Assert.Contains("another network's layers", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, profile.Runs);
    }

    [Fact]
    public void A_profile_removed_times_no_more()
    {
        var profile = new LayerProfile();
        var network = new ResidualNet(seed: 7) { Profile = profile };
        float[] input = Data(ResidualNet.InputSize), output = new float[ResidualNet.OutputSize];
        network.Forward(input, output);
        TimeSpan total = profile.Total;
        network.Profile = null;
        network.Forward(input, output);
        Assert.Equal(1, profile.Runs);
        Assert.Equal(total, profile.Total);
    }

    private static float[] Data(int length)
    {
        var random = new Random(11);
        return [.. Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2) - 1)];
    }
}
