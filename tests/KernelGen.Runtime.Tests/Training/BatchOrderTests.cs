using System.Collections.Generic;
using CsCheck;
using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>Batch orders: every epoch a permutation split into batches, fixed by the seed and the epoch alone.</summary>
public class BatchOrderTests
{
    /// <summary>The whole epoch as the batches give it, one after another.</summary>
    private static int[] Epoch(BatchOrder order)
    {
        var all = new List<int>();
        for (int b = 0; b < order.BatchCount; b++)
        {
            all.AddRange(order.Batch(b).ToArray());
        }

        return [.. all];
    }

    private static int[] Shuffled(int count, int batchSize, int seed, int epoch)
    {
        var order = new BatchOrder(count, batchSize, seed);
        order.Shuffle(epoch);
        return Epoch(order);
    }

    [Fact]
    public void Every_epoch_is_a_permutation_covered_exactly_by_full_batches_and_a_smaller_last_one()
    {
        (from count in Gen.Int[1, 300]
         from batchSize in Gen.Int[1, 80]
         from seed in Gen.Int
         from epoch in Gen.Int[0, 1000]
         select (count, batchSize, seed, epoch))
        .Sample(c =>
        {
            var order = new BatchOrder(c.count, c.batchSize, c.seed);
            order.Shuffle(c.epoch);

            int batches = (c.count / c.batchSize) + (c.count % c.batchSize == 0 ? 0 : 1);
            Assert.Equal(batches, order.BatchCount);
            Assert.Equal(c.batchSize, order.BatchSize);
            for (int b = 0; b < batches - 1; b++)
            {
                Assert.Equal(c.batchSize, order.Batch(b).Length);
            }

            Assert.Equal(c.count - ((batches - 1) * c.batchSize), order.Batch(batches - 1).Length);
            int[] epoch = Epoch(order);
            Assert.Equal(Enumerable.Range(0, c.count), epoch.Order());
        }, iter: 300);
    }

    [Fact]
    public void The_same_seed_and_epoch_give_the_same_order_in_another_instance()
    {
        Gen.Select(Gen.Int[1, 200], Gen.Int[1, 50], Gen.Int, Gen.Int[0, 100]).Sample((count, batchSize, seed, epoch) =>
            Assert.Equal(Shuffled(count, batchSize, seed, epoch), Shuffled(count, batchSize, seed, epoch)), iter: 100);
    }

    [Fact]
    public void Different_epochs_and_different_seeds_give_different_orders()
    {
        int[][] epochs = [.. Enumerable.Range(0, 10).Select(e => Shuffled(100, 32, 1234, e))];

        for (int a = 0; a < epochs.Length; a++)
        {
            for (int b = a + 1; b < epochs.Length; b++)
            {
                Assert.NotEqual(epochs[a], epochs[b]);
            }
        }

        Assert.NotEqual(Shuffled(100, 32, 1, 5), Shuffled(100, 32, 2, 5));
    }

    [Fact]
    public void The_order_is_shuffled_not_the_identity()
    {
        int[] order = Shuffled(1000, 100, 7, 0);

        // A fair shuffle of 1000 leaves about one element in place; far fewer than 50 here.
        Assert.True(order.Where((index, position) => index == position).Count() < 50, "the order is barely shuffled");
    }

    [Fact]
    public void An_epoch_replays_the_same_whatever_was_shuffled_before()
    {
        var order = new BatchOrder(257, 16, 99);
        order.Shuffle(3);
        int[] first = Epoch(order);

        order.Shuffle(4);
        order.Shuffle(11);
        order.Shuffle(3);

        Assert.Equal(first, Epoch(order));
        Assert.Equal(first, Shuffled(257, 16, 99, 3));
    }

    [Fact]
    public void A_new_order_starts_as_epoch_zero()
    {
        var order = new BatchOrder(50, 8, 5);

        Assert.Equal(Shuffled(50, 8, 5, 0), Epoch(order));
    }

    [Fact]
    public void One_batch_larger_than_the_data_holds_all_of_it()
    {
        var order = new BatchOrder(5, 64, 0);

        Assert.Equal(1, order.BatchCount);
        Assert.Equal([0, 1, 2, 3, 4], order.Batch(0).ToArray().Order());
    }

    [Fact]
    public void Bad_sizes_and_batch_indices_throw_naming_the_argument()
    {
        var order = new BatchOrder(10, 3, 0);

        Assert.Throws<ArgumentOutOfRangeException>("index", () => order.Batch(4));
        Assert.Throws<ArgumentOutOfRangeException>("index", () => order.Batch(-1));
        Assert.Throws<ArgumentOutOfRangeException>("count", () => new BatchOrder(0, 3, 0));
        Assert.Throws<ArgumentOutOfRangeException>("batchSize", () => new BatchOrder(10, 0, 0));
    }
}
