using System.Collections.Generic;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// A network that is a graph (<see cref="Residual"/>) against the same graph computed in double precision with
/// <see cref="Reference"/>: the logits, the loss and the gradient of every parameter, including those that depend on a
/// tensor read twice (whose gradients the network must add) and on an <c>[Add]</c> and a <c>[Concat]</c>. The activations
/// are smooth, so float and double take the same branches and only rounding separates them.
/// </summary>
public sealed class GraphNetworkTests
{
    private static readonly Conv2DGeometry Stem = Same(2, 4), Conv = Same(4, 4);
    private static readonly Conv2DGeometry Side = new(2, 10, 12, 3, 1, 1);
    private static readonly Pool2DGeometry Pool = new(4, 10, 12, 2, 2), SidePool = new(3, 10, 12, 2, 2);
    private static readonly DenseGeometry Out = new(7, 5);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void A_residual_block_and_a_joined_branch_match_the_reference(int batch)
    {
        var network = new Residual(seed: 4, maxBatch: batch);
        var random = new Random(batch);
        foreach (Parameter parameter in network.Parameters.Where(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            for (int i = 0; i < parameter.Values.Length; i++)
            {
                parameter.Values[i] = (float)((random.NextDouble() - 0.5) * 0.4);
            }
        }

        float[] input = [.. Enumerable.Range(0, batch * Residual.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        int[] labels = [.. Enumerable.Range(0, batch).Select(_ => random.Next(Residual.OutputSize))];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        var logits = new float[batch * Residual.OutputSize];
        float loss = network.ForwardBackward(workspace, input, labels, logits, batch, 1f / batch);

        Dictionary<string, double[]> p = network.Parameters.ToDictionary(q => q.Name, q => q.Values.Select(v => (double)v).ToArray());
        double[] x = [.. input.Select(v => (double)v)];

        // Forward, in double.
        double[] stem = Conv2D(Stem, x, p, "Stem", batch, Activation.Tanh);
        double[] conv1 = Conv2D(Conv, stem, p, "Conv1", batch, Activation.Tanh);
        double[] conv2 = Conv2D(Conv, conv1, p, "Conv2", batch, Activation.None);
        var block = new double[stem.Length];
        Reference.Add<double>(conv2, stem, block, Activation.Tanh);
        double[] side = Conv2D(Side, x, p, "Side", batch, Activation.None);
        var sidePool = new double[batch * SidePool.OutputLength];
        Reference.AvgPool2D<double>(SidePool, side, sidePool, batch);
        var pool = new double[batch * Pool.OutputLength];
        Reference.MaxPool2D<double>(Pool, block, pool, batch);
        double[] join = Join(pool, Pool.OutputLength, sidePool, SidePool.OutputLength, batch);
        var gap = new double[batch * 7];
        Reference.GlobalAvgPool2D<double>(7, 5, 6, join, gap, batch);
        var expectedLogits = new double[batch * 5];
        Reference.Dense<double>(Out, gap, p["Out.weight"], p["Out.bias"], expectedLogits, batch);
        Check.Close("logits", expectedLogits, logits);
        Assert.Equal(Reference.SoftmaxCrossEntropy<double>(expectedLogits, labels, batch) * batch, loss, 1e-4);

        // Backward, in double, by hand through the graph.
        var dLogits = new double[expectedLogits.Length];
        Reference.SoftmaxCrossEntropyBackward<double>(expectedLogits, labels, dLogits, batch);
        var gradients = new Dictionary<string, double[]>();
        double[] dGap = DenseBackward(Out, "Out", gap, p, dLogits, gradients, batch);
        var dJoin = new double[join.Length];
        Reference.GlobalAvgPool2DBackward<double>(7, 5, 6, dGap, dJoin, batch);
        (double[] dPool, double[] dSidePool) = Split(dJoin, Pool.OutputLength, SidePool.OutputLength, batch);
        var dSide = new double[side.Length];
        Reference.AvgPool2DBackward<double>(SidePool, dSidePool, dSide, batch);
        ConvBackward(Side, x, p, "Side", dSide, gradients, batch);
        var dBlock = new double[block.Length];
        Reference.MaxPool2DBackward<double>(Pool, block, dPool, dBlock, batch);
        var dSum = new double[block.Length];
        Reference.ActivationBackward<double>(Activation.Tanh, block, dBlock, dSum);
        double[] dConv1 = ConvBackward(Conv, conv1, p, "Conv2", dSum, gradients, batch);
        Reference.ActivationBackward<double>(Activation.Tanh, conv1, dConv1, dConv1);
        double[] dStem = ConvBackward(Conv, stem, p, "Conv1", dConv1, gradients, batch);
        for (int i = 0; i < dStem.Length; i++)
        {
            dStem[i] += dSum[i];  // Stem is read by Conv1 and by the Add: its gradients add up.
        }

        Reference.ActivationBackward<double>(Activation.Tanh, stem, dStem, dStem);
        ConvBackward(Stem, x, p, "Stem", dStem, gradients, batch);

        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Check.Close(network.Parameters[i].Name + " gradient", gradients[network.Parameters[i].Name], workspace.Gradients[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void A_tensor_read_twice_by_one_add_and_a_flat_concat_match_the_reference(int batch)
    {
        var network = new Branchy(seed: 8, maxBatch: batch);
        Assert.Equal(["Conv1.weight", "Conv1.bias", "Hidden.weight", "Hidden.bias", "Out.weight", "Out.bias"], network.Parameters.Select(q => q.Name));
        var random = new Random(10 + batch);
        float[] input = [.. Enumerable.Range(0, batch * Branchy.InputSize).Select(_ => (float)((random.NextDouble() * 4) - 2))];
        int[] labels = [.. Enumerable.Range(0, batch).Select(_ => random.Next(Branchy.OutputSize))];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        var logits = new float[batch * Branchy.OutputSize];
        network.ForwardBackward(workspace, input, labels, logits, batch, 1f / batch);

        Dictionary<string, double[]> p = network.Parameters.ToDictionary(q => q.Name, q => q.Values.Select(v => (double)v).ToArray());
        var conv = new Conv2DGeometry(3, 6, 7, 4, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        DenseGeometry hiddenShape = new(4, 8), outShape = new(12, 3);
        double[] x = [.. input.Select(v => (double)v)];
        double[] conv1 = Conv2D(conv, x, p, "Conv1", batch, Activation.Tanh);
        double[] sum = [.. conv1.Select(v => v + v)];
        var twice = new double[sum.Length];
        Reference.Activate<double>(Activation.Gelu, sum, twice);
        var gap = new double[batch * 4];
        Reference.GlobalAvgPool2D<double>(4, 6, 7, twice, gap, batch);
        var hiddenSum = new double[batch * 8];
        Reference.Dense<double>(hiddenShape, gap, p["Hidden.weight"], p["Hidden.bias"], hiddenSum, batch);
        var hidden = new double[hiddenSum.Length];
        Reference.Activate<double>(Activation.Silu, hiddenSum, hidden);
        double[] join = Join(hidden, 8, gap, 4, batch);
        var expected = new double[batch * 3];
        Reference.Dense<double>(outShape, join, p["Out.weight"], p["Out.bias"], expected, batch);
        Check.Close("logits", expected, logits);

        var gradients = new Dictionary<string, double[]>();
        var dLogits = new double[expected.Length];
        Reference.SoftmaxCrossEntropyBackward<double>(expected, labels, dLogits, batch);
        double[] dJoin = DenseBackward(outShape, "Out", join, p, dLogits, gradients, batch);
        (double[] dHidden, double[] dGap) = Split(dJoin, 8, 4, batch);
        Reference.ActivationBackwardFromInput<double>(Activation.Silu, hiddenSum, dHidden, dHidden);
        double[] dGapFromHidden = DenseBackward(hiddenShape, "Hidden", gap, p, dHidden, gradients, batch);
        for (int i = 0; i < dGap.Length; i++)
        {
            dGap[i] += dGapFromHidden[i];  // Gap is read by Join and by Hidden.
        }

        var dTwice = new double[twice.Length];
        Reference.GlobalAvgPool2DBackward<double>(4, 6, 7, dGap, dTwice, batch);
        Reference.ActivationBackwardFromInput<double>(Activation.Gelu, sum, dTwice, dTwice);
        double[] dConv1 = [.. dTwice.Select(v => v + v)];  // Twice reads Conv1 twice.
        Reference.ActivationBackward<double>(Activation.Tanh, conv1, dConv1, dConv1);
        ConvBackward(conv, x, p, "Conv1", dConv1, gradients, batch);

        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Check.Close(network.Parameters[i].Name + " gradient", gradients[network.Parameters[i].Name], workspace.Gradients[i]);
        }
    }

    /// <summary>
    /// Fine-tuning a subgraph: with the stem and the side branch frozen, their gradients are not computed (the buffers keep
    /// what they held), and every other gradient equals an unfrozen run's.
    /// </summary>
    [Fact]
    public void Freezing_part_of_a_graph_leaves_the_rest_as_an_unfrozen_run()
    {
        const int batch = 3;
        var network = new Residual(seed: 5, maxBatch: batch);
        var random = new Random(77);
        float[] input = [.. Enumerable.Range(0, batch * Residual.InputSize).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        int[] labels = [0, 4, 2];
        NetworkWorkspace full = network.CreateWorkspace(batch);
        network.ForwardBackward(full, input, labels, new float[batch * Residual.OutputSize], batch, 1f / batch);

        string[] frozen = ["Stem.weight", "Stem.bias", "Side.weight", "Side.bias"];
        foreach (Parameter parameter in network.Parameters.Where(p => frozen.Contains(p.Name)))
        {
            parameter.Frozen = true;
        }

        NetworkWorkspace partial = network.CreateWorkspace(batch);
        foreach (float[] gradient in partial.Gradients)
        {
            Array.Fill(gradient, float.NaN);
        }

        network.ForwardBackward(partial, input, labels, new float[batch * Residual.OutputSize], batch, 1f / batch);
        for (int i = 0; i < network.Parameters.Count; i++)
        {
            if (frozen.Contains(network.Parameters[i].Name))
            {
                Assert.All(partial.Gradients[i], g => Assert.True(float.IsNaN(g)));
            }
            else
            {
                Assert.Equal(full.Gradients[i], partial.Gradients[i]);
            }
        }
    }

    private static Conv2DGeometry Same(int inChannels, int outChannels) =>
        new(inChannels, 10, 12, outChannels, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);

    private static double[] Conv2D(Conv2DGeometry g, double[] input, Dictionary<string, double[]> p, string name, int batch, Activation activation)
    {
        var output = new double[batch * g.OutputLength];
        Reference.Conv2D<double>(g, input, p[name + ".weight"], p[name + ".bias"], output, batch, activation);
        return output;
    }

    private static double[] ConvBackward(Conv2DGeometry g, double[] input, Dictionary<string, double[]> p, string name, double[] gradient, Dictionary<string, double[]> gradients, int batch)
    {
        var dInput = new double[input.Length];
        gradients[name + ".weight"] = new double[g.WeightLength];
        gradients[name + ".bias"] = new double[g.OutChannels];
        Reference.Conv2DBackward<double>(g, input, p[name + ".weight"], gradient, dInput, gradients[name + ".weight"], gradients[name + ".bias"], batch);
        return dInput;
    }

    private static double[] DenseBackward(DenseGeometry g, string name, double[] input, Dictionary<string, double[]> p, double[] gradient, Dictionary<string, double[]> gradients, int batch)
    {
        var dInput = new double[input.Length];
        gradients[name + ".weight"] = new double[g.WeightLength];
        gradients[name + ".bias"] = new double[g.OutFeatures];
        Reference.DenseBackward<double>(g, input, p[name + ".weight"], gradient, dInput, gradients[name + ".weight"], gradients[name + ".bias"], batch);
        return dInput;
    }

    /// <summary>Each sample's <paramref name="a"/> then its <paramref name="b"/>: a concatenation along channels, NCHW.</summary>
    private static double[] Join(double[] a, int aLength, double[] b, int bLength, int batch)
    {
        var joined = new double[batch * (aLength + bLength)];
        for (int n = 0; n < batch; n++)
        {
            Array.Copy(a, n * aLength, joined, n * (aLength + bLength), aLength);
            Array.Copy(b, n * bLength, joined, (n * (aLength + bLength)) + aLength, bLength);
        }

        return joined;
    }

    private static (double[] A, double[] B) Split(double[] joined, int aLength, int bLength, int batch)
    {
        var a = new double[batch * aLength];
        var b = new double[batch * bLength];
        for (int n = 0; n < batch; n++)
        {
            Array.Copy(joined, n * (aLength + bLength), a, n * aLength, aLength);
            Array.Copy(joined, (n * (aLength + bLength)) + aLength, b, n * bLength, bLength);
        }

        return (a, b);
    }
}
