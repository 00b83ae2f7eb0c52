namespace KernelGen.TrainingComparison;

/// <summary>What one epoch of one framework measured.</summary>
/// <param name="Seconds">Time in training steps (the test pass is not counted).</param>
/// <param name="Loss">Mean training loss over the epoch.</param>
/// <param name="TestAccuracy">Share of the test images classified correctly after the epoch.</param>
internal sealed record EpochResult(double Seconds, double Loss, double TestAccuracy);

/// <summary>A framework training the network on its training images, one epoch at a time, each followed by a test pass.</summary>
internal interface ITrainee
{
    /// <summary>The framework's name in the output.</summary>
    string Name { get; }

    /// <summary>Runs a training step and a test batch on a throwaway copy of the network, so that loading and first-call costs are not timed.</summary>
    void WarmUp();

    /// <summary>Trains epoch <paramref name="epoch"/> (timed) with Adam at <paramref name="learningRate"/>, then tests.</summary>
    EpochResult Epoch(int epoch, float learningRate);

    /// <summary>The logits of the first <paramref name="count"/> test images, in inference mode.</summary>
    float[] TestLogits(int count);
}
