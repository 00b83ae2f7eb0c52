// Trains the classic small CNN on MNIST with the kernels KernelGen generates for it (MnistCnn.cs), saves the
// weights as safetensors, and with --fine-tune compares transfer learning with training from scratch.
using System.CommandLine;
using KernelGen.Samples;
using KernelGen.Training;

var options = new TrainingOptions();
var output = new Option<string>("--out")
{
    Description = "Where to save the trained weights, as safetensors",
    HelpName = "FILE",
    DefaultValueFactory = _ => "mnist-cnn.safetensors",
};
var fineTune = new Option<bool>("--fine-tune")
{
    Description = $"Pre-train on the digits 0–4 (saved as {FineTuning.PretrainedFile} beside --out), then learn 5–9 from {FineTuning.FewShotImages:N0} images with the convolution frozen, against the same from scratch",
};
var command = new RootCommand("Trains a small CNN on MNIST with KernelGen's generated kernels: conv 3×3×32 ReLU, max pool 2×2, dense 128 ReLU, dense 10.");
options.AddTo(command);
command.Options.Add(output);
command.Options.Add(fineTune);
command.SetAction(result => MnistProgram.Run(options.Read(result), result.GetValue(output)!, result.GetValue(fineTune)));
return TrainingOptions.Invoke(command, args);

/// <summary>The program's steps once the command line is parsed.</summary>
internal static class MnistProgram
{
    public static int Run(TrainingSettings settings, string outPath, bool fineTune)
    {
        if (!MnistFiles.TryLoad(settings.DataDirectory, out LabeledImages train, out LabeledImages test))
        {
            return MnistFilesException.ExitCode;
        }

        string weightsPath = Path.GetFullPath(outPath);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(weightsPath)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"--out: cannot write to {weightsPath}: {e.Message}");
            return 1;
        }

        int threads = Math.Min(settings.Threads, settings.Batch); // a step splits its batch, so no more threads than samples
        Console.WriteLine($"Adam (learning rate {Training.LearningRate}), batch {settings.Batch}, {threads} thread{(threads == 1 ? "" : "s")}, seed {settings.Seed}");
        TrainingDisplay display = TrainingDisplay.Create();
        if (fineTune)
        {
            FineTuning.Run(train, test, settings, weightsPath, display);
        }
        else
        {
            Train(train, test, settings, weightsPath, display);
        }

        return 0;
    }

    private static void Train(LabeledImages train, LabeledImages test, TrainingSettings settings, string weightsPath, TrainingDisplay display)
    {
        var network = new MnistCnn(settings.Seed, settings.Batch);
        Console.WriteLine($"MnistCnn: {network.Parameters.Sum(p => p.Values.Length):N0} parameters — {string.Join(", ", network.Parameters)}");
        TrainingOutcome outcome = new Training(display, settings).Run(network, train, test, settings.Epochs, reportEpochs: true);
        network.Save(weightsPath);
        Console.WriteLine();
        Console.WriteLine($"Final test accuracy: {outcome.Test.Accuracy:P2} ({outcome.Test.Correct:N0} of {outcome.Test.Samples:N0} test images), after {outcome.Seconds:F1} s of training");
        Console.WriteLine($"Saved the weights to {weightsPath}");
        ShowPredictions(weightsPath, test);
    }

    /// <summary>Loads the saved weights into a new network and classifies the first test images with them.</summary>
    private static void ShowPredictions(string weightsPath, LabeledImages test)
    {
        const int Shown = 10;
        var reloaded = new MnistCnn();
        reloaded.Load(weightsPath);
        var classes = new int[Shown];
        reloaded.Predict(test.Images.AsSpan(0, Shown * test.ImageLength), classes, Shown);
        Console.WriteLine($"Loaded back, it reads the first {Shown} test images as {string.Join(' ', classes)} (labels {string.Join(' ', test.Labels[..Shown])})");
    }
}
