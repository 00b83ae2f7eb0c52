using System.Threading.Tasks;
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

        // Counted on the calling thread and on the trainer's helpers, each its own: a process-wide count also takes in
        // what the thread pool allocates for a thread it makes meanwhile.
        Assert.Equal(0, Measure.AllocatedByThreadAndHelpers(() => trainer.Step(images, labels, 8), () => trainer.AllocatedOnHelpers));
    }

    /// <summary>The helpers' count holds what their bodies allocate, and not what the calling thread's body does.</summary>
    [Fact]
    public void The_helpers_count_what_their_bodies_allocate()
    {
        var fork = new ForkJoin(2);
        byte[]? kept = null, mine = null;
        fork.Run(i =>
        {
            if (i == 1)
            {
                kept = new byte[10_000];
            }
        });
        Assert.InRange(fork.AllocatedOnWorkers, 10_000, 11_000);
        fork.Run(i =>
        {
            if (i == 0)
            {
                mine = new byte[10_000];
            }
        });
        Assert.InRange(fork.AllocatedOnWorkers, 10_000, 11_000);
        Assert.NotNull(kept);
        Assert.NotNull(mine);
    }

    /// <summary>
    /// The measure itself sees what the code allocates, on the calling thread and on another: what it takes away is only what
    /// the process allocates while the caller waits as long.
    /// </summary>
    [Fact]
    public void The_allocation_measure_counts_what_the_code_allocates()
    {
        byte[]? kept = null;
        Assert.InRange(Measure.AllocatedByThread(() => kept = new byte[1000], calls: 10), 10 * 1000, 10 * 1100);
        // Another thread's 1 MB per call: what the process allocates meanwhile (the test host's logger: 76 KB seen with a detailed log),
        // which the measure subtracts when it falls in its idle window, must not bring it under nine tenths of that.
        Assert.InRange(Measure.AllocatedByProcess(() => Task.Run(() => kept = new byte[1_000_000]).Wait(), calls: 10), 10 * 900_000, long.MaxValue);
        Assert.NotNull(kept);
    }
}
