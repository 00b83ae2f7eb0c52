using System;
using System.Collections.Generic;
using System.Linq;

namespace KernelGen.Training;

/// <summary>
/// A whole network that can be trained: what the <c>[Network]</c> generator implements for a class,
/// and what <see cref="Trainer"/> drives. Inputs and logits are flat, <c>batch</c> samples back to back.
/// </summary>
public interface INetwork
{
    /// <summary>Floats in one input sample (channels × height × width).</summary>
    int InputLength { get; }

    /// <summary>Floats in one sample's output (the number of classes).</summary>
    int OutputLength { get; }

    /// <summary>Every parameter, in layer order, weights before bias.</summary>
    IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Buffers for one thread's forward and backward passes over at most <paramref name="maxBatch"/> samples.</summary>
    NetworkWorkspace CreateWorkspace(int maxBatch);

    /// <summary>Runs every layer on <paramref name="input"/> and writes the last layer's output to <paramref name="logits"/>.</summary>
    void Forward(NetworkWorkspace workspace, ReadOnlySpan<float> input, Span<float> logits, int batch);

    /// <summary>
    /// Runs the forward pass, the softmax cross-entropy loss against <paramref name="labels"/> and the backward pass.
    /// The workspace's gradients are overwritten with the gradient of <c>gradientScale × (sum of the samples' losses)</c>
    /// (pass 1 / total batch for the mean); frozen parameters' gradients are left as they are. Batch norms normalise with
    /// the statistics of these <paramref name="batch"/> samples, and their running statistics are not moved (see
    /// <see cref="UpdateRunningStatistics"/>).
    /// </summary>
    /// <returns>The sum of the samples' losses.</returns>
    float ForwardBackward(NetworkWorkspace workspace, ReadOnlySpan<float> input, ReadOnlySpan<int> labels, Span<float> logits, int batch, float gradientScale);

    /// <summary>
    /// Moves the running statistics of the network's batch norms (their <c>running_mean</c> and <c>running_var</c> buffers)
    /// towards the statistics of the training batch whose parts the <paramref name="workspaces"/> ran, in order, in their
    /// last <c>ForwardBackward</c>: the parts' means and variances are combined into the whole batch's first, so the
    /// update is PyTorch's for the whole batch however it was split. <see cref="Trainer"/> calls it after every step; a
    /// network without batch norms does nothing.
    /// </summary>
    void UpdateRunningStatistics(ReadOnlySpan<NetworkWorkspace> workspaces)
    {
    }

    /// <summary>What the network is trained to minimise (<c>[Network(Loss = …)]</c>).</summary>
    Loss Loss => Loss.SoftmaxCrossEntropy;

    /// <summary>
    /// As the other <c>ForwardBackward</c>, for <see cref="KernelGen.Loss.BinaryCrossEntropy"/> and
    /// <see cref="KernelGen.Loss.MeanSquaredError"/>: <paramref name="targets"/> holds one float per output
    /// (<see cref="OutputLength"/> per sample), and a sample's loss is the mean over its outputs.
    /// </summary>
    /// <returns>The sum of the samples' losses.</returns>
    /// <exception cref="NotSupportedException">The network is trained with softmax cross-entropy, which takes integer labels.</exception>
    float ForwardBackward(NetworkWorkspace workspace, ReadOnlySpan<float> input, ReadOnlySpan<float> targets, Span<float> outputs, int batch, float gradientScale) =>
        throw new NotSupportedException("This network is trained with softmax cross-entropy: pass integer labels.");
}

/// <summary>One thread's buffers for a network's passes: activations, their gradients, and the parameters' gradients.</summary>
public abstract class NetworkWorkspace
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private float[][]? _gradients;

    /// <summary>A workspace for the network with these <paramref name="parameters"/>; its buffers are allocated on first use.</summary>
    protected NetworkWorkspace(int maxBatch, IReadOnlyList<Parameter> parameters)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        ArgumentNullException.ThrowIfNull(parameters);
        MaxBatch = maxBatch;
        _parameters = parameters;
    }

    /// <summary>The largest batch the buffers hold.</summary>
    public int MaxBatch { get; }

    /// <summary>
    /// The gradients of the last backward pass, one array per parameter in the network's order, shaped as the parameters
    /// are (allocated on first use, so a workspace that only runs inference has none).
    /// </summary>
    public float[][] Gradients => _gradients ??= [.. _parameters.Select(p => new float[p.Values.Length])];

    /// <summary>Throws unless <paramref name="batch"/> fits the buffers.</summary>
    protected void CheckBatch(int batch)
    {
        KernelArguments.Batch(batch);
        if (batch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"This workspace holds at most {MaxBatch} samples.");
        }
    }
}
