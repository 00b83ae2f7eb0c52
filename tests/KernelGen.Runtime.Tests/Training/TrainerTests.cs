using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>
/// The trainer driving a linear softmax classifier written in the test: each step's gradient is the
/// full-batch mean whatever the thread count, runs are repeatable to the bit, training learns, evaluation
/// measures what it says, and bad arguments are refused.
/// </summary>
public class TrainerTests
{
    private const int Features = 4;
    private const int Classes = 3;

    /// <summary>
    /// <paramref name="count"/> samples of <see cref="Features"/> features, class k around 3 in feature k and 0
    /// elsewhere, with ±0.5 of uniform noise in every feature: a linear classifier separates them.
    /// </summary>
    private static LabeledImages Separable(int count, int seed)
    {
        var random = new Random(seed);
        var images = new float[count * Features];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = random.Next(Classes);
            for (int i = 0; i < Features; i++)
            {
                images[(n * Features) + i] = (float)((i == labels[n] ? 3 : 0) + random.NextDouble() - 0.5);
            }
        }

        return new LabeledImages(images, labels, 1, Features, Classes);
    }

    /// <summary>What the network should give for a batch, in double: the mean loss, its gradients, and the samples classified right.</summary>
    private sealed record Expected(double Loss, double[] Weight, double[] Bias, int Correct);

    private static Expected Reference(LinearSoftmaxNetwork network, ReadOnlySpan<float> images, ReadOnlySpan<int> labels)
    {
        int batch = labels.Length;
        float[] w = network.Weight.Values, b = network.Bias.Values;
        var gradWeight = new double[w.Length];
        var gradBias = new double[b.Length];
        double loss = 0;
        int correct = 0;
        var z = new double[Classes];
        for (int n = 0; n < batch; n++)
        {
            for (int k = 0; k < Classes; k++)
            {
                z[k] = b[k];
                for (int i = 0; i < Features; i++)
                {
                    z[k] += (double)w[(k * Features) + i] * images[(n * Features) + i];
                }
            }

            double max = z.Max();
            double sum = z.Sum(v => Math.Exp(v - max));
            loss += Math.Log(sum) + max - z[labels[n]];
            correct += Array.IndexOf(z, max) == labels[n] ? 1 : 0;
            for (int k = 0; k < Classes; k++)
            {
                double delta = ((Math.Exp(z[k] - max) / sum) - (k == labels[n] ? 1 : 0)) / batch;
                gradBias[k] += delta;
                for (int i = 0; i < Features; i++)
                {
                    gradWeight[(k * Features) + i] += delta * images[(n * Features) + i];
                }
            }
        }

        return new Expected(loss / batch, gradWeight, gradBias, correct);
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    private static void AssertMeanGradient(LinearSoftmaxNetwork network, Expected expected, string what)
    {
        AssertClose(expected.Weight, network.Weight.Gradients, 1e-6, $"{what}, weight gradient");
        AssertClose(expected.Bias, network.Bias.Gradients, 1e-6, $"{what}, bias gradient");
    }

    /// <summary>
    /// Trains <paramref name="network"/> for <paramref name="steps"/> steps over <paramref name="data"/> in shuffled batches
    /// (the last of each epoch smaller) and returns each step's loss.
    /// </summary>
    private static double[] Train(LinearSoftmaxNetwork network, LabeledImages data, int threads, Optimizer optimizer, int steps, int batchSize = 16)
    {
        var trainer = new Trainer(network, optimizer, batchSize, threads);
        var order = new BatchOrder(data.Count, batchSize, seed: 5);
        var images = new float[batchSize * Features];
        var labels = new int[batchSize];
        var losses = new double[steps];
        for (int step = 0; step < steps; step++)
        {
            int b = step % order.BatchCount;
            if (b == 0)
            {
                order.Shuffle(step / order.BatchCount);
            }

            ReadOnlySpan<int> indices = order.Batch(b);
            Span<float> batchImages = images.AsSpan(0, indices.Length * Features);
            Span<int> batchLabels = labels.AsSpan(0, indices.Length);
            data.CopyTo(indices, batchImages, batchLabels);
            losses[step] = trainer.Step(batchImages, batchLabels, indices.Length).Loss;
        }

        return losses;
    }

    /// <summary>A fresh network trained on 100 separable samples (so that seven batches of 16 make an epoch).</summary>
    private static (LinearSoftmaxNetwork Network, double[] Losses) TrainFresh(int threads, Optimizer optimizer, int steps)
    {
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 3);
        return (network, Train(network, Separable(100, 21), threads, optimizer, steps));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_step_sets_the_full_batch_mean_gradient_and_applies_the_optimizer(int threads)
    {
        LabeledImages data = Separable(7, 1);
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 2);
        var trainer = new Trainer(network, new Sgd(0.1f), maxBatch: 8, threads);
        Expected expected = Reference(network, data.Images, data.Labels);
        float[] weightBefore = (float[])network.Weight.Values.Clone(), biasBefore = (float[])network.Bias.Values.Clone();

        StepResult result = trainer.Step(data.Images, data.Labels, 7);

        AssertMeanGradient(network, expected, $"{threads} threads");
        Assert.True(Math.Abs(result.Loss - expected.Loss) <= 1e-5 * expected.Loss, $"loss {result.Loss}, expected {expected.Loss}");
        Assert.Equal(expected.Correct, result.Correct);
        Assert.Equal(7, result.Samples);
        AssertClose([.. weightBefore.Select((v, i) => v - (0.1 * expected.Weight[i]))], network.Weight.Values, 1e-6, "weight after the step");
        AssertClose([.. biasBefore.Select((v, i) => v - (0.1 * expected.Bias[i]))], network.Bias.Values, 1e-6, "bias after the step");
    }

    [Fact]
    public void Every_batch_size_up_to_the_maximum_gives_the_mean_gradient_on_every_thread_count()
    {
        // A smaller batch splits differently from the largest: a thread may get more samples than its share of
        // the maximum, or none at all (and must then add nothing, not the gradient of an earlier step).
        LabeledImages data = Separable(12, 4);
        for (int maxBatch = 1; maxBatch <= 12; maxBatch++)
        {
            for (int threads = 1; threads <= 6; threads++)
            {
                var network = new LinearSoftmaxNetwork(Features, Classes, seed: 5);
                var trainer = new Trainer(network, new Sgd(0.01f), maxBatch, threads);
                for (int batch = maxBatch; batch >= 1; batch--)
                {
                    LabeledImages part = data.Take(batch);
                    Expected expected = Reference(network, part.Images, part.Labels);

                    StepResult result = trainer.Step(part.Images, part.Labels, batch);

                    string what = $"batch {batch} of at most {maxBatch} on {threads} threads";
                    AssertMeanGradient(network, expected, what);
                    Assert.True(Math.Abs(result.Loss - expected.Loss) <= 1e-5 * expected.Loss, $"{what}: loss {result.Loss}, expected {expected.Loss}");
                }
            }
        }
    }

    [Fact]
    public void Two_threads_reach_the_one_thread_result_after_several_steps()
    {
        (LinearSoftmaxNetwork one, double[] oneLosses) = TrainFresh(1, new Sgd(0.1f, momentum: 0.9f, weightDecay: 1e-3f), steps: 12);
        (LinearSoftmaxNetwork two, double[] twoLosses) = TrainFresh(2, new Sgd(0.1f, momentum: 0.9f, weightDecay: 1e-3f), steps: 12);

        AssertClose([.. one.Weight.Values.Select(v => (double)v)], two.Weight.Values, 1e-5, "weight");
        AssertClose([.. one.Bias.Values.Select(v => (double)v)], two.Bias.Values, 1e-5, "bias");
        for (int step = 0; step < oneLosses.Length; step++)
        {
            Assert.True(Math.Abs(oneLosses[step] - twoLosses[step]) <= 1e-5 * oneLosses[step], $"step {step}: {oneLosses[step]} and {twoLosses[step]}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Two_runs_on_the_same_threads_and_data_are_identical_to_the_bit(int threads)
    {
        (LinearSoftmaxNetwork first, double[] firstLosses) = TrainFresh(threads, new Adam(0.05f), steps: 15);
        (LinearSoftmaxNetwork second, double[] secondLosses) = TrainFresh(threads, new Adam(0.05f), steps: 15);

        Assert.Equal(first.Weight.Values.Select(BitConverter.SingleToInt32Bits), second.Weight.Values.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(first.Bias.Values.Select(BitConverter.SingleToInt32Bits), second.Bias.Values.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(firstLosses.Select(BitConverter.DoubleToInt64Bits), secondLosses.Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void An_epoch_is_the_steps_of_its_shuffled_batches_and_reports_their_weighted_mean(int threads)
    {
        LabeledImages data = Separable(100, 21);
        var stepped = new LinearSoftmaxNetwork(Features, Classes, seed: 3);
        var order = new BatchOrder(data.Count, 16, seed: 5);
        double[] losses = Train(stepped, data, threads, new Sgd(0.1f, 0.9f), order.BatchCount);

        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 3);
        var trainer = new Trainer(network, new Sgd(0.1f, 0.9f), 16, threads);
        var progress = new System.Collections.Generic.List<(int Batch, StepResult SoFar)>();
        StepResult epoch = trainer.Epoch(data, order, 0, (b, soFar) => progress.Add((b, soFar)));

        for (int p = 0; p < network.Parameters.Count; p++)
        {
            Assert.Equal(stepped.Parameters[p].Values, network.Parameters[p].Values);
        }

        int[] sizes = [.. Enumerable.Range(0, order.BatchCount).Select(b => order.Batch(b).Length)];
        double expected = losses.Zip(sizes, (loss, size) => loss * size).Sum() / data.Count;
        Assert.Equal(expected, epoch.Loss, 12);
        Assert.Equal(data.Count, epoch.Samples);
        Assert.Equal(Enumerable.Range(0, order.BatchCount), progress.Select(x => x.Batch));
        Assert.Equal(epoch, progress[^1].SoFar);
        Assert.Equal(sizes[0], progress[0].SoFar.Samples);
        Assert.Equal(losses[0], progress[0].SoFar.Loss, 12);
    }

    [Fact]
    public void An_epoch_refuses_batches_larger_than_the_trainer_takes_and_images_of_another_size()
    {
        var trainer = new Trainer(new LinearSoftmaxNetwork(Features, Classes, seed: 1), new Sgd(0.1f), maxBatch: 8, threads: 2);
        LabeledImages data = Separable(20, 1);
        Assert.Throws<ArgumentOutOfRangeException>("order", () => trainer.Epoch(data, new BatchOrder(data.Count, 9, seed: 0), 0));
        var other = new LabeledImages(new float[20 * (Features + 1)], new int[20], 1, Features + 1, Classes);
        Assert.Throws<ArgumentException>("data", () => trainer.Epoch(other, new BatchOrder(20, 8, seed: 0), 0));
    }

    [Fact]
    public void The_loss_goes_down_and_the_accuracy_up_over_twenty_steps_on_separable_data()
    {
        LabeledImages data = Separable(100, 21);
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 3);
        var evaluator = new Trainer(network, new Sgd(1f), maxBatch: 32, threads: 2);
        StepResult before = evaluator.Evaluate(data);

        double[] losses = Train(network, data, threads: 2, new Sgd(0.2f, momentum: 0.5f), steps: 20);
        StepResult after = evaluator.Evaluate(data);

        Assert.True(after.Loss < before.Loss / 4, $"the loss went from {before.Loss} to {after.Loss}");
        Assert.True(losses[^5..].Average() < losses[..5].Average() / 2, $"step losses {string.Join(", ", losses)}");
        Assert.True(after.Accuracy >= 0.97, $"accuracy {after.Accuracy} after training (from {before.Accuracy})");
    }

    [Theory]
    [InlineData(1, 23)]
    [InlineData(2, 4)]
    [InlineData(3, 5)]
    [InlineData(2, 64)]
    public void Evaluate_gives_the_mean_loss_and_accuracy_over_the_whole_set(int threads, int maxBatch)
    {
        LabeledImages data = Separable(23, 8);
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 9);
        var trainer = new Trainer(network, new Sgd(0.1f), maxBatch, threads);
        Expected expected = Reference(network, data.Images, data.Labels);
        float[] weight = (float[])network.Weight.Values.Clone();

        StepResult result = trainer.Evaluate(data);

        Assert.True(Math.Abs(result.Loss - expected.Loss) <= 1e-5 * expected.Loss, $"loss {result.Loss}, expected {expected.Loss}");
        Assert.Equal(expected.Correct, result.Correct);
        Assert.Equal(23, result.Samples);
        Assert.Equal((double)expected.Correct / 23, result.Accuracy);
        Assert.Equal(weight, network.Weight.Values);
        Assert.Equal(0, trainer.Optimizer.Steps);
    }

    [Fact]
    public void Evaluate_of_no_images_is_zero_loss_and_zero_accuracy()
    {
        var trainer = new Trainer(new LinearSoftmaxNetwork(Features, Classes, seed: 1), new Sgd(0.1f), 4, 2);

        StepResult result = trainer.Evaluate(new LabeledImages([], [], 1, Features, Classes));

        Assert.Equal(new StepResult(0, 0, 0), result);
        Assert.Equal(0, result.Accuracy);
    }

    [Fact]
    public void A_frozen_parameter_keeps_its_values_and_gradient_through_a_step()
    {
        LabeledImages data = Separable(6, 10);
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 11);
        network.Bias.Frozen = true;
        network.Bias.Values.AsSpan().Fill(0.25f);
        network.Bias.Gradients.AsSpan().Fill(7f);
        var trainer = new Trainer(network, new Adam(0.01f), maxBatch: 6, threads: 2);
        Expected expected = Reference(network, data.Images, data.Labels);

        trainer.Step(data.Images, data.Labels, 6);

        Assert.All(network.Bias.Values, v => Assert.Equal(0.25f, v));
        Assert.All(network.Bias.Gradients, g => Assert.Equal(7f, g));
        AssertClose(expected.Weight, network.Weight.Gradients, 1e-6, "weight gradient");
    }

    [Fact]
    public void Threads_are_at_most_the_largest_batch()
    {
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 1);

        Assert.Equal(2, new Trainer(network, new Sgd(0.1f), maxBatch: 2, threads: 8).Threads);
        Assert.Equal(3, new Trainer(network, new Sgd(0.1f), maxBatch: 64, threads: 3).Threads);
    }

    [Fact]
    public void Bad_batches_and_spans_throw_naming_the_argument()
    {
        var trainer = new Trainer(new LinearSoftmaxNetwork(Features, Classes, seed: 1), new Sgd(0.1f), maxBatch: 4, threads: 2);
        LabeledImages data = Separable(5, 2);

        var tooMany = Assert.Throws<ArgumentOutOfRangeException>("batch", () => trainer.Step(data.Images, data.Labels, 5));
        Assert.Contains("at most 4", tooMany.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("batch", () => trainer.Step([], ReadOnlySpan<int>.Empty, 0));
        Assert.Throws<ArgumentException>("images", () => trainer.Step(data.Images.AsSpan(0, 3 * Features), data.Labels.AsSpan(0, 2), 2));
        Assert.Throws<ArgumentException>("images", () => trainer.Step(data.Images.AsSpan(0, (2 * Features) - 1), data.Labels.AsSpan(0, 2), 2));
        Assert.Throws<ArgumentException>("labels", () => trainer.Step(data.Images.AsSpan(0, 2 * Features), data.Labels.AsSpan(0, 3), 2));
        Assert.Throws<ArgumentException>("data", () => trainer.Evaluate(new LabeledImages(new float[10], [0, 1], 1, 5, Classes)));
        Assert.Throws<ArgumentNullException>("data", () => trainer.Evaluate(null!));
        Assert.Equal(0, trainer.Optimizer.Steps);
    }

    [Fact]
    public void Bad_construction_throws_naming_the_argument()
    {
        var network = new LinearSoftmaxNetwork(Features, Classes, seed: 1);

        Assert.Throws<ArgumentNullException>("network", () => new Trainer(null!, new Sgd(0.1f), 4));
        Assert.Throws<ArgumentNullException>("optimizer", () => new Trainer(network, null!, 4));
        Assert.Throws<ArgumentOutOfRangeException>("maxBatch", () => new Trainer(network, new Sgd(0.1f), 0));
        Assert.Throws<ArgumentOutOfRangeException>("threads", () => new Trainer(network, new Sgd(0.1f), 4, 0));
    }

    [Fact]
    public void Correct_counts_rows_whose_largest_logit_is_at_the_label_taking_the_first_on_a_tie()
    {
        float[] logits =
        [
            0.1f, 0.7f, 0.2f,
            2f, 2f, -1f,
            -3f, -2f, -1f,
            5f, 1f, 4.9f,
        ];

        Assert.Equal(3, Trainer.Correct(logits, [1, 0, 2, 2], 4, 3));
        Assert.Equal(0, Trainer.Correct(logits, [0, 1, 0, 1], 4, 3));
    }

    [Fact]
    public void Accuracy_is_the_share_correct_and_zero_without_samples()
    {
        Assert.Equal(0.75, new StepResult(1.5, 3, 4).Accuracy);
        Assert.Equal(0, new StepResult(0, 0, 0).Accuracy);
    }
}
