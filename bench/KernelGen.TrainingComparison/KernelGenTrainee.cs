using System.Diagnostics;
using KernelGen.Samples;
using KernelGen.Training;

namespace KernelGen.TrainingComparison;

/// <summary>KernelGen: the generated <see cref="MnistCnn"/> driven by <see cref="Trainer"/> with <see cref="Adam"/>.</summary>
internal sealed class KernelGenTrainee : ITrainee
{
    private readonly MnistCnn _network;
    private readonly Trainer _trainer;
    private readonly Batches _batches;
    private readonly LabeledImages _test;
    private readonly TrainingSettings _settings;

    /// <summary>Trains <paramref name="network"/> itself, in place.</summary>
    public KernelGenTrainee(MnistCnn network, LabeledImages train, LabeledImages test, TrainingSettings settings)
    {
        _network = network;
        _trainer = new Trainer(network, new Adam(Comparison.LearningRate), settings.Batch, settings.Threads);
        _batches = new Batches(train, settings.Batch, settings.Seed);
        _test = test;
        _settings = settings;
    }

    public string Name => "KernelGen";

    public void WarmUp()
    {
        var trainer = new Trainer(new MnistCnn(_settings.Seed, _settings.Batch), new Adam(Comparison.LearningRate), _settings.Batch, _settings.Threads);
        int count = _batches.Fill(0);
        trainer.Step(_batches.Images.AsSpan(0, count * _batches.ImageLength), _batches.Labels.AsSpan(0, count), count);
        trainer.Evaluate(_test.Take(_settings.Batch));
    }

    public EpochResult Epoch(int epoch)
    {
        _batches.StartEpoch(epoch);
        double lossSum = 0;
        int samples = 0;
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < _batches.Count; b++)
        {
            int count = _batches.Fill(b);
            StepResult step = _trainer.Step(_batches.Images.AsSpan(0, count * _batches.ImageLength), _batches.Labels.AsSpan(0, count), count);
            lossSum += step.Loss * count;
            samples += count;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        return new EpochResult(seconds, lossSum / samples, _trainer.Evaluate(_test).Accuracy);
    }

    public float[] TestLogits(int count)
    {
        var logits = new float[count * MnistCnn.OutputSize];
        _network.Forward(_test.Images.AsSpan(0, count * _test.ImageLength), logits, count);
        return logits;
    }
}
