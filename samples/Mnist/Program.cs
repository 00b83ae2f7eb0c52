// Trains the classic small CNN (MnistCnn.cs) or a small ResNet (MnistResNet.cs, --model resnet) on MNIST with the
// kernels KernelGen generates for it, saves the weights as safetensors, and with --fine-tune compares transfer
// learning with training from scratch.
using System.CommandLine;
using KernelGen.Samples;
using KernelGen.Training;

var options = new TrainingOptions();
var model = new Option<string>("--model")
{
    Description = "The network: cnn (conv, max pool, two dense layers) or resnet (a stem and two residual blocks with batch norms)",
    HelpName = "cnn|resnet",
    DefaultValueFactory = _ => "cnn",
}.AcceptOnlyFromAmong("cnn", "resnet");
var output = new Option<string>("--out")
{
    Description = "Where to save the trained weights, as safetensors (default: mnist-cnn.safetensors or mnist-resnet.safetensors)",
    HelpName = "FILE",
};
var fineTune = new Option<bool>("--fine-tune")
{
    Description = $"Pre-train on the digits 0–4 (saved as {FineTuning.PretrainedFile} beside --out), then learn 5–9 from {FineTuning.FewShotImages:N0} images with the convolution frozen, against the same from scratch",
};
var command = new RootCommand("Trains a small CNN on MNIST with KernelGen's generated kernels: conv 3×3×32 ReLU, max pool 2×2, dense 128 ReLU, dense 10.");
options.AddTo(command);
command.Options.Add(model);
command.Options.Add(output);
command.Options.Add(fineTune);
command.Validators.Add(result =>
{
    if (result.GetValue(fineTune) && result.GetValue(model) == "resnet")
    {
        result.AddError("--fine-tune works with --model cnn only.");
    }
});
command.SetAction(result =>
{
    string chosen = result.GetValue(model)!;
    return MnistProgram.Run(options.Read(result), chosen, result.GetValue(output) ?? $"mnist-{chosen}.safetensors", result.GetValue(fineTune));
});
return TrainingOptions.Invoke(command, args);

/// <summary>The program's steps once the command line is parsed.</summary>
internal static class MnistProgram
{
    public static int Run(TrainingSettings settings, string model, string outPath, bool fineTune)
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
        Console.WriteLine($"Adam (learning rate {Training.LearningRate}{(model == "resnet" ? ", 10× less for the last two epochs" : "")}), batch {settings.Batch}, {threads} thread{(threads == 1 ? "" : "s")}, seed {settings.Seed}");
        TrainingDisplay display = TrainingDisplay.Create();
        try
        {
            if (fineTune)
            {
                FineTuning.Run(train, test, settings, weightsPath, display);
            }
            else
            {
                Train(model, train, test, settings, weightsPath, display);
            }
        }
        catch (TrainingDivergedException e)
        {
            Console.Error.WriteLine(e.Message);
            return TrainingDivergedException.ExitCode;
        }

        return 0;
    }

    private static void Train(string model, LabeledImages train, LabeledImages test, TrainingSettings settings, string weightsPath, TrainingDisplay display)
    {
        INetwork network = Create(model, settings.Seed, settings.Batch);
        int parameters = network.Parameters.Where(p => !p.IsBuffer).Sum(p => p.Values.Length);
        Console.WriteLine($"{network.GetType().Name}: {parameters:N0} parameters — {string.Join(", ", network.Parameters)}");
        TrainingOutcome outcome = new Training(display, settings).Run(network, train, test, settings.Epochs, reportEpochs: true);
        ParameterFile.Save(weightsPath, network.Parameters);
        Console.WriteLine();
        Console.WriteLine($"Final test accuracy: {outcome.Test.Accuracy:P2} ({outcome.Test.Correct:N0} of {outcome.Test.Samples:N0} test images), after {outcome.Seconds:F1} s of training");
        Console.WriteLine($"Saved the weights to {weightsPath}");
        ShowPredictions(model, weightsPath, test);
    }

    /// <summary>The network <paramref name="model"/> names, its weights drawn from <paramref name="seed"/>.</summary>
    private static INetwork Create(string model, int seed = 0, int maxBatch = 64) =>
        model == "resnet" ? new MnistResNet(seed, maxBatch) : new MnistCnn(seed, maxBatch);

    /// <summary>Loads the saved weights into a new network and classifies the first test images with them.</summary>
    private static void ShowPredictions(string model, string weightsPath, LabeledImages test)
    {
        const int Shown = 10;
        INetwork reloaded = Create(model);
        ParameterFile.Load(weightsPath, reloaded.Parameters);
        var logits = new float[Shown * reloaded.OutputLength];
        reloaded.Forward(reloaded.CreateWorkspace(Shown), test.Images.AsSpan(0, Shown * test.ImageLength), logits, Shown);
        IEnumerable<int> classes = Enumerable.Range(0, Shown).Select(n => ArgMax(logits.AsSpan(n * reloaded.OutputLength, reloaded.OutputLength)));
        Console.WriteLine($"Loaded back, it reads the first {Shown} test images as {string.Join(' ', classes)} (labels {string.Join(' ', test.Labels[..Shown])})");
    }

    private static int ArgMax(ReadOnlySpan<float> scores)
    {
        int best = 0;
        for (int k = 1; k < scores.Length; k++)
        {
            best = scores[k] > scores[best] ? k : best;
        }

        return best;
    }
}
