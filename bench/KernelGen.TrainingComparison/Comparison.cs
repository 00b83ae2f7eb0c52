using System.Runtime.Intrinsics;
using KernelGen.Samples;
using KernelGen.Training;

namespace KernelGen.TrainingComparison;

/// <summary>
/// Trains the network with each chosen framework from the same initial weights on the same batches, epoch by
/// epoch in turn, and prints each epoch's time, loss and test accuracy, then a summary.
/// </summary>
internal static class Comparison
{
    /// <summary>Adam's learning rate, in both frameworks.</summary>
    public const float LearningRate = 1e-3f;

    /// <summary>Runs the comparison; returns the exit code.</summary>
    public static int Run(TrainingSettings settings, string model, bool kernelGen, bool torch)
    {
        if (!MnistFiles.TryLoad(settings.DataDirectory, out LabeledImages train, out LabeledImages test))
        {
            return MnistFilesException.ExitCode;
        }

        Console.WriteLine($"Adam (learning rate {LearningRate}{(model == "resnet" ? ", 10× less for the last two epochs" : "")}), batch {settings.Batch}, {settings.Threads} thread{(settings.Threads == 1 ? "" : "s")}, seed {settings.Seed}, {settings.Epochs} epoch{(settings.Epochs == 1 ? "" : "s")}; seconds are training steps only");
        Func<INetwork> create = model == "resnet" ? () => new MnistResNet(settings.Seed, settings.Batch) : () => new MnistCnn(settings.Seed, settings.Batch);
        INetwork network = create();
        Console.WriteLine($"Model: {network.GetType().Name}, {network.Parameters.Where(p => !p.IsBuffer).Sum(p => p.Values.Length):N0} parameters");
        List<ITrainee> trainees = [];
        try
        {
            if (kernelGen)
            {
                trainees.Add(new KernelGenTrainee(network, create, train, test, settings));
                Console.WriteLine($"KernelGen: generated kernels, {SimdPath()} path");
            }

            if (torch)
            {
                IReadOnlyDictionary<string, Tensor> initial = InitialWeights(network);
                TorchTrainee.Load(settings.Threads);
                trainees.Add(new TorchTrainee(model, initial, train, test, settings));
                Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, libtorch CPU, set_num_threads({TorchSharp.torch.get_num_threads()})");
            }

            Prepare(trainees, Math.Min(settings.Batch, test.Count));
            Report(trainees, Train(trainees, settings.Epochs, epoch => model == "resnet" ? MnistResNet.LearningRate(epoch, settings.Epochs) : LearningRate));
        }
        finally
        {
            foreach (IDisposable disposable in trainees.OfType<IDisposable>())
            {
                disposable.Dispose();
            }
        }

        return 0;
    }

    /// <summary>Warms each framework up, then shows that both start from the same function.</summary>
    private static void Prepare(List<ITrainee> trainees, int count)
    {
        foreach (ITrainee trainee in trainees)
        {
            trainee.WarmUp();
        }

        if (trainees.Count == 2)
        {
            float[] first = trainees[0].TestLogits(count), second = trainees[1].TestLogits(count);
            double difference = first.Zip(second, (a, b) => Math.Abs((double)a - b)).Max();
            Console.WriteLine($"Before training, the two agree on the logits of {count} test images to within {difference:G3}");
        }
    }

    private static Dictionary<ITrainee, List<EpochResult>> Train(List<ITrainee> trainees, int epochs, Func<int, float> learningRate)
    {
        Dictionary<ITrainee, List<EpochResult>> results = trainees.ToDictionary(t => t, _ => new List<EpochResult>());
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Console.WriteLine();
            Console.WriteLine($"epoch {epoch + 1}/{epochs}, learning rate {learningRate(epoch)}");
            foreach (ITrainee trainee in trainees)
            {
                EpochResult result = trainee.Epoch(epoch, learningRate(epoch));
                results[trainee].Add(result);
                Console.WriteLine($"  {trainee.Name,-10}  {result.Seconds,7:F1} s   train loss {result.Loss:F4}   test accuracy {result.TestAccuracy:P2}");
            }
        }

        return results;
    }

    private static void Report(List<ITrainee> trainees, Dictionary<ITrainee, List<EpochResult>> results)
    {
        Console.WriteLine();
        Console.WriteLine($"| framework  | seconds/epoch | final test accuracy |");
        Console.WriteLine($"|------------|--------------:|--------------------:|");
        foreach (ITrainee trainee in trainees)
        {
            Console.WriteLine($"| {trainee.Name,-10} | {SecondsPerEpoch(results[trainee]),13:F1} | {results[trainee][^1].TestAccuracy,19:P2} |");
        }

        if (trainees.Count == 2)
        {
            double ratio = SecondsPerEpoch(results[trainees[1]]) / SecondsPerEpoch(results[trainees[0]]);
            Console.WriteLine();
            Console.WriteLine($"TorchSharp seconds / KernelGen seconds: {ratio:F2}");
        }
    }

    private static double SecondsPerEpoch(List<EpochResult> epochs) => epochs.Average(e => e.Seconds);

    /// <summary>KernelGen's initial parameters, through a safetensors file as any other program would read them.</summary>
    private static IReadOnlyDictionary<string, Tensor> InitialWeights(INetwork network)
    {
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-initial-{Environment.ProcessId}.safetensors");
        try
        {
            ParameterFile.Save(path, network.Parameters);
            return Safetensors.Load(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string SimdPath() =>
        Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "scalar";
}
