using System.Diagnostics;
using KernelGen.Training;

namespace KernelGen.Samples;

/// <summary>What a training run ended with.</summary>
/// <param name="Test">The test set's loss and accuracy after the last epoch.</param>
/// <param name="Seconds">Time spent in training steps, evaluation left out.</param>
internal sealed record TrainingOutcome(StepResult Test, double Seconds);

/// <summary>A training step's loss became NaN or infinite (<see cref="StepResult.Diverged"/>): the run stops, saying where.</summary>
internal sealed class TrainingDivergedException(string message) : Exception(message)
{
    /// <summary>The program's exit code when training diverged.</summary>
    public const int ExitCode = 3;
}

/// <summary>Trains a network with Adam (η = 10⁻³; the ResNet's <see cref="MnistResNet.LearningRate"/>) on batches in a seeded shuffled order.</summary>
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
    public TrainingOutcome Run(INetwork network, LabeledImages train, LabeledImages test, int epochs, bool reportEpochs, string name = "")
    {
        var adam = new Adam(LearningRate);
        var trainer = new Trainer(network, adam, _settings.Batch, _settings.Threads);
        var order = new BatchOrder(train.Count, _settings.Batch, _settings.Seed);
        double seconds = 0;
        StepResult tested = default;
        _display.Run(() =>
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                // The ResNet's recipe decays the rate for its last epochs; the CNN keeps 10⁻³ throughout.
                adam.LearningRate = network is MnistResNet ? MnistResNet.LearningRate(epoch, epochs) : LearningRate;
                string title = $"epoch {epoch + 1}/{epochs}";
                (StepResult trained, double epochSeconds) = Epoch(trainer, train, order, epoch, name.Length == 0 ? title : $"{name}, {title}");
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
    private (StepResult Trained, double Seconds) Epoch(Trainer trainer, LabeledImages train, BatchOrder order, int epoch, string title)
    {
        _display.BeginEpoch(title, order.BatchCount);
        var clock = Stopwatch.StartNew();
        int steps = 0;
        StepResult trained = trainer.Epoch(train, order, epoch, (b, soFar) =>
        {
            steps = b + 1;
            _display.Step(steps, soFar.Loss, soFar.Samples / clock.Elapsed.TotalSeconds);
        });
        double seconds = clock.Elapsed.TotalSeconds;
        _display.EndEpoch();
        if (trained.Diverged)
        {
            throw new TrainingDivergedException(
                $"{title}: the loss of step {steps} of {order.BatchCount} was NaN or infinite, so training stopped; the weights are those after step {steps - 1}. " +
                "A NaN or an infinity in the images, or a learning rate far too high, does this.");
        }

        return (trained, seconds);
    }
}
