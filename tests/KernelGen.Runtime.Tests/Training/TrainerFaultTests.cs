using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>
/// A step whose loss or gradients are NaN or infinite — from a NaN or an infinity in the data, or from weights so large
/// that the logits overflow — is reported as <see cref="StepResult.Diverged"/> and changes nothing: not the parameters,
/// not the optimizer's state, not the running statistics. An epoch stops there.
/// </summary>
public class TrainerFaultTests
{
    private const int Features = 4, Classes = 3;

    private static (float[] Images, int[] Labels) Batch(int count, int seed)
    {
        var random = new Random(seed);
        return ([.. Enumerable.Range(0, count * Features).Select(_ => (float)random.NextDouble())], [.. Enumerable.Range(0, count).Select(_ => random.Next(Classes))]);
    }

    private static int[][] Bits(LinearSoftmaxNetwork network) =>
        [.. network.Parameters.Select(p => p.Values.Select(BitConverter.SingleToInt32Bits).ToArray())];

    [Theory]
    [InlineData(1, float.NaN)]
    [InlineData(2, float.PositiveInfinity)]
    [InlineData(4, float.NegativeInfinity)]
    public void A_NaN_or_infinity_in_the_data_is_a_diverged_step_that_changes_no_parameter_or_optimizer_state(int threads, float special)
    {
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 1);
        var adam = new Adam(0.01f);
        var trainer = new Trainer(network, adam, maxBatch: 8, threads);
        (float[] images, int[] labels) = Batch(8, 2);
        trainer.Step(images, labels, 8);
        int[][] before = Bits(network);
        images[13] = special;

        StepResult result = trainer.Step(images, labels, 8);

        Assert.True(result.Diverged);
        Assert.True(double.IsNaN(result.Loss));
        Assert.Equal(8, result.Samples);
        Assert.Equal(before, Bits(network));
        Assert.Equal(1, adam.Steps);

        // The next good step is the one the trainer would have taken without the bad one.
        images[13] = 0.5f;
        var twin = new LinearSoftmaxNetwork(Features, Classes, seed: 1);
        var twinTrainer = new Trainer(twin, new Adam(0.01f), maxBatch: 8, threads);
        (float[] first, int[] firstLabels) = Batch(8, 2);
        twinTrainer.Step(first, firstLabels, 8);
        Assert.Equal(twinTrainer.Step(images, labels, 8), trainer.Step(images, labels, 8));
        Assert.Equal(Bits(twin), Bits(network));
    }

    [Fact]
    public void Weights_so_large_that_the_logits_overflow_give_a_diverged_step_that_keeps_them()
    {
        // What a learning rate far too high leads to: weights near float's largest, logits that overflow to infinity, and
        // a loss of ∞ − ∞. The step is refused; the weights stay finite, as they were.
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 3);
        Array.Fill(network.Weight.Values, 3e38f);
        var trainer = new Trainer(network, new Sgd(0.1f), maxBatch: 4);
        (float[] images, int[] labels) = Batch(4, 4);
        int[][] before = Bits(network);

        StepResult result = trainer.Step(images, labels, 4);

        Assert.True(result.Diverged);
        Assert.Equal(before, Bits(network));
    }

    [Fact]
    public void An_epoch_stops_at_a_diverged_step_reporting_the_steps_before_it()
    {
        (float[] images, int[] labels) = Batch(40, 5);
        images[(25 * Features) + 2] = float.NaN;
        var data = new LabeledImages(images, labels, 1, Features, Classes);
        var order = new BatchOrder(data.Count, 8, seed: 0);
        order.Shuffle(0);
        int bad = Enumerable.Range(0, order.BatchCount).Single(b => order.Batch(b).Contains(25));
        Assert.InRange(bad, 1, order.BatchCount - 1); // the seed puts sample 25 after the first batch
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 6);
        var trainer = new Trainer(network, new Sgd(0.1f), 8);
        var seen = new System.Collections.Generic.List<(int Batch, StepResult SoFar)>();

        StepResult epoch = trainer.Epoch(data, order, 0, (b, soFar) => seen.Add((b, soFar)));

        Assert.True(epoch.Diverged);
        Assert.Equal(8 * bad, epoch.Samples);
        Assert.True(double.IsFinite(epoch.Loss));
        Assert.Equal(Enumerable.Range(0, bad + 1), seen.Select(s => s.Batch));
        Assert.Equal(epoch, seen[^1].SoFar);
        Assert.DoesNotContain(seen.Take(bad), s => s.SoFar.Diverged);
    }
}
