using KernelGen.Tests;
using KernelGen.Tests.Shared;
using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>
/// After its first step a <see cref="Trainer"/> allocates nothing per step, on any number of threads: its threads are
/// thread-pool work items made once (<c>ForkJoin</c>), not a <c>Parallel.For</c> per step, and the optimizer does not
/// enumerate through an interface.
/// </summary>
[Collection(nameof(Alone))]
public class AllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void A_training_step_allocates_nothing_after_the_first(int threads)
    {
        var network = new LinearSoftmaxNetwork(features: 16, classes: 5, seed: 1);
        var trainer = new Trainer(network, new Adam(1e-3f), maxBatch: 8, threads);
        var random = new Random(2);
        float[] images = [.. Enumerable.Range(0, 8 * 16).Select(_ => (float)random.NextDouble())];
        int[] labels = [.. Enumerable.Range(0, 8).Select(_ => random.Next(5))];

        Assert.Equal(0, Measure.AllocatedByProcess(() => trainer.Step(images, labels, 8)));
    }
}
