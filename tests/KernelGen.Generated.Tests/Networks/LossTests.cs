using System.Collections.Generic;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// The losses a network trains with besides softmax cross-entropy: binary cross-entropy from the last layer's
/// pre-activation, and mean squared error — outputs, loss and every gradient against the reference in double; extreme
/// logits; the wrong kind of target; training with the <see cref="Trainer"/>.
/// </summary>
public sealed class LossTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Binary_cross_entropy_matches_the_reference(int batch)
    {
        var network = new Binary(seed: 3, maxBatch: batch);
        var random = new Random(batch);
        network.OutBias.Values[0] = 0.3f;
        float[] input = [.. Enumerable.Range(0, batch * Binary.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] targets = [.. Enumerable.Range(0, batch * 2).Select(_ => (float)random.Next(2))];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        var outputs = new float[batch * 2];
        float loss = ((INetwork)network).ForwardBackward(workspace, input, targets, outputs, batch, 1f / batch);

        Dictionary<string, double[]> p = network.Parameters.ToDictionary(q => q.Name, q => q.Values.Select(v => (double)v).ToArray());
        var conv = new Conv2DGeometry(1, 5, 5, 2, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        Pool2DGeometry pool = Pool2DGeometry.Same(2, 5, 5, 2, 2, 2, 2);
        var dense = new DenseGeometry(18, 2);
        double[] x = [.. input.Select(v => (double)v)];
        var conv1 = new double[batch * conv.OutputLength];
        Reference.Conv2D<double>(conv, x, p["Conv1.weight"], p["Conv1.bias"], conv1, batch, Activation.Tanh);
        var pooled = new double[batch * pool.OutputLength];
        Reference.MaxPool2D<double>(pool, conv1, pooled, batch);
        var z = new double[batch * 2];
        Reference.Dense<double>(dense, pooled, p["Out.weight"], p["Out.bias"], z, batch);
        var probabilities = new double[z.Length];
        Reference.Activate<double>(Activation.Sigmoid, z, probabilities);
        Check.Close("outputs", probabilities, outputs);
        double[] t = [.. targets.Select(v => (double)v)];
        Assert.Equal(Reference.BinaryCrossEntropyWithLogits<double>(z, t) * batch, loss, 1e-4);

        var dZ = new double[z.Length];
        Reference.BinaryCrossEntropyWithLogitsBackward<double>(z, t, dZ);
        var gradients = new Dictionary<string, double[]> { ["Out.weight"] = new double[dense.WeightLength], ["Out.bias"] = new double[2] };
        var dPooled = new double[pooled.Length];
        Reference.DenseBackward<double>(dense, pooled, p["Out.weight"], dZ, dPooled, gradients["Out.weight"], gradients["Out.bias"], batch);
        var dConv1 = new double[conv1.Length];
        Reference.MaxPool2DBackward<double>(pool, conv1, dPooled, dConv1, batch);
        Reference.ActivationBackward<double>(Activation.Tanh, conv1, dConv1, dConv1);
        gradients["Conv1.weight"] = new double[conv.WeightLength];
        gradients["Conv1.bias"] = new double[2];
        Reference.Conv2DBackward<double>(conv, x, p["Conv1.weight"], dConv1, new double[x.Length], gradients["Conv1.weight"], gradients["Conv1.bias"], batch);
        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Check.Close(network.Parameters[i].Name + " gradient", gradients[network.Parameters[i].Name], workspace.Gradients[i]);
        }
    }

    /// <summary>Logits of ±40, where a float sigmoid is exactly 0 or 1: the loss is the exact 40 per wrong output, not log(0).</summary>
    [Fact]
    public void Binary_cross_entropy_stays_exact_where_the_sigmoid_rounds_to_0_or_1()
    {
        var network = new OneSigmoid(seed: 1, maxBatch: 2);
        Array.Clear(network.OutWeight.Values);
        network.OutBias.Values[0] = 40f;
        NetworkWorkspace workspace = network.CreateWorkspace(2);
        var outputs = new float[2];
        float loss = ((INetwork)network).ForwardBackward(workspace, new float[2 * 16], [1f, 0f], outputs, 2, 0.5f);
        Assert.Equal([1f, 1f], outputs);
        Assert.Equal(40.0, loss, 1e-4);
        Assert.Equal(0.5f, workspace.Gradients[1][0], 1e-6f);  // ((σ(40) − 1) + (σ(40) − 0)) scaled by ½
        Assert.Equal(1, network.Predict(new float[16]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void Mean_squared_error_matches_the_reference(int batch)
    {
        var network = new Regression(seed: 5, maxBatch: batch);
        var random = new Random(20 + batch);
        float[] input = [.. Enumerable.Range(0, batch * 16).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] targets = [.. Enumerable.Range(0, batch * 3).Select(_ => (float)((random.NextDouble() * 4) - 2))];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        var outputs = new float[batch * 3];
        float loss = ((INetwork)network).ForwardBackward(workspace, input, targets, outputs, batch, 1f / batch);

        Dictionary<string, double[]> p = network.Parameters.ToDictionary(q => q.Name, q => q.Values.Select(v => (double)v).ToArray());
        DenseGeometry hiddenShape = new(16, 6), outShape = new(6, 3);
        double[] x = [.. input.Select(v => (double)v)], t = [.. targets.Select(v => (double)v)];
        var hidden = new double[batch * 6];
        Reference.Dense<double>(hiddenShape, x, p["Hidden.weight"], p["Hidden.bias"], hidden, batch, Activation.Tanh);
        var y = new double[batch * 3];
        Reference.Dense<double>(outShape, hidden, p["Out.weight"], p["Out.bias"], y, batch);
        Check.Close("outputs", y, outputs);
        Assert.Equal(Reference.MeanSquaredError<double>(y, t) * batch, loss, 1e-4);

        var dY = new double[y.Length];
        Reference.MeanSquaredErrorBackward<double>(y, t, dY);
        var gradients = new Dictionary<string, double[]>
        {
            ["Out.weight"] = new double[outShape.WeightLength], ["Out.bias"] = new double[3],
            ["Hidden.weight"] = new double[hiddenShape.WeightLength], ["Hidden.bias"] = new double[6],
        };
        var dHidden = new double[hidden.Length];
        Reference.DenseBackward<double>(outShape, hidden, p["Out.weight"], dY, dHidden, gradients["Out.weight"], gradients["Out.bias"], batch);
        Reference.ActivationBackward<double>(Activation.Tanh, hidden, dHidden, dHidden);
        Reference.DenseBackward<double>(hiddenShape, x, p["Hidden.weight"], dHidden, new double[x.Length], gradients["Hidden.weight"], gradients["Hidden.bias"], batch);
        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Check.Close(network.Parameters[i].Name + " gradient", gradients[network.Parameters[i].Name], workspace.Gradients[i]);
        }
    }

    /// <summary>One convolution applied twice: one set of parameters, whose gradient is the sum of both uses.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Shared_weights_get_the_sum_of_both_uses_gradients(int batch)
    {
        var network = new SharedConv(seed: 2, maxBatch: batch);
        Assert.Equal(["Conv.weight", "Conv.bias", "Out.weight", "Out.bias"], network.Parameters.Select(q => q.Name));
        network.ConvBias.Values[0] = 0.2f;
        var random = new Random(30 + batch);
        float[] input = [.. Enumerable.Range(0, batch * 36).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        float[] targets = [.. Enumerable.Range(0, batch).Select(_ => (float)random.Next(2))];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        var outputs = new float[batch];
        ((INetwork)network).ForwardBackward(workspace, input, targets, outputs, batch, 1f / batch);

        Dictionary<string, double[]> p = network.Parameters.ToDictionary(q => q.Name, q => q.Values.Select(v => (double)v).ToArray());
        var conv = new Conv2DGeometry(1, 6, 6, 1, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        Pool2DGeometry pool = Pool2DGeometry.Same(1, 6, 6, 2, 2, 2, 2);
        var dense = new DenseGeometry(9, 1);
        double[] x = [.. input.Select(v => (double)v)], t = [.. targets.Select(v => (double)v)];
        var once = new double[batch * 36];
        Reference.Conv2D<double>(conv, x, p["Conv.weight"], p["Conv.bias"], once, batch, Activation.Tanh);
        var twice = new double[batch * 36];
        Reference.Conv2D<double>(conv, once, p["Conv.weight"], p["Conv.bias"], twice, batch, Activation.Tanh);
        var pooled = new double[batch * 9];
        Reference.MaxPool2D<double>(pool, twice, pooled, batch);
        var z = new double[batch];
        Reference.Dense<double>(dense, pooled, p["Out.weight"], p["Out.bias"], z, batch);
        var probabilities = new double[batch];
        Reference.Activate<double>(Activation.Sigmoid, z, probabilities);
        Check.Close("outputs", probabilities, outputs);

        var dZ = new double[batch];
        Reference.BinaryCrossEntropyWithLogitsBackward<double>(z, t, dZ);
        var gradients = new Dictionary<string, double[]> { ["Out.weight"] = new double[9], ["Out.bias"] = new double[1] };
        var dPooled = new double[pooled.Length];
        Reference.DenseBackward<double>(dense, pooled, p["Out.weight"], dZ, dPooled, gradients["Out.weight"], gradients["Out.bias"], batch);
        var dTwice = new double[twice.Length];
        Reference.MaxPool2DBackward<double>(pool, twice, dPooled, dTwice, batch);
        Reference.ActivationBackward<double>(Activation.Tanh, twice, dTwice, dTwice);
        double[] dWeightAgain = new double[9], dBiasAgain = new double[1], dOnce = new double[once.Length];
        Reference.Conv2DBackward<double>(conv, once, p["Conv.weight"], dTwice, dOnce, dWeightAgain, dBiasAgain, batch);
        Reference.ActivationBackward<double>(Activation.Tanh, once, dOnce, dOnce);
        double[] dWeight = new double[9], dBias = new double[1];
        Reference.Conv2DBackward<double>(conv, x, p["Conv.weight"], dOnce, new double[x.Length], dWeight, dBias, batch);
        gradients["Conv.weight"] = [.. dWeight.Zip(dWeightAgain, (a, b) => a + b)];
        gradients["Conv.bias"] = [dBias[0] + dBiasAgain[0]];
        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Check.Close(network.Parameters[i].Name + " gradient", gradients[network.Parameters[i].Name], workspace.Gradients[i]);
        }
    }

    [Fact]
    public void The_wrong_kind_of_target_is_refused()
    {
        var binary = new Binary();
        NetworkWorkspace workspace = binary.CreateWorkspace(1);
        Assert.Throws<NotSupportedException>(() => binary.ForwardBackward(workspace, new float[25], [1], new float[2], 1, 1f));
        var classifier = new MnistCnn();
        Assert.Throws<NotSupportedException>(() => ((INetwork)classifier).ForwardBackward(classifier.CreateWorkspace(1), new float[784], new float[10], new float[10], 1, 1f));
        Assert.Throws<NotSupportedException>(() => new Trainer(classifier, new Adam(1e-3f), 4).Step(new float[784], new float[10], 1));
        Assert.Equal(Loss.BinaryCrossEntropy, ((INetwork)binary).Loss);
        Assert.Equal(Loss.SoftmaxCrossEntropy, ((INetwork)classifier).Loss);
    }

    /// <summary>
    /// A toy task the <see cref="Trainer"/> learns with float targets on two threads: output 1 is "the left half is
    /// brighter", output 2 "the top half is brighter"; the loss falls and the held-out samples end up classified.
    /// </summary>
    [Fact]
    public void The_trainer_learns_with_binary_cross_entropy_and_reports_accuracy()
    {
        static (float[] Images, float[] Targets) Make(int seed, int count)
        {
            var random = new Random(seed);
            var images = new float[count * 25];
            var targets = new float[count * 2];
            for (int n = 0; n < count; n++)
            {
                bool left = random.Next(2) == 1, top = random.Next(2) == 1;
                for (int y = 0; y < 5; y++)
                {
                    for (int x = 0; x < 5; x++)
                    {
                        float brightness = ((x < 2) == left ? 0.6f : 0f) + ((y < 2) == top ? 0.6f : 0f);
                        images[(n * 25) + (y * 5) + x] = brightness + (float)(random.NextDouble() * 0.2);
                    }
                }

                (targets[2 * n], targets[(2 * n) + 1]) = (left ? 1f : 0f, top ? 1f : 0f);
            }

            return (images, targets);
        }

        var network = new Binary(seed: 7, maxBatch: 16);
        var trainer = new Trainer(network, new Adam(0.05f), maxBatch: 16, threads: 2);
        (float[] test, float[] testTargets) = Make(99, 64);
        StepResult before = trainer.Evaluate(test, testTargets, 64);
        for (int step = 0; step < 60; step++)
        {
            (float[] images, float[] targets) = Make(step, 16);
            trainer.Step(images, targets, 16);
        }

        StepResult after = trainer.Evaluate(test, testTargets, 64);
        Assert.True(after.Loss < before.Loss / 3, $"loss {before.Loss:F3} → {after.Loss:F3}");
        Assert.True(after.Accuracy >= 0.9, $"accuracy {after.Accuracy:P0}");
    }
}
