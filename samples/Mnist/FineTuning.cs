using KernelGen.Training;

namespace KernelGen.Samples;

/// <summary>
/// Transfer learning in small: pre-train on the digits 0–4, then learn 5–9 from only 1,000 labelled
/// images twice — once starting from the pre-trained convolution (frozen) with a new head, once from
/// scratch — and compare the two on the test images of 5–9.
/// </summary>
internal static class FineTuning
{
    /// <summary>Labelled images of 5–9 both models learn from.</summary>
    public const int FewShotImages = 1000;

    /// <summary>Epochs over those images.</summary>
    public const int FewShotEpochs = 20;

    /// <summary>The file the pre-trained weights are saved to, beside the main output file.</summary>
    public const string PretrainedFile = "mnist-0to4.safetensors";

    /// <summary>
    /// Runs the comparison and saves the fine-tuned network to <paramref name="weightsPath"/> (a full path), the
    /// pre-trained one beside it.
    /// </summary>
    public static void Run(LabeledImages train, LabeledImages test, TrainingSettings settings, string weightsPath, TrainingDisplay display)
    {
        var training = new Training(display, settings);
        string pretrainedPath = Path.Combine(Path.GetDirectoryName(weightsPath)!, PretrainedFile);
        double pretrainingSeconds = Pretrain(training, train.Where(ZeroToFour), test.Where(ZeroToFour), settings, pretrainedPath, display);

        LabeledImages fewShot = RandomChoice(train.Where(FiveToNine), FewShotImages, settings.Seed), fewShotTest = test.Where(FiveToNine);
        display.WriteLine($"Learning 5–9 from {fewShot.Count:N0} labelled images, {Training.Epochs(FewShotEpochs)} each:");
        MnistCnn transferred = Transferred(pretrainedPath, settings);
        TrainingOutcome fineTuned = training.Run(transferred, fewShot, fewShotTest, FewShotEpochs, reportEpochs: false, "fine-tuned");
        TrainingOutcome scratch = training.Run(new MnistCnn(settings.Seed, settings.Batch), fewShot, fewShotTest, FewShotEpochs, reportEpochs: false, "from scratch");

        display.WriteLine($"Tested on the {fewShotTest.Count:N0} test images of 5–9:");
        display.WriteLine($"  {"",-46} {"test accuracy",13}  {"training time",13}");
        display.WriteLine($"  {"fine-tuned (Conv1 from 0–4, frozen; new head)",-46} {fineTuned.Test.Accuracy,13:P2}  {fineTuned.Seconds,11:F1} s");
        display.WriteLine($"  {"from scratch",-46} {scratch.Test.Accuracy,13:P2}  {scratch.Seconds,11:F1} s");
        display.WriteLine($"  (pre-training on 0–4 took {pretrainingSeconds:F1} s more)");
        transferred.Save(weightsPath);
        display.WriteLine($"Saved the fine-tuned weights to {weightsPath}");
    }

    /// <summary>Trains a network on the digits 0–4 and saves it to <paramref name="path"/>; returns the seconds it took.</summary>
    private static double Pretrain(Training training, LabeledImages train, LabeledImages test, TrainingSettings settings, string path, TrainingDisplay display)
    {
        display.WriteLine($"Pre-training on the {train.Count:N0} training images of 0–4 for {Training.Epochs(settings.Epochs)}:");
        var network = new MnistCnn(settings.Seed, settings.Batch);
        TrainingOutcome outcome = training.Run(network, train, test, settings.Epochs, reportEpochs: true);
        network.Save(path);
        display.WriteLine($"Test accuracy on 0–4: {outcome.Test.Accuracy:P2}; saved the weights to {path}");
        display.WriteLine("");
        return outcome.Seconds;
    }

    /// <summary>The pre-trained network with a new head (<c>Fc1</c>, <c>Logits</c>) and its convolution frozen.</summary>
    private static MnistCnn Transferred(string pretrainedPath, TrainingSettings settings)
    {
        var network = new MnistCnn(settings.Seed, settings.Batch);
        network.Load(pretrainedPath);
        var headRandom = new Random(settings.Seed + 1);
        foreach (Parameter head in new[] { network.Fc1Weight, network.Fc1Bias, network.LogitsWeight, network.LogitsBias })
        {
            head.Initialize(headRandom);
        }

        network.Conv1Weight.Frozen = true;
        network.Conv1Bias.Frozen = true;
        return network;
    }

    private static bool ZeroToFour(int label) => label < 5;

    private static bool FiveToNine(int label) => label >= 5;

    /// <summary><paramref name="count"/> images drawn without replacement, by a <see cref="Random"/> seeded with <paramref name="seed"/>.</summary>
    private static LabeledImages RandomChoice(LabeledImages data, int count, int seed)
    {
        int[] indices = [.. Enumerable.Range(0, data.Count)];
        new Random(seed).Shuffle(indices);
        return data.Select(indices[..Math.Min(count, indices.Length)]);
    }
}
