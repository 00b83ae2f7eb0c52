using KernelGen.Samples;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// Every construct of a graph network, checked against finite differences of its own generated forward pass: for each
/// trainable tensor P, the loss moved a step h along the backward pass's gradient g_P, each way, gives
/// <c>(L(P + h ĝ) − L(P − h ĝ)) / 2h</c>, which must equal <c>|g_P|</c> (the derivative along ĝ = g_P / |g_P|). Along its own
/// direction a wrong gradient shows whatever is wrong with it: a wrong scale, sign or direction changes one side and not the
/// other. The forward passes run in float, as the network does (its loss is summed in double); the step, 10⁻³, is small
/// enough that no max pool changes its choice and large enough that float rounding stays a small part of the difference.
/// </summary>
public sealed class FiniteDifferenceTests
{
    public static TheoryData<string> Networks => new() { "Normalized", "Residual", "Branchy", "Binary", "Regression", "SharedConv", "MnistResNet" };

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_backward_pass_is_the_derivative_of_the_forward_pass(string name)
    {
        const int batch = 3;
        (INetwork network, Func<NetworkWorkspace, float> loss) = Create(name, batch);
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        loss(workspace);
        float[][] gradients = [.. workspace.Gradients.Select(g => g.ToArray())];

        for (int i = 0; i < network.Parameters.Count; i++)
        {
            Parameter parameter = network.Parameters[i];
            if (parameter.IsBuffer)
            {
                continue;
            }

            double norm = Math.Sqrt(gradients[i].Sum(g => (double)g * g));
            float[] original = parameter.Values.ToArray();

            // A gradient that is zero (a convolution's bias before a batch norm, which subtracts it again) is checked along
            // a random direction instead: the loss must not move.
            var random = new Random(i);
            double[] direction = norm > 1e-5
                ? [.. gradients[i].Select(g => g / norm)]
                : [.. original.Select(_ => random.NextDouble() - 0.5)];
            double length = Math.Sqrt(direction.Sum(d => d * d));
            double h = 1e-3;
            double Moved(double step)
            {
                for (int k = 0; k < original.Length; k++)
                {
                    parameter.Values[k] = (float)(original[k] + (step * direction[k] / length));
                }

                return loss(workspace);
            }

            double difference = (Moved(h) - Moved(-h)) / (2 * h);
            original.CopyTo(parameter.Values, 0);
            Assert.True(Math.Abs(difference - (norm > 1e-5 ? norm : 0)) <= Math.Max(0.01 * norm, 1e-3),
                $"{name}: {parameter.Name}: the loss changes at {difference:G6} along the gradient, whose norm is {norm:G6}");
        }
    }

    /// <summary>A network with random inputs and targets, and its summed loss from a training pass (which writes the gradients).</summary>
    private static (INetwork Network, Func<NetworkWorkspace, float> Loss) Create(string name, int batch)
    {
        INetwork network = name switch
        {
            "Normalized" => new Normalized(seed: 2, maxBatch: batch),
            "Residual" => new Residual(seed: 2, maxBatch: batch),
            "Branchy" => new Branchy(seed: 2, maxBatch: batch),
            "Binary" => new Binary(seed: 2, maxBatch: batch),
            "Regression" => new Regression(seed: 2, maxBatch: batch),
            "MnistResNet" => new MnistResNet(seed: 2, maxBatch: batch),
            _ => new SharedConv(seed: 2, maxBatch: batch),
        };
        var random = new Random(name.Length);
        foreach (Parameter parameter in network.Parameters.Where(p => !p.IsBuffer && p.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            for (int k = 0; k < parameter.Values.Length; k++)
            {
                parameter.Values[k] = (float)((random.NextDouble() - 0.5) * 0.4);
            }
        }

        float[] input = [.. Enumerable.Range(0, batch * network.InputLength).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        var outputs = new float[batch * network.OutputLength];
        if (network.Loss == Loss.SoftmaxCrossEntropy)
        {
            int[] labels = [.. Enumerable.Range(0, batch).Select(_ => random.Next(network.OutputLength))];
            return (network, workspace => network.ForwardBackward(workspace, input, labels, outputs, batch, 1f));
        }

        float[] targets = [.. Enumerable.Range(0, batch * network.OutputLength).Select(_ => network.Loss == Loss.BinaryCrossEntropy ? random.Next(2) : (float)random.NextDouble())];
        return (network, workspace => network.ForwardBackward(workspace, input, targets, outputs, batch, 1f));
    }
}
