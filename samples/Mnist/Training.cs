using System.Diagnostics;
using KernelGen.Training;

namespace KernelGen.Samples;

/// <summary>What a training run ended with.</summary>
/// <param name="Test">The test set's loss and accuracy after the last epoch.</param>
/// <param name="Seconds">Time spent in training steps, evaluation left out.</param>
internal sealed record TrainingOutcome(StepResult Test, double Seconds);

/// <summary>Trains a network with Adam (η = 10⁻³) on batches in a seeded shuffled order.</summary>
internal sealed class Training
{
    /// <summary>Adam's learning rate.</summary>
    public const float LearningRate = 1e-3f;

    private readonly TrainingDisplay _display;
    private readonly TrainingSettings _settings;

    public Training(TrainingDisplay display, TrainingSettings settings)
    {
        _display = display;
        _settings = settings;
    }

    /// <summary>
    /// Trains <paramref name="network"/> on <paramref name="train"/> for <paramref name="epochs"/> epochs, then tests it on
    /// <paramref name="test"/>. With <paramref name="reportEpochs"/> every epoch is tested and gets a line (mean train
    /// loss, train accuracy over the epoch, test accuracy, seconds); otherwise only the end is tested.
    /// <paramref name="name"/>, when not empty, names the run in the progress display.
    /// </summary>
    public TrainingOutcome Run(MnistCnn network, LabeledImages train, LabeledImages test, int epochs, bool reportEpochs, string name = "")
    {
        var trainer = new Trainer(network, new Adam(LearningRate), _settings.Batch, _settings.Threads);
        var order = new BatchOrder(train.Count, _settings.Batch, _settings.Seed);
        var images = new float[_settings.Batch * train.ImageLength];
        var labels = new int[_settings.Batch];
        double seconds = 0;
        StepResult tested = default;
        _display.Run(() =>
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                order.Shuffle(epoch);
                string title = $"epoch {epoch + 1}/{epochs}";
                (StepResult trained, double epochSeconds) = Epoch(trainer, train, order, images, labels, name.Length == 0 ? title : $"{name}, {title}");
                seconds += epochSeconds;
                if (reportEpochs || epoch == epochs - 1)
                {
                    tested = trainer.Evaluate(test);
                }

                if (reportEpochs)
                {
                    _display.WriteLine(
                        $"{title}: train loss {trained.Loss:F4}, train accuracy {trained.Accuracy:P2}, test accuracy {tested.Accuracy:P2}, {epochSeconds:F1} s, {trained.Samples / epochSeconds:N0} images/s");
                }
            }
        });
        return new TrainingOutcome(tested, seconds);
    }

    /// <summary>"1 epoch", "5 epochs".</summary>
    public static string Epochs(int count) => count == 1 ? "1 epoch" : $"{count} epochs";

    /// <summary>One pass over <paramref name="train"/> in <paramref name="order"/>: the loss and accuracy over it, and its seconds.</summary>
    private (StepResult Trained, double Seconds) Epoch(Trainer trainer, LabeledImages train, BatchOrder order, float[] images, int[] labels, string title)
    {
        _display.BeginEpoch(title, order.BatchCount);
        double lossSum = 0;
        int correct = 0, samples = 0;
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < order.BatchCount; b++)
        {
            ReadOnlySpan<int> indices = order.Batch(b);
            int count = indices.Length;
            train.CopyTo(indices, images.AsSpan(0, count * train.ImageLength), labels.AsSpan(0, count));
            StepResult step = trainer.Step(images.AsSpan(0, count * train.ImageLength), labels.AsSpan(0, count), count);
            lossSum += step.Loss * step.Samples;
            correct += step.Correct;
            samples += step.Samples;
            _display.Step(b + 1, lossSum / samples, samples / clock.Elapsed.TotalSeconds);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        _display.EndEpoch();
        return (new StepResult(lossSum / samples, correct, samples), seconds);
    }
}
