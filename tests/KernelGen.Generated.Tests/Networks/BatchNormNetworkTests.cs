using System.Collections.Generic;
using System.IO;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// Batch norms in a network (<see cref="Normalized"/>) against the same graph in double precision with <see cref="Reference"/>:
/// training passes normalise with the batch's statistics; <c>Forward</c> with the running ones, folded into the
/// convolutions before them; a training step moves the running statistics as PyTorch does (momentum, unbiased variance),
/// and a batch split across threads normalises each part with its own statistics but moves the running ones by the whole
/// batch's.
/// </summary>
public sealed class BatchNormNetworkTests
{
    private static readonly Conv2DGeometry Conv = Same(2, 4), Conv2 = Same(4, 4);
    private static readonly Conv2DGeometry Down = new(4, 8, 8, 6, 3, 3, 2, 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
    private static readonly Conv2DGeometry Projection = new(4, 8, 8, 6, 1, 1, 2, 2);
    private static readonly DenseGeometry Out = new(6, 3);

    private static readonly (string Name, int Channels, double Epsilon, double Momentum)[] Norms =
        [("Bn1", 4, 1e-5f, 0.1f), ("Bn2", 4, 1e-5f, 0.1f), ("DownBn", 6, 1e-5f, 0.25f), ("ProjectionBn", 6, 1e-3f, 0.1f), ("Bn3", 6, 1e-5f, 0.1f)];

    [Fact]
    public void Parameters_and_buffers_have_PyTorch_names_and_roles()
    {
        var network = new Normalized(seed: 1);

        Assert.Equal(
            ["Conv1.weight", "Bn1.weight", "Bn1.bias", "Bn1.running_mean", "Bn1.running_var"],
            network.Parameters.Take(5).Select(p => p.Name));
        Assert.Equal([false, false, false, true, true], network.Parameters.Take(5).Select(p => p.IsBuffer));
        Assert.All(network.Parameters.Where(p => p.IsBuffer), p => Assert.True(p.Frozen));
        Assert.All(network.Bn1Weight.Values, v => Assert.Equal(1f, v));
        Assert.All(network.Bn1RunningVar.Values, v => Assert.Equal(1f, v));
        Assert.All(network.Bn1RunningMean.Values, v => Assert.Equal(0f, v));
        Assert.DoesNotContain(network.Parameters, p => p.Name == "Conv1.bias");  // Bias = false
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Training_passes_use_the_batch_statistics_and_Forward_the_running_ones(int batch)
    {
        Normalized network = Randomised(seed: batch);
        var random = new Random(100 + batch);
        float[] input = [.. Enumerable.Range(0, batch * Normalized.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        int[] labels = [.. Enumerable.Range(0, batch).Select(_ => random.Next(Normalized.OutputSize))];
        Dictionary<string, double[]> p = Values(network);

        var logits = new float[batch * Normalized.OutputSize];
        float loss = network.ForwardBackward(network.CreateWorkspace(batch), input, labels, logits, batch, 1f);
        double[] training = Expected(p, input, batch, training: true, out _);
        Check.Close("training logits", training, logits);
        Assert.Equal(Reference.SoftmaxCrossEntropy<double>(training, labels, batch) * batch, loss, 1e-4 * batch);

        var inference = new float[batch * Normalized.OutputSize];
        network.Forward(input, inference, batch);
        Check.Close("inference logits", Expected(p, input, batch, training: false, out _), inference);
    }

    [Fact]
    public void A_training_step_moves_the_running_statistics_as_PyTorch_does()
    {
        const int batch = 4;
        Normalized network = Randomised(seed: 9);
        var random = new Random(3);
        float[] input = [.. Enumerable.Range(0, batch * Normalized.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        int[] labels = [0, 1, 2, 1];
        Dictionary<string, double[]> before = Values(network);
        Expected(before, input, batch, training: true, out Dictionary<string, (double[] Mean, double[] Variance)> statistics);

        new Trainer(network, new Sgd(0.01f), batch).Step(input, labels, batch);

        foreach ((string name, int channels, _, double momentum) in Norms)
        {
            int count = batch * (name is "Bn1" or "Bn2" ? 64 : 16);
            (double[] mean, double[] variance) = statistics[name];
            double[] runningMean = [.. before[name + ".running_mean"].Select((r, c) => ((1 - momentum) * r) + (momentum * mean[c]))];
            double[] runningVar = [.. before[name + ".running_var"].Select((r, c) => ((1 - momentum) * r) + (momentum * variance[c] * count / (count - 1)))];
            Check.Close(name + ".running_mean", runningMean, Find(network, name + ".running_mean").Values);
            Check.Close(name + ".running_var", runningVar, Find(network, name + ".running_var").Values);
        }
    }

    /// <summary>
    /// Two threads: each half of the batch is normalised with its own statistics (so the gradients are the sum of two
    /// one-thread passes over the halves, bit for bit), and the running statistics move by the halves' statistics combined
    /// into the whole batch's.
    /// </summary>
    [Fact]
    public void A_batch_split_across_threads_normalises_each_part_and_moves_the_running_statistics_by_the_whole()
    {
        const int batch = 6;
        var random = new Random(21);
        float[] input = [.. Enumerable.Range(0, batch * Normalized.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        int[] labels = [0, 1, 2, 2, 1, 0];

        Normalized halves = Randomised(seed: 30);
        var gradients = halves.Parameters.Select(p => new float[p.Values.Length]).ToArray();
        for (int part = 0; part < 2; part++)
        {
            NetworkWorkspace workspace = halves.CreateWorkspace(3);
            halves.ForwardBackward(workspace, input.AsSpan(part * 3 * Normalized.InputSize, 3 * Normalized.InputSize), labels.AsSpan(part * 3, 3),
                new float[3 * Normalized.OutputSize], 3, 1f / batch);
            for (int i = 0; i < gradients.Length; i++)
            {
                for (int k = 0; k < gradients[i].Length; k++)
                {
                    gradients[i][k] += workspace.Gradients[i][k];
                }
            }
        }

        Normalized two = Randomised(seed: 30), one = Randomised(seed: 30);
        var sgd = new Sgd(0.001f);
        new Trainer(two, sgd, batch, threads: 2).Step(input, labels, batch);
        new Trainer(one, sgd, batch, threads: 1).Step(input, labels, batch);

        for (int i = 0; i < gradients.Length; i++)
        {
            if (!two.Parameters[i].IsBuffer)
            {
                Assert.Equal(gradients[i], two.Parameters[i].Gradients);
            }
        }

        // Each part's batch statistics (deeper batch norms see inputs normalised part by part), combined into the whole
        // batch's mean and unbiased variance; the first batch norm's are the whole batch's, as one thread takes them.
        Dictionary<string, double[]> p = Values(Randomised(seed: 30));
        var parts = new Dictionary<string, (double[] Mean, double[] Variance)>[2];
        for (int part = 0; part < 2; part++)
        {
            Expected(p, input[(part * 3 * Normalized.InputSize)..((part + 1) * 3 * Normalized.InputSize)], 3, training: true, out parts[part]);
        }

        foreach ((string name, int channels, _, double momentum) in Norms)
        {
            int count = batch * (name is "Bn1" or "Bn2" ? 64 : 16);
            var runningMean = new double[channels];
            var runningVar = new double[channels];
            for (int c = 0; c < channels; c++)
            {
                double mean = (parts[0][name].Mean[c] + parts[1][name].Mean[c]) / 2;
                double spread = (Math.Pow(parts[0][name].Mean[c] - mean, 2) + Math.Pow(parts[1][name].Mean[c] - mean, 2)) / 2;
                double variance = ((parts[0][name].Variance[c] + parts[1][name].Variance[c]) / 2) + spread;
                runningMean[c] = ((1 - momentum) * p[name + ".running_mean"][c]) + (momentum * mean);
                runningVar[c] = ((1 - momentum) * p[name + ".running_var"][c]) + (momentum * variance * count / (count - 1));
            }

            Check.Close(name + ".running_mean", runningMean, Find(two, name + ".running_mean").Values);
            Check.Close(name + ".running_var", runningVar, Find(two, name + ".running_var").Values);
        }

        Assert.Equal(Find(one, "Bn1.running_mean").Values.Select(v => (double)v), Find(two, "Bn1.running_mean").Values.Select(v => (double)v), new Tolerance(1e-6));
        Assert.Equal(Find(one, "Bn1.running_var").Values.Select(v => (double)v), Find(two, "Bn1.running_var").Values.Select(v => (double)v), new Tolerance(1e-6));
    }

    private sealed class Tolerance(double relative) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= relative * Math.Max(Math.Abs(x), Math.Abs(y));

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void A_state_dict_with_buffers_round_trips_bit_for_bit_and_a_bad_file_changes_nothing()
    {
        Normalized network = Randomised(seed: 12);
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-bn-{Guid.NewGuid():N}.safetensors");
        try
        {
            network.Save(path);
            var loaded = new Normalized(seed: 99);
            loaded.Load(path);
            for (int i = 0; i < network.Parameters.Count; i++)
            {
                Assert.Equal(network.Parameters[i].Values, loaded.Parameters[i].Values);
            }

            IReadOnlyDictionary<string, Tensor> tensors = Safetensors.Load(path);
            Safetensors.Save(path, tensors.Where(t => t.Key != "DownBn.running_var"));
            float[][] before = [.. loaded.Parameters.Select(p => p.Values.ToArray())];
            var missing = Assert.Throws<KeyNotFoundException>(() => loaded.Load(path));
            Assert.Contains("DownBn.running_var", missing.Message, StringComparison.Ordinal);

            Safetensors.Save(path, tensors.Select(t => t.Key == "Bn1.running_mean" ? KeyValuePair.Create(t.Key, Tensor.Zeros(5)) : t));
            var misshapen = Assert.Throws<InvalidDataException>(() => loaded.Load(path));
            Assert.Contains("Bn1.running_mean", misshapen.Message, StringComparison.Ordinal);
            for (int i = 0; i < before.Length; i++)
            {
                Assert.Equal(before[i], loaded.Parameters[i].Values);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A network with every parameter and running statistic random, so that no batch norm is an identity.</summary>
    private static Normalized Randomised(int seed)
    {
        var network = new Normalized(seed: seed, maxBatch: 8);
        var random = new Random(seed);
        foreach (Parameter parameter in network.Parameters.Where(p => p.Name.StartsWith("Bn", StringComparison.Ordinal) || p.Name.Contains("Bn.", StringComparison.Ordinal) || p.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            bool positive = parameter.Name.EndsWith(".running_var", StringComparison.Ordinal) || parameter.Name.EndsWith(".weight", StringComparison.Ordinal);
            for (int i = 0; i < parameter.Values.Length; i++)
            {
                parameter.Values[i] = (float)(positive ? 0.5 + random.NextDouble() : (random.NextDouble() - 0.5) * 0.6);
            }
        }

        return network;
    }

    private static Dictionary<string, double[]> Values(Normalized network) =>
        network.Parameters.ToDictionary(q => q.Name, q => q.Values.Select(v => (double)v).ToArray());

    private static Parameter Find(Normalized network, string name) => network.Parameters.Single(p => p.Name == name);

    /// <summary>The network's logits in double: batch norms with the batch's statistics (returned) or the running ones.</summary>
    private static double[] Expected(Dictionary<string, double[]> p, float[] input, int batch, bool training, out Dictionary<string, (double[] Mean, double[] Variance)> statistics)
    {
        var stats = new Dictionary<string, (double[] Mean, double[] Variance)>();
        double[] Norm(string name, int channels, int plane, double[] x, Activation activation)
        {
            (_, _, double epsilon, _) = Norms.Single(n => n.Name == name);
            var y = new double[x.Length];
            if (training)
            {
                var mean = new double[channels];
                var variance = new double[channels];
                Reference.BatchNorm2DTraining<double>(channels, plane, 1, x, p[name + ".weight"], p[name + ".bias"], y, mean, variance, batch, epsilon);
                stats[name] = (mean, variance);
            }
            else
            {
                Reference.BatchNorm2D<double>(channels, plane, 1, x, p[name + ".weight"], p[name + ".bias"], p[name + ".running_mean"], p[name + ".running_var"], y, batch, epsilon);
            }

            var activated = new double[y.Length];
            Reference.Activate<double>(activation, y, activated);
            return activated;
        }

        double[] Convolve(Conv2DGeometry g, double[] x, string name)
        {
            var y = new double[batch * g.OutputLength];
            Reference.Conv2D<double>(g, x, p[name + ".weight"], p.TryGetValue(name + ".bias", out double[]? bias) ? bias : [], y, batch);
            return y;
        }

        double[] Sum(double[] a, double[] b, Activation activation)
        {
            var y = new double[a.Length];
            Reference.Add<double>(a, b, y, activation);
            return y;
        }

        double[] x0 = [.. input.Select(v => (double)v)];
        double[] bn1 = Norm("Bn1", 4, 64, Convolve(Conv, x0, "Conv1"), Activation.Tanh);
        double[] bn2 = Norm("Bn2", 4, 64, Convolve(Conv2, bn1, "Conv2"), Activation.None);
        double[] block = Sum(bn2, bn1, Activation.Silu);
        double[] down = Norm("DownBn", 6, 16, Convolve(Down, block, "Down"), Activation.None);
        double[] projection = Norm("ProjectionBn", 6, 16, Convolve(Projection, block, "Projection"), Activation.None);
        double[] bn3 = Norm("Bn3", 6, 16, Sum(projection, down, Activation.None), Activation.Gelu);
        var gap = new double[batch * 6];
        Reference.GlobalAvgPool2D<double>(6, 4, 4, bn3, gap, batch);
        var logits = new double[batch * 3];
        Reference.Dense<double>(Out, gap, p["Out.weight"], p["Out.bias"], logits, batch);
        statistics = stats;
        return logits;
    }

    private static Conv2DGeometry Same(int inChannels, int outChannels) =>
        new(inChannels, 8, 8, outChannels, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
}
