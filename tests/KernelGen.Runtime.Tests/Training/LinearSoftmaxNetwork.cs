using System.Collections.Generic;
using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>
/// The smallest network the trainer can drive, written by hand as the generator would write a bigger one:
/// logits = W·x + b with W [classes, features] and b [classes], then softmax cross-entropy. Floats throughout,
/// summed in sample order, so a pass is deterministic.
/// </summary>
internal sealed class LinearSoftmaxNetwork : INetwork
{
    public LinearSoftmaxNetwork(int features, int classes, int seed)
    {
        InputLength = features;
        OutputLength = classes;
        Weight = new Parameter("Fc.weight", [classes, features], Initialization.Glorot, features, classes);
        Bias = new Parameter("Fc.bias", [classes], Initialization.Zeros, features, classes);
        Parameters = [Weight, Bias];
        var random = new Random(seed);
        Weight.Initialize(random);
        Bias.Initialize(random);
    }

    public int InputLength { get; }

    public int OutputLength { get; }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    public IReadOnlyList<Parameter> Parameters { get; }

    public NetworkWorkspace CreateWorkspace(int maxBatch) => new Workspace(maxBatch, Parameters, OutputLength);

    public void Forward(NetworkWorkspace workspace, ReadOnlySpan<float> input, Span<float> logits, int batch)
    {
        ((Workspace)workspace).Check(batch);
        KernelArguments.Length(input.Length, batch, InputLength, nameof(input));
        KernelArguments.Length(logits.Length, batch, OutputLength, nameof(logits));
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = input.Slice(n * InputLength, InputLength);
            for (int k = 0; k < OutputLength; k++)
            {
                float z = Bias.Values[k];
                for (int i = 0; i < InputLength; i++)
                {
                    z += Weight.Values[(k * InputLength) + i] * x[i];
                }

                logits[(n * OutputLength) + k] = z;
            }
        }
    }

    public float ForwardBackward(NetworkWorkspace workspace, ReadOnlySpan<float> input, ReadOnlySpan<int> labels, Span<float> logits, int batch, float gradientScale)
    {
        var buffers = (Workspace)workspace;
        KernelArguments.Length(labels.Length, batch, 1, nameof(labels));
        Forward(workspace, input, logits, batch);
        float[] gradWeight = workspace.Gradients[0], gradBias = workspace.Gradients[1];
        Span<float> delta = buffers.LogitGradients;

        // A frozen parameter's gradient is left as it is, as the contract says.
        bool weightTrains = !Weight.Frozen, biasTrains = !Bias.Frozen;
        if (weightTrains)
        {
            Array.Clear(gradWeight);
        }

        if (biasTrains)
        {
            Array.Clear(gradBias);
        }

        float loss = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> z = logits.Slice(n * OutputLength, OutputLength);
            float max = float.NegativeInfinity;
            foreach (float value in z)
            {
                max = MathF.Max(max, value);
            }

            float sum = 0;
            for (int k = 0; k < OutputLength; k++)
            {
                delta[k] = MathF.Exp(z[k] - max);
                sum += delta[k];
            }

            loss += MathF.Log(sum) + max - z[labels[n]];
            for (int k = 0; k < OutputLength; k++)
            {
                delta[k] = ((delta[k] / sum) - (k == labels[n] ? 1 : 0)) * gradientScale;
                if (biasTrains)
                {
                    gradBias[k] += delta[k];
                }

                if (weightTrains)
                {
                    for (int i = 0; i < InputLength; i++)
                    {
                        gradWeight[(k * InputLength) + i] += delta[k] * input[(n * InputLength) + i];
                    }
                }
            }
        }

        return loss;
    }

    /// <summary>One thread's buffers: the gradients of one sample's logits, and the parameters' gradients.</summary>
    private sealed class Workspace : NetworkWorkspace
    {
        public Workspace(int maxBatch, IReadOnlyList<Parameter> parameters, int classes)
            : base(maxBatch, parameters)
        {
            LogitGradients = new float[classes];
        }

        public float[] LogitGradients { get; }

        public void Check(int batch) => CheckBatch(batch);
    }
}
