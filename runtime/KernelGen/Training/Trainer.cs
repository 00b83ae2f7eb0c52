using System;

namespace KernelGen.Training;

/// <summary>What one training step, one epoch or one evaluation measured.</summary>
/// <param name="Loss">The mean loss over the samples: softmax cross-entropy, binary cross-entropy or squared error, as the network is trained.</param>
/// <param name="Correct">
/// Samples classified correctly: whose largest logit is at their label (softmax cross-entropy), or whose every output is on
/// the same side of 0.5 as its target (binary cross-entropy); 0 for a regression (mean squared error).
/// </param>
/// <param name="Samples">Samples seen.</param>
public readonly record struct StepResult(double Loss, int Correct, int Samples)
{
    /// <summary>
    /// The step's loss or one of its gradients was NaN or infinite (too high a learning rate, or a NaN or infinity in the
    /// data): the trainer did not apply it, so every parameter and every running statistic is as it was before the step.
    /// An epoch stops at such a step and says so here; its <see cref="Loss"/>, <see cref="Correct"/> and
    /// <see cref="Samples"/> are then those of the steps before it.
    /// </summary>
    public bool Diverged { get; init; }

    /// <summary>The share of samples classified correctly.</summary>
    public double Accuracy => Samples == 0 ? 0 : (double)Correct / Samples;
}

/// <summary>
/// Trains an <see cref="INetwork"/> with an <see cref="Optimizer"/>, splitting each batch across threads.
/// Thread <c>t</c> of <c>T</c> always takes samples <c>[t·B/T, (t+1)·B/T)</c> and writes its own gradients;
/// the threads' gradients are then summed in thread order, so a step's result depends only on the data,
/// the parameters and the thread count, never on timing. After the first step, a step allocates nothing.
/// </summary>
/// <remarks>
/// A batch norm normalises each thread's samples with their own statistics, as PyTorch's <c>DataParallel</c> does on each
/// device (so with one thread a step is exactly PyTorch's on the whole batch); its running statistics are then moved
/// by the whole batch's mean and variance, combined from the threads' in thread order.
/// </remarks>
public sealed class Trainer
{
    private readonly NetworkWorkspace[] _workspaces;
    private readonly NetworkWorkspace[] _active;
    private readonly float[] _images;
    private readonly int[] _labels;
    private readonly float[] _targets;
    private readonly float[] _logits;
    private readonly double[] _losses;
    private readonly int[] _correct;
    private readonly float[][] _evaluationLogits;
    private readonly ForkJoin _threads;
    private readonly Action<int> _forwardBackwardLabels, _forwardBackwardTargets, _evaluate;

    // What the threads of the current step or evaluation share (set before each run, so that the delegates above,
    // made once, need no closure).
    private int _batch;
    private LabeledImages? _evaluating;

    /// <summary>Creates a trainer for batches of up to <paramref name="maxBatch"/> samples on <paramref name="threads"/> threads.</summary>
    public Trainer(INetwork network, Optimizer optimizer, int maxBatch, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        Network = network;
        Optimizer = optimizer;
        MaxBatch = maxBatch;
        Threads = Math.Min(threads, maxBatch);
        // Every thread's share of any batch up to maxBatch is at most ⌈maxBatch / Threads⌉ samples; a smaller
        // batch can give a thread more than its share of maxBatch (8 on 5 threads: 1, 2, 1, 2, 2; 7: 1, 1, 2, 1, 2).
        _workspaces = new NetworkWorkspace[Threads];
        for (int t = 0; t < Threads; t++)
        {
            _workspaces[t] = network.CreateWorkspace((maxBatch + Threads - 1) / Threads);
        }

        _active = new NetworkWorkspace[Threads];
        _images = new float[maxBatch * network.InputLength];
        _labels = new int[maxBatch];
        _targets = network.Loss == Loss.SoftmaxCrossEntropy ? [] : new float[maxBatch * network.OutputLength];
        _logits = new float[maxBatch * network.OutputLength];
        _losses = new double[Threads];
        _correct = new int[Threads];
        _evaluationLogits = new float[Threads][];
        _threads = new ForkJoin(Threads);
        _forwardBackwardLabels = ForwardBackwardLabels;
        _forwardBackwardTargets = ForwardBackwardTargets;
        _evaluate = Evaluate;
    }

    /// <summary>The network being trained.</summary>
    public INetwork Network { get; }

    /// <summary>The optimizer that applies each step's gradients.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The largest batch a step takes.</summary>
    public int MaxBatch { get; }

    /// <summary>Threads each batch is split across.</summary>
    public int Threads { get; }

    /// <summary>Bytes this trainer's helper threads have allocated while doing its work (the allocation tests add it to the calling thread's).</summary>
    internal long AllocatedOnHelpers => _threads.AllocatedOnWorkers;

    /// <summary>
    /// One step: the forward and backward passes of the batch on every thread, the gradients of the mean loss
    /// summed into each parameter's <see cref="Parameter.Gradients"/>, then the optimizer's update.
    /// </summary>
    public StepResult Step(ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int batch)
    {
        CheckBatch(batch);
        KernelArguments.Length(images.Length, batch, Network.InputLength, nameof(images));
        KernelArguments.Length(labels.Length, batch, 1, nameof(labels));
        images.CopyTo(_images);
        labels.CopyTo(_labels);
        return StepOnStaged(batch);
    }

    /// <summary>
    /// One step of a network trained with <see cref="Loss.BinaryCrossEntropy"/> or <see cref="Loss.MeanSquaredError"/>:
    /// <paramref name="targets"/> holds one float per output, <see cref="INetwork.OutputLength"/> per sample.
    /// </summary>
    /// <exception cref="NotSupportedException">The network is trained with softmax cross-entropy (integer labels).</exception>
    public StepResult Step(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch)
    {
        if (Network.Loss == Loss.SoftmaxCrossEntropy)
        {
            throw new NotSupportedException("This network is trained with softmax cross-entropy: pass integer labels.");
        }

        CheckBatch(batch);
        KernelArguments.Length(inputs.Length, batch, Network.InputLength, nameof(inputs));
        KernelArguments.Length(targets.Length, batch, Network.OutputLength, nameof(targets));
        inputs.CopyTo(_images);
        targets.CopyTo(_targets);
        _batch = batch;
        _threads.Run(_forwardBackwardTargets);
        return ApplyGradients(batch) is { } loss
            ? new StepResult(loss / batch, Matching(_logits, _targets, batch), batch)
            : new StepResult(double.NaN, 0, batch) { Diverged = true };
    }

    /// <summary>Thread <paramref name="t"/>'s share of a step on <see cref="_images"/> and <see cref="_targets"/>.</summary>
    private void ForwardBackwardTargets(int t)
    {
        int start = ChunkStart(_batch, t), count = ChunkEnd(_batch, t) - start, outputs = Network.OutputLength;
        _losses[t] = count == 0 ? 0 : Network.ForwardBackward(_workspaces[t],
            _images.AsSpan(start * Network.InputLength, count * Network.InputLength),
            (ReadOnlySpan<float>)_targets.AsSpan(start * outputs, count * outputs),
            _logits.AsSpan(start * outputs, count * outputs),
            count, 1f / _batch);
    }

    /// <summary>
    /// The mean loss of a network trained with <see cref="Loss.BinaryCrossEntropy"/> or <see cref="Loss.MeanSquaredError"/>
    /// on <paramref name="count"/> samples, and for binary cross-entropy the samples classified correctly.
    /// </summary>
    public StepResult Evaluate(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int count)
    {
        if (Network.Loss == Loss.SoftmaxCrossEntropy)
        {
            throw new NotSupportedException("This network is trained with softmax cross-entropy: evaluate it on labelled images.");
        }

        KernelArguments.Batch(count);
        KernelArguments.Length(inputs.Length, count, Network.InputLength, nameof(inputs));
        KernelArguments.Length(targets.Length, count, Network.OutputLength, nameof(targets));
        NetworkWorkspace workspace = _workspaces[0];
        int outputs = Network.OutputLength;
        var predictions = new float[count * outputs];
        for (int first = 0; first < count; first += workspace.MaxBatch)
        {
            int size = Math.Min(workspace.MaxBatch, count - first);
            Network.Forward(workspace, inputs.Slice(first * Network.InputLength, size * Network.InputLength), predictions.AsSpan(first * outputs, size * outputs), size);
        }

        double loss = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            double y = predictions[i], t = targets[i];
            loss += Network.Loss == Loss.MeanSquaredError
                ? (y - t) * (y - t)
                : -((t * Math.Max(Math.Log(y), -100)) + ((1 - t) * Math.Max(Math.Log(1 - y), -100)));
        }

        return new StepResult(loss / predictions.Length, Matching(predictions, targets, count), count);
    }

    /// <summary>For binary cross-entropy, the samples whose every output is on the same side of 0.5 as its target; otherwise 0.</summary>
    private int Matching(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int batch)
    {
        if (Network.Loss != Loss.BinaryCrossEntropy)
        {
            return 0;
        }

        int correct = 0, width = Network.OutputLength;
        for (int n = 0; n < batch; n++)
        {
            bool all = true;
            for (int k = n * width; k < (n + 1) * width; k++)
            {
                all &= outputs[k] > 0.5f == targets[k] > 0.5f;
            }

            correct += all ? 1 : 0;
        }

        return correct;
    }

    /// <summary>
    /// One epoch: <paramref name="order"/> shuffled for <paramref name="epoch"/>, then a <see cref="Step(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/> per batch, each
    /// batch copied from <paramref name="data"/> straight into the trainer's own buffers.
    /// </summary>
    /// <param name="data">The training set.</param>
    /// <param name="order">Its batches; their size must be at most <see cref="MaxBatch"/>.</param>
    /// <param name="epoch">Which epoch's order to take.</param>
    /// <param name="afterStep">Called after each step with the batch's index and the epoch's result so far (for progress).</param>
    /// <returns>
    /// The mean loss over the epoch's steps (weighted by batch size), and the samples classified correctly as they were trained;
    /// if a step diverged (<see cref="StepResult.Diverged"/>), those of the steps before it, and the epoch ends there.
    /// </returns>
    public StepResult Epoch(LabeledImages data, BatchOrder order, int epoch, Action<int, StepResult>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(order);
        KernelArguments.Length(data.ImageLength, 1, Network.InputLength, nameof(data));
        if (order.BatchSize > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(order), order.BatchSize, $"This trainer takes at most {MaxBatch} samples a step.");
        }

        order.Shuffle(epoch);
        double lossSum = 0;
        int correct = 0, samples = 0;
        for (int b = 0; b < order.BatchCount; b++)
        {
            ReadOnlySpan<int> indices = order.Batch(b);
            int count = indices.Length;
            data.CopyTo(indices, _images.AsSpan(0, count * Network.InputLength), _labels.AsSpan(0, count));
            StepResult step = StepOnStaged(count);
            if (step.Diverged)
            {
                var soFar = new StepResult(samples == 0 ? 0 : lossSum / samples, correct, samples) { Diverged = true };
                afterStep?.Invoke(b, soFar);
                return soFar;
            }

            lossSum += step.Loss * count;
            correct += step.Correct;
            samples += count;
            afterStep?.Invoke(b, new StepResult(lossSum / samples, correct, samples));
        }

        return new StepResult(samples == 0 ? 0 : lossSum / samples, correct, samples);
    }

    /// <summary>The step on the batch already in <see cref="_images"/> and <see cref="_labels"/>.</summary>
    private StepResult StepOnStaged(int batch)
    {
        _batch = batch;
        _threads.Run(_forwardBackwardLabels);
        return ApplyGradients(batch) is { } loss
            ? new StepResult(loss / batch, Correct(_logits, _labels, batch, Network.OutputLength), batch)
            : new StepResult(double.NaN, 0, batch) { Diverged = true };
    }

    /// <summary>Thread <paramref name="t"/>'s share of a step on <see cref="_images"/> and <see cref="_labels"/>.</summary>
    private void ForwardBackwardLabels(int t)
    {
        int start = ChunkStart(_batch, t), count = ChunkEnd(_batch, t) - start;
        _losses[t] = count == 0 ? 0 : Network.ForwardBackward(_workspaces[t],
            _images.AsSpan(start * Network.InputLength, count * Network.InputLength),
            _labels.AsSpan(start, count),
            _logits.AsSpan(start * Network.OutputLength, count * Network.OutputLength),
            count, 1f / _batch);
    }

    /// <summary>
    /// Sums the threads' gradients (in thread order) into each parameter's <see cref="Parameter.Gradients"/>; then, if the
    /// loss and every gradient are finite, moves the batch norms' running statistics by the threads' batch statistics, takes
    /// the optimizer's step, and returns the summed loss of the batch. Otherwise returns null and changes nothing else.
    /// </summary>
    private double? ApplyGradients(int batch)
    {
        // The threads that had samples, in thread order: one with none (any, when the batch is smaller than the thread
        // count) holds an earlier step's statistics and gradients.
        int count = 0;
        for (int t = 0; t < Threads; t++)
        {
            if (ChunkEnd(batch, t) > ChunkStart(batch, t))
            {
                _active[count++] = _workspaces[t];
            }
        }

        ReadOnlySpan<NetworkWorkspace> active = _active.AsSpan(0, count);
        double loss = 0;
        for (int t = 0; t < Threads; t++)
        {
            loss += ChunkEnd(batch, t) > ChunkStart(batch, t) ? _losses[t] : 0;
        }

        bool finite = double.IsFinite(loss);
        var parameters = Network.Parameters;
        for (int p = 0; p < parameters.Count; p++)
        {
            if (parameters[p].Frozen)
            {
                continue;
            }

            Span<float> sum = parameters[p].Gradients;
            sum.Clear();
            foreach (NetworkWorkspace workspace in active)
            {
                Add(workspace.Gradients[p], sum);
            }

            finite &= AllFinite(sum);
        }

        if (!finite)
        {
            return null;
        }

        Network.UpdateRunningStatistics(active);
        Optimizer.Step(parameters);
        return loss;
    }

    /// <summary>Whether no value is NaN or infinite: <c>x − x</c> is 0 for every finite x and NaN otherwise.</summary>
    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        var zeros = System.Numerics.Vector<float>.Zero;
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            for (; i <= values.Length - System.Numerics.Vector<float>.Count; i += System.Numerics.Vector<float>.Count)
            {
                var v = new System.Numerics.Vector<float>(values[i..]);
                zeros += v - v;
            }
        }

        float rest = 0;
        for (; i < values.Length; i++)
        {
            rest += values[i] - values[i];
        }

        return System.Numerics.Vector.Sum(zeros) + rest == 0;
    }

    /// <summary>The mean loss and the accuracy of the network on <paramref name="data"/>, in batches of <see cref="MaxBatch"/> on every thread.</summary>
    public StepResult Evaluate(LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(data);
        KernelArguments.Length(data.ImageLength, 1, Network.InputLength, nameof(data));
        _evaluating = data;
        try
        {
            _threads.Run(_evaluate);
        }
        finally
        {
            _evaluating = null;
        }

        double loss = 0;
        int right = 0;
        for (int t = 0; t < Threads; t++)
        {
            loss += _losses[t];
            right += _correct[t];
        }

        return new StepResult(data.Count == 0 ? 0 : loss / data.Count, right, data.Count);
    }

    /// <summary>Thread <paramref name="t"/>'s share of an evaluation of <see cref="_evaluating"/>.</summary>
    private void Evaluate(int t)
    {
        LabeledImages data = _evaluating!;
        NetworkWorkspace workspace = _workspaces[t];
        int start = ChunkStart(data.Count, t), end = ChunkEnd(data.Count, t);
        float[] logits = _evaluationLogits[t] ??= new float[workspace.MaxBatch * Network.OutputLength];
        _losses[t] = 0;
        _correct[t] = 0;
        for (int first = start; first < end; first += workspace.MaxBatch)
        {
            int count = Math.Min(workspace.MaxBatch, end - first);
            Span<float> output = logits.AsSpan(0, count * Network.OutputLength);
            Network.Forward(workspace, data.Images.AsSpan(first * data.ImageLength, count * data.ImageLength), output, count);
            ReadOnlySpan<int> labels = data.Labels.AsSpan(first, count);
            _correct[t] += Correct(output, labels, count, Network.OutputLength);
            _losses[t] += CrossEntropy(output, labels, count, Network.OutputLength);
        }
    }

    /// <summary>Samples whose largest logit (the first, on a tie) is at their label.</summary>
    public static int Correct(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes)
    {
        int correct = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
            {
                if (row[k] > row[best])
                {
                    best = k;
                }
            }

            correct += best == labels[n] ? 1 : 0;
        }

        return correct;
    }

    /// <summary>The summed softmax cross-entropy of <paramref name="batch"/> rows of logits, in double.</summary>
    private static double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int batch, int classes)
    {
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            double max = double.NegativeInfinity;
            foreach (float z in row)
            {
                max = Math.Max(max, z);
            }

            double sum = 0;
            foreach (float z in row)
            {
                sum += Math.Exp(z - max);
            }

            total += Math.Log(sum) + max - row[labels[n]];
        }

        return total;
    }

    private static void Add(ReadOnlySpan<float> source, Span<float> destination)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            for (; i <= source.Length - System.Numerics.Vector<float>.Count; i += System.Numerics.Vector<float>.Count)
            {
                (new System.Numerics.Vector<float>(destination[i..]) + new System.Numerics.Vector<float>(source[i..])).CopyTo(destination[i..]);
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] += source[i];
        }
    }

    private int ChunkStart(int batch, int thread) => (int)((long)batch * thread / Threads);

    private int ChunkEnd(int batch, int thread) => (int)((long)batch * (thread + 1) / Threads);

    private void CheckBatch(int batch)
    {
        KernelArguments.Batch(batch);
        if (batch > MaxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"This trainer takes at most {MaxBatch} samples a step.");
        }
    }
}
