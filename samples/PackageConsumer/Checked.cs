using KernelGen;
using KernelGen.Training;

namespace PackageConsumer;

/// <summary>The wide layers of <see cref="Layers"/> one after the other, generated and by the reference.</summary>
internal static class WideLayers
{
    private const int Batch = 2;
    private static readonly Conv2DGeometry Conv = new(3, 10, 20, 8, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
    private static readonly Pool2DGeometry Pool = new(8, 10, 20, 2, 2);
    private static readonly DenseGeometry Dense = new(400, 10);

    private static readonly float[] Input = Values(1, Batch * Conv.InputLength, 1f);
    private static readonly float[] ConvWeights = Values(2, Conv.WeightLength, 0.5f), ConvBias = Values(3, 8, 0.1f);
    private static readonly float[] DenseWeights = Values(4, Dense.WeightLength, 0.05f), DenseBias = Values(5, 10, 0.1f);

    public static float[] Generated()
    {
        float[] features = new float[Batch * Conv.OutputLength], pooled = new float[Batch * Pool.OutputLength], output = new float[Batch * 10];
        Layers.WideConv(Input, ConvWeights, ConvBias, features, Batch);
        Layers.WidePool(features, pooled, Batch);
        Layers.WideDense(pooled, DenseWeights, DenseBias, output, Batch);
        return output;
    }

    public static float[] Referenced()
    {
        float[] features = new float[Batch * Conv.OutputLength], pooled = new float[Batch * Pool.OutputLength], output = new float[Batch * 10];
        Reference.Conv2D<float>(Conv, Input, ConvWeights, ConvBias, features, Batch, Activation.Relu);
        Reference.MaxPool2D<float>(Pool, features, pooled, Batch);
        Reference.Dense<float>(Dense, pooled, DenseWeights, DenseBias, output, Batch);
        return output;
    }

    /// <summary><paramref name="count"/> values uniform in ±<paramref name="scale"/>, from a seeded <see cref="Random"/>.</summary>
    public static float[] Values(int seed, int count, float scale)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
    }
}

/// <summary>The checks of <see cref="TinyCnn"/>.</summary>
internal static class TinyNetwork
{
    /// <summary>
    /// Weights set by hand so that the logits for the input 1..36 are exact: channel 0 is the plus kernel, channel 1
    /// is twice the input less 50 (so ReLU keeps only the bottom row's windows: 14, 18, 22 after pooling); logit 0 sums
    /// channel 0's nine pooled values (885), logit 1 channel 1's plus ½ (54.5), logit 2 is the last of channel 0's
    /// less the first, less 1 (145 − 40 − 1 = 104).
    /// </summary>
    public static TinyCnn HandSet()
    {
        var network = new TinyCnn();
        foreach (Parameter parameter in network.Parameters)
        {
            Array.Clear(parameter.Values);
        }

        float[] plus = [0, 1, 0, 1, 1, 1, 0, 1, 0];
        plus.CopyTo(network.ConvWeight.Values, 0);
        network.ConvWeight.Values[9 + 4] = 2;
        network.ConvBias.Values[1] = -50;
        float[] logits = network.LogitsWeight.Values; // [3, 18]: features are channel 0's 3×3, then channel 1's
        for (int i = 0; i < 9; i++)
        {
            logits[i] = 1;
            logits[18 + 9 + i] = 1;
        }

        logits[36 + 0] = -1;
        logits[36 + 8] = 1;
        network.LogitsBias.Values[1] = 0.5f;
        network.LogitsBias.Values[2] = -1;
        return network;
    }

    private const int Batch = 3;
    private static readonly float[] Input = WideLayers.Values(6, Batch * TinyCnn.InputSize, 1f);

    /// <summary>A seeded network's logits for three seeded images.</summary>
    public static float[] SeededLogits()
    {
        var network = new TinyCnn(seed: 42, maxBatch: Batch);
        float[] logits = new float[Batch * TinyCnn.OutputSize];
        network.Forward(Input, logits, Batch);
        return logits;
    }

    /// <summary>The same, layer by layer with the reference.</summary>
    public static float[] ReferenceLogits()
    {
        var network = new TinyCnn(seed: 42, maxBatch: Batch);
        var conv = new Conv2DGeometry(1, 6, 6, 2, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        var pool = new Pool2DGeometry(2, 6, 6, 2, 2);
        var dense = new DenseGeometry(18, 3);
        float[] features = new float[Batch * conv.OutputLength], pooled = new float[Batch * pool.OutputLength], logits = new float[Batch * 3];
        Reference.Conv2D<float>(conv, Input, network.ConvWeight.Values, network.ConvBias.Values, features, Batch, Activation.Relu);
        Reference.MaxPool2D<float>(pool, features, pooled, Batch);
        Reference.Dense<float>(dense, pooled, network.LogitsWeight.Values, network.LogitsBias.Values, logits, Batch);
        return logits;
    }

    /// <summary>Adam on eight seeded images with labels 0, 1, 2, 0, …: the loss falls below a third of where it began
    /// and every image is then classified as labelled.</summary>
    public static bool Trains(out string detail)
    {
        const int Images = 8, Steps = 30;
        var network = new TinyCnn(seed: 1, maxBatch: Images);
        var trainer = new Trainer(network, new Adam(0.05f), maxBatch: Images, threads: 1);
        float[] images = WideLayers.Values(7, Images * TinyCnn.InputSize, 1f);
        int[] labels = [.. Enumerable.Range(0, Images).Select(i => i % 3)];
        StepResult first = trainer.Step(images, labels, Images), last = first;
        for (int step = 1; step < Steps; step++)
        {
            last = trainer.Step(images, labels, Images);
        }

        StepResult after = trainer.Evaluate(new LabeledImages(images, labels, 6, 6, 3));
        detail = after.Correct == Images ? $"{after.Correct} of {Images} right after training" : $"loss {first.Loss:F3} -> {after.Loss:F3}, {after.Correct} of {Images} right";
        return after.Loss < first.Loss / 3 && after.Correct == Images && last.Samples == Images;
    }

    /// <summary>Saves a seeded network as safetensors, loads the file into a network seeded otherwise, and compares their logits.</summary>
    public static bool RoundTrips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-consumer-{Environment.ProcessId}.safetensors");
        try
        {
            var saved = new TinyCnn(seed: 42, maxBatch: Batch);
            saved.Save(path);
            var loaded = new TinyCnn(seed: 7, maxBatch: Batch);
            loaded.Load(path);
            float[] before = new float[Batch * 3], after = new float[Batch * 3];
            saved.Forward(Input, before, Batch);
            loaded.Forward(Input, after, Batch);
            return before.AsSpan().SequenceEqual(after);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
