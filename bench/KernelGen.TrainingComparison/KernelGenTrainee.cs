using System.Diagnostics;
using KernelGen.Samples;
using KernelGen.Training;

namespace KernelGen.TrainingComparison;

/// <summary>KernelGen: the generated <see cref="MnistCnn"/> or <see cref="MnistResNet"/> driven by <see cref="Trainer"/> with <see cref="Adam"/>.</summary>
internal sealed class KernelGenTrainee : ITrainee
{
    private readonly INetwork _network;
    private readonly Func<INetwork> _create;
    private readonly Trainer _trainer;
    private readonly Adam _adam = new(Comparison.LearningRate);
    private readonly LabeledImages _train, _test;
    private readonly BatchOrder _order;
    private readonly TrainingSettings _settings;

    /// <summary>Trains <paramref name="network"/> itself, in place.</summary>
    /// <param name="network">The network to train.</param>
    /// <param name="create">Makes another of its kind, for the warm-up.</param>
    /// <param name="train">The training images.</param>
    /// <param name="test">The test images.</param>
    /// <param name="settings">Batch, threads, seed.</param>
    public KernelGenTrainee(INetwork network, Func<INetwork> create, LabeledImages train, LabeledImages test, TrainingSettings settings)
    {
        _network = network;
        _create = create;
        _trainer = new Trainer(network, _adam, settings.Batch, settings.Threads);
        _train = train;
        _order = new BatchOrder(train.Count, settings.Batch, settings.Seed);
        _test = test;
        _settings = settings;
    }

    public string Name => "KernelGen";

    public void WarmUp()
    {
        var trainer = new Trainer(_create(), new Adam(Comparison.LearningRate), _settings.Batch, _settings.Threads);
        LabeledImages first = _train.Take(_settings.Batch);
        trainer.Epoch(first, new BatchOrder(first.Count, _settings.Batch, _settings.Seed), 0);
        trainer.Evaluate(_test.Take(_settings.Batch));
    }

    public EpochResult Epoch(int epoch, float learningRate)
    {
        _adam.LearningRate = learningRate;
        var clock = Stopwatch.StartNew();
        StepResult trained = _trainer.Epoch(_train, _order, epoch);
        double seconds = clock.Elapsed.TotalSeconds;
        return new EpochResult(seconds, trained.Loss, _trainer.Evaluate(_test).Accuracy);
    }

    public float[] TestLogits(int count)
    {
        var logits = new float[count * _network.OutputLength];
        _network.Forward(_network.CreateWorkspace(count), _test.Images.AsSpan(0, count * _test.ImageLength), logits, count);
        return logits;
    }
}
