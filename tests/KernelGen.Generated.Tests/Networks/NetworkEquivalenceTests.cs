using System.IO;
using System.Collections.Generic;
using System.Reflection;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// The generated networks against the reference, layer by layer: every forward kernel on the network's own input to
/// that layer, the loss, and every backward kernel (activation derivative, weight, bias and input gradients, pool
/// routing, softmax cross-entropy) on the network's own upstream gradient, all computed again in double by
/// <see cref="Reference"/>. Feeding each check the network's own values keeps a ReLU or a max-pool tie that float and
/// double round differently from spreading, so every kernel is held to its own rounding only.
/// </summary>
public sealed class NetworkEquivalenceTests
{
    /// <summary>The layers of <see cref="EveryLayer"/>, written out by hand: the shape inference must agree with them.</summary>
    private static readonly Layer[] EveryLayerLayers =
    [
        new Conv("Conv1", new Conv2DGeometry(2, 13, 11, 4, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), Activation.Tanh, Flip: false),
        new Pool("Pool1", new Pool2DGeometry(4, 13, 11, 3, 3, 2, 2, 1, 1), Max: false, CountIncludePad: false),
        new Conv("Conv2", new Conv2DGeometry(4, 7, 6, 6, 3, 2, strideHeight: 1, strideWidth: 2, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 2), Activation.Relu, Flip: true),
        new Pool("Pool2", new Pool2DGeometry(6, 7, 4, 2, 2, 1, 1), Max: true, CountIncludePad: false),
        new Conv("Conv3", new Conv2DGeometry(6, 6, 3, 8, 3, 3, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2, dilationHeight: 2, dilationWidth: 2), Activation.Sigmoid, Flip: false),
        new Pool("Pool3", new Pool2DGeometry(8, 6, 3, 2, 2, 2, 2, 1, 1), Max: false, CountIncludePad: true),
        new Conv("Conv4", new Conv2DGeometry(8, 4, 2, 12, 1, 1), Activation.None, Flip: false),
        new GlobalPool("Gap", 12, 4, 2, Max: false),
        new Dense("Fc1", new DenseGeometry(12, 9), Activation.Relu),
        new Dense("Out", new DenseGeometry(9, 5), Activation.None),
    ];

    private static readonly Layer[] WideLayersLayers =
    [
        new Pool("Pool0", new Pool2DGeometry(3, 18, 20, 3, 3, 1, 1, 1, 1), Max: true, CountIncludePad: false),
        new Conv("Conv1", new Conv2DGeometry(3, 18, 20, 6, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), Activation.Relu, Flip: true),
        new Conv("Depthwise", new Conv2DGeometry(6, 18, 20, 6, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 6), Activation.Tanh, Flip: false),
        new Conv("Conv2", new Conv2DGeometry(6, 18, 20, 8, 4, 4, 2, 2, padTop: 1, padBottom: 2, padLeft: 1, padRight: 2), Activation.None, Flip: false),
        new Conv("Dilated", new Conv2DGeometry(8, 9, 10, 8, 3, 3, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2, dilationHeight: 2, dilationWidth: 2), Activation.Relu, Flip: false),
        new Pool("Pool1", new Pool2DGeometry(8, 9, 10, 3, 2), Max: true, CountIncludePad: false),
        new Dense("Fc1", new DenseGeometry(120, 20), Activation.Relu),
        new Dense("Out", new DenseGeometry(20, 3), Activation.Sigmoid),
    ];

    private static readonly Layer[] MnistLayers =
    [
        new Conv("Conv1", new Conv2DGeometry(1, 28, 28, 32, 3, 3), Activation.Relu, Flip: false),
        new Pool("Pool1", new Pool2DGeometry(32, 26, 26, 2, 2), Max: true, CountIncludePad: false),
        new Dense("Fc1", new DenseGeometry(5408, 128), Activation.Relu),
        new Dense("Logits", new DenseGeometry(128, 10), Activation.None),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    public void EveryLayerMatchesTheReference(int batch) => CheckNetwork(new EveryLayer(seed: 11, maxBatch: batch), EveryLayerLayers, batch, seed: batch);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void WideLayersMatchesTheReference(int batch) => CheckNetwork(new WideLayers(seed: 4, maxBatch: batch), WideLayersLayers, batch, seed: 50 + batch);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void GlobalMaxMatchesTheReference(int batch) => CheckNetwork(new GlobalMax(seed: 8, maxBatch: batch),
    [
        new Conv("Conv1", new Conv2DGeometry(2, 20, 21, 5, 3, 3), Activation.Tanh, Flip: false),
        new GlobalPool("Gmp", 5, 18, 19, Max: true),
        new Dense("Out", new DenseGeometry(5, 4), Activation.None),
    ], batch, seed: 200 + batch);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void CeilPoolsMatchesTheReference(int batch) => CheckNetwork(new CeilPools(seed: 9, maxBatch: batch),
    [
        new Conv("Conv1", new Conv2DGeometry(2, 16, 18, 4, 3, 3), Activation.Relu, Flip: false),
        new Pool("Pool1", new Pool2DGeometry(4, 14, 16, 3, 3, 2, 2, 1, 1, 1, 1, ceilMode: true), Max: false, CountIncludePad: true),
        new Pool("Pool2", new Pool2DGeometry(4, 8, 9, 2, 2, 2, 2, 0, 0, 1, 0, ceilMode: true), Max: true, CountIncludePad: false),
        new Dense("Out", new DenseGeometry(4 * 4 * 5, 3), Activation.None),
    ], batch, seed: 300 + batch);

    /// <summary>
    /// The activations whose derivative a network takes from the output: LeakyReLU (a set slope and the default), ReLU6
    /// and HardSigmoid, on inputs large enough to reach both ends of ReLU6's and HardSigmoid's linear parts.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void PiecewiseActivationsMatchTheReference(int batch)
    {
        float[] input = [.. Data(400 + batch, batch * PiecewiseActivations.InputSize).Select(v => 8 * v)];
        CheckNetwork(new PiecewiseActivations(seed: 3, maxBatch: batch),
        [
            new Conv("Conv1", new Conv2DGeometry(3, 12, 14, 6, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), Activation.LeakyRelu, Flip: false, Slope: 0.2f),
            new Conv("Depthwise", new Conv2DGeometry(6, 12, 14, 6, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 6), Activation.Relu6, Flip: false),
            new Pool("Pool1", new Pool2DGeometry(6, 12, 14, 2, 2), Max: true, CountIncludePad: false),
            new Dense("Fc1", new DenseGeometry(6 * 6 * 7, 16), Activation.HardSigmoid),
            new Dense("Out", new DenseGeometry(16, 4), Activation.LeakyRelu),
        ], batch, seed: 400 + batch, input);
    }

    /// <summary>
    /// The activations whose derivative a network takes from the kept pre-activation (HardSwish, SiLU, GELU, LeakyReLU with
    /// a negative slope), and a dilated max pool routing its gradients, on inputs wide enough for every piece of HardSwish.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void SmoothActivationsMatchTheReference(int batch)
    {
        float[] input = [.. Data(500 + batch, batch * SmoothActivations.InputSize).Select(v => 6 * v)];
        CheckNetwork(new SmoothActivations(seed: 6, maxBatch: batch),
        [
            new Conv("Conv1", new Conv2DGeometry(3, 12, 14, 6, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), Activation.HardSwish, Flip: false),
            new Conv("Depthwise", new Conv2DGeometry(6, 12, 14, 6, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 6), Activation.Silu, Flip: false),
            new Pool("Pool1", new Pool2DGeometry(6, 12, 14, 2, 2, 2, 2, 1, 1, 1, 1, dilationHeight: 2, dilationWidth: 2), Max: true, CountIncludePad: false),
            new Dense("Fc1", new DenseGeometry(6 * 6 * 7, 16), Activation.Gelu),
            new Dense("Out", new DenseGeometry(16, 4), Activation.LeakyRelu, Slope: -0.5f),
        ], batch, seed: 500 + batch, input);
    }

    /// <summary>Layers without bias (<c>Bias = false</c>) and with PyTorch's dotted parameter names (<c>Name</c>).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void LayersWithoutBiasUnderDottedNamesMatchTheReference(int batch)
    {
        var network = new TorchNames(seed: 2, maxBatch: batch);
        Assert.Equal(["conv1.weight [4, 2, 3, 3]", "layer1.0.conv1.weight [4, 4, 3, 3]", "layer1.0.fc.weight [6, 80]", "fc.weight [3, 6]", "fc.bias [3]"],
            network.Parameters.Select(p => p.ToString()));
        CheckNetwork(network,
        [
            new Conv("Conv1", new Conv2DGeometry(2, 9, 11, 4, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), Activation.Tanh, Flip: false) { Prefix = "conv1" },
            new Conv("Block1", new Conv2DGeometry(4, 9, 11, 4, 3, 3, 2, 2), Activation.Relu, Flip: false) { Prefix = "layer1.0.conv1" },
            new Dense("Hidden", new DenseGeometry(80, 6), Activation.Tanh) { Prefix = "layer1.0.fc" },
            new Dense("Head", new DenseGeometry(6, 3), Activation.None) { Prefix = "fc" },
        ], batch, seed: 600 + batch);

        // Saved and loaded under those names.
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-names-{Guid.NewGuid():N}.safetensors");
        try
        {
            network.Save(path);
            var copy = new TorchNames(seed: 99, maxBatch: batch);
            copy.Load(path);
            Assert.All(network.Parameters.Zip(copy.Parameters), pair => Assert.Equal(pair.First.Values, pair.Second.Values));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void MnistCnnMatchesTheReference(int batch) => CheckNetwork(new MnistCnn(seed: 5, maxBatch: batch), MnistLayers, batch, seed: 100 + batch);

    /// <summary>
    /// Max-pool windows with ties (values from {0, ½, 1}, many windows all equal) route each gradient to the first
    /// largest input, top left to bottom right, in the vector path (eight windows at a time) and the scalar rest alike.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void MaxPoolTiesGoToTheFirstLargestInput(int batch)
    {
        var network = new TiedWindows(seed: 1, maxBatch: batch);
        network.CopyWeight.Values[0] = 1f;
        var random = new Random(batch);
        float[] input = Enumerable.Range(0, batch * TiedWindows.InputSize).Select(_ => random.Next(3) * 0.5f).ToArray();
        Layer[] layers =
        [
            new Conv("Copy", new Conv2DGeometry(1, 16, 20, 1, 1, 1), Activation.None, Flip: false),
            new Pool("Pool", new Pool2DGeometry(1, 16, 20, 2, 2), Max: true, CountIncludePad: false),
            new Dense("Out", new DenseGeometry(80, 3), Activation.None),
        ];
        CheckNetwork(network, layers, batch, seed: batch, input, randomBiases: false);
    }

    [Fact]
    public void ParametersHaveTheLayersShapesAndPyTorchNames()
    {
        var network = new EveryLayer();
        string[] expected =
        [
            "Conv1.weight [4, 2, 3, 3]", "Conv1.bias [4]", "Conv2.weight [6, 2, 3, 2]", "Conv2.bias [6]",
            "Conv3.weight [8, 6, 3, 3]", "Conv3.bias [8]", "Conv4.weight [12, 8, 1, 1]", "Conv4.bias [12]",
            "Fc1.weight [9, 12]", "Fc1.bias [9]", "Out.weight [5, 9]", "Out.bias [5]",
        ];
        Assert.Equal(expected, network.Parameters.Select(p => p.ToString()));
        Assert.Equal(2 * 13 * 11, EveryLayer.InputSize);
        Assert.Equal(5, EveryLayer.OutputSize);
    }

    [Fact]
    public void FrozenLayersKeepTheirGradientBuffersAndTheRestMatchesAnUnfrozenRun()
    {
        const int batch = 4;
        var network = new EveryLayer(seed: 2, maxBatch: batch);
        float[] input = Data(7, batch * EveryLayer.InputSize);
        int[] labels = [0, 4, 2, 1];
        NetworkWorkspace full = network.CreateWorkspace(batch);
        network.ForwardBackward(full, input, labels, new float[batch * EveryLayer.OutputSize], batch, 0.25f);

        // Freeze everything up to Conv3: only Conv4 and the dense layers still get gradients.
        foreach (Parameter parameter in network.Parameters.Take(6))
        {
            parameter.Frozen = true;
        }

        NetworkWorkspace partial = network.CreateWorkspace(batch);
        foreach (float[] gradient in partial.Gradients)
        {
            Array.Fill(gradient, float.NaN);
        }

        network.ForwardBackward(partial, input, labels, new float[batch * EveryLayer.OutputSize], batch, 0.25f);
        for (int p = 0; p < network.Parameters.Count; p++)
        {
            if (p < 6)
            {
                Assert.All(partial.Gradients[p], g => Assert.True(float.IsNaN(g)));
            }
            else
            {
                Assert.Equal(full.Gradients[p], partial.Gradients[p]);
            }
        }
    }

    /// <summary>Runs the network's forward and backward passes, then checks each layer's kernels against the reference.</summary>
    private static void CheckNetwork(INetwork network, Layer[] layers, int batch, int seed, float[]? given = null, bool randomBiases = true)
    {
        var random = new Random(seed);
        foreach (Parameter parameter in network.Parameters.Where(p => randomBiases && p.Name.EndsWith(".bias", StringComparison.Ordinal)))
        {
            // Biases start at zero; give them values so that the forward check sees them.
            for (int i = 0; i < parameter.Values.Length; i++)
            {
                parameter.Values[i] = (float)((random.NextDouble() - 0.5) * 0.2);
            }
        }

        float[] input = given ?? Data(seed, batch * network.InputLength);
        int[] labels = Enumerable.Range(0, batch).Select(_ => random.Next(network.OutputLength)).ToArray();
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        var logits = new float[batch * network.OutputLength];
        float loss = network.ForwardBackward(workspace, input, labels, logits, batch, 1f / batch);

        // Forward: each layer on the network's own input to it.
        float[] previous = input;
        var parameters = network.Parameters.ToDictionary(p => p.Name, p => p.Values);
        var gradients = network.Parameters.Select((p, i) => (p.Name, workspace.Gradients[i])).ToDictionary(x => x.Name, x => x.Item2);
        var inputs = new List<float[]>();
        foreach (Layer layer in layers)
        {
            inputs.Add(previous);
            float[] output = Buffer(workspace, layer.Name, "Output", batch * layer.OutputLength);
            double[] expected = layer.Forward(D(previous), parameters, batch);
            AssertClose($"{layer.Name} forward", expected, output, layer.ForwardTerms);
            previous = output;
        }

        Assert.Equal(logits, previous);
        double referenceLoss = Reference.SoftmaxCrossEntropy<double>(D(logits), labels, batch) * batch;
        Assert.Equal(referenceLoss, loss, referenceLoss * 1e-5);

        // Backward, from the loss down: each layer's kernels on the network's own gradient above it.
        var upstream = new double[logits.Length];
        Reference.SoftmaxCrossEntropyBackward<double>(D(logits), labels, upstream, batch);
        // Layers below the first one with parameters need no gradient, and the network computes none for them.
        int lowest = Array.FindIndex(layers, l => l is Conv or Dense);
        for (int i = layers.Length - 1; i >= lowest; i--)
        {
            Layer layer = layers[i];
            float[] output = Buffer(workspace, layer.Name, "Output", batch * layer.OutputLength);
            float[] gradient = Buffer(workspace, layer.Name, "Gradient", batch * layer.OutputLength);
            var preActivation = new double[upstream.Length];
            if (layer.Activation is Activation.HardSwish or Activation.Silu or Activation.Gelu || layer.Slope < 0)
            {
                // The network keeps the pre-activation: the activation applied to it, and its derivative taken from it.
                float[] kept = Buffer(workspace, layer.Name, "PreActivation", batch * layer.OutputLength);
                var activated = new double[kept.Length];
                Reference.Activate<double>(layer.Activation, D(kept), activated, layer.Slope);
                AssertClose($"{layer.Name} activation", activated, output, 1);
                Reference.ActivationBackwardFromInput<double>(layer.Activation, D(kept), upstream, preActivation, layer.Slope);
            }
            else
            {
                Reference.ActivationBackward<double>(layer.Activation, D(output), upstream, preActivation, layer.Slope);
            }

            AssertClose($"{layer.Name} output gradient", preActivation, gradient, 1);

            (double[] dInput, double[]? dWeights, double[]? dBias) = layer.Backward(D(inputs[i]), parameters, D(gradient), batch);
            if (dWeights is not null)
            {
                AssertClose($"{layer.Name} weight gradient", dWeights, gradients[$"{layer.Key}.weight"], layer.WeightTerms(batch));
                if (gradients.TryGetValue($"{layer.Key}.bias", out float[]? biasGradient))
                {
                    AssertClose($"{layer.Name} bias gradient", dBias!, biasGradient, layer.BiasTerms(batch));
                }
            }

            upstream = dInput;
        }
    }

    private static float[] Buffer(NetworkWorkspace workspace, string layer, string kind, int length)
    {
        PropertyInfo property = workspace.GetType().GetProperty(layer + kind, BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"The workspace has no {layer}{kind}.");
        return ((float[])property.GetValue(workspace)!)[..length];
    }

    /// <summary>Each element within what float rounding of a sum of <paramref name="terms"/> products allows, relative to the tensor's scale.</summary>
    private static void AssertClose(string what, double[] expected, float[] actual, long terms)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Select(Math.Abs).DefaultIfEmpty().Max();
        double tolerance = (Math.Max(terms, 1) * Math.Pow(2, -22) * (scale + 1e-6)) + 1e-7;
        int worst = -1;
        double worstError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(expected[i] - actual[i]);
            if (!(error <= tolerance + (1e-5 * Math.Abs(expected[i]))) && (worst < 0 || error > worstError))
            {
                worst = i;
                worstError = error;
            }
        }

        Assert.True(worst < 0, worst < 0 ? "" : $"{what}: element {worst} is {actual[worst]}, expected {expected[worst]} (tolerance {tolerance:G3}, scale {scale:G3}).");
    }

    private static float[] Data(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }

    private static double[] D(float[] values) => values.Select(v => (double)v).ToArray();

    private abstract record Layer(string Name, Activation Activation, float Slope = ActivationFunctions.DefaultLeakyReluSlope)
    {
        /// <summary>The prefix of the layer's parameter names: its own name unless the attribute's <c>Name</c> says otherwise.</summary>
        public string? Prefix { get; init; }

        public abstract int OutputLength { get; }

        public abstract long ForwardTerms { get; }

        public virtual long WeightTerms(int batch) => 0;

        public virtual long BiasTerms(int batch) => 0;

        public abstract double[] Forward(double[] input, Dictionary<string, float[]> parameters, int batch);

        public abstract (double[] Input, double[]? Weights, double[]? Bias) Backward(double[] input, Dictionary<string, float[]> parameters, double[] gradient, int batch);

        public string Key => Prefix ?? Name;

        protected double[] Weights(Dictionary<string, float[]> parameters) => D(parameters[$"{Key}.weight"]);

        /// <summary>The bias, or none (empty) for a layer declared with <c>Bias = false</c>.</summary>
        protected double[] Bias(Dictionary<string, float[]> parameters) => parameters.TryGetValue($"{Key}.bias", out float[]? bias) ? D(bias) : [];
    }

    private sealed record Conv(string Name, Conv2DGeometry G, Activation Activation, bool Flip, float Slope = ActivationFunctions.DefaultLeakyReluSlope) : Layer(Name, Activation, Slope)
    {
        public override int OutputLength => G.OutputLength;

        public override long ForwardTerms => G.InChannelsPerGroup * G.KernelHeight * G.KernelWidth;

        public override long WeightTerms(int batch) => (long)batch * G.OutputHeight * G.OutputWidth;

        public override long BiasTerms(int batch) => WeightTerms(batch);

        public override double[] Forward(double[] input, Dictionary<string, float[]> parameters, int batch)
        {
            var output = new double[batch * G.OutputLength];
            Reference.Conv2D<double>(G, input, Weights(parameters), Bias(parameters), output, batch, Activation, Flip, Slope);
            return output;
        }

        public override (double[] Input, double[]? Weights, double[]? Bias) Backward(double[] input, Dictionary<string, float[]> parameters, double[] gradient, int batch)
        {
            var dInput = new double[input.Length];
            var dWeights = new double[G.WeightLength];
            var dBias = new double[G.OutChannels];
            Reference.Conv2DBackward<double>(G, input, Weights(parameters), gradient, dInput, dWeights, dBias, batch, Flip);
            return (dInput, dWeights, dBias);
        }
    }

    private sealed record Pool(string Name, Pool2DGeometry G, bool Max, bool CountIncludePad) : Layer(Name, Activation.None)
    {
        public override int OutputLength => G.OutputLength;

        public override long ForwardTerms => G.KernelHeight * G.KernelWidth;

        public override double[] Forward(double[] input, Dictionary<string, float[]> parameters, int batch)
        {
            var output = new double[batch * G.OutputLength];
            if (Max)
            {
                Reference.MaxPool2D<double>(G, input, output, batch);
            }
            else
            {
                Reference.AvgPool2D<double>(G, input, output, batch, CountIncludePad);
            }

            return output;
        }

        public override (double[] Input, double[]? Weights, double[]? Bias) Backward(double[] input, Dictionary<string, float[]> parameters, double[] gradient, int batch)
        {
            var dInput = new double[input.Length];
            if (Max)
            {
                Reference.MaxPool2DBackward<double>(G, input, gradient, dInput, batch);
            }
            else
            {
                Reference.AvgPool2DBackward<double>(G, gradient, dInput, batch, CountIncludePad);
            }

            return (dInput, null, null);
        }
    }

    private sealed record GlobalPool(string Name, int Channels, int Height, int Width, bool Max) : Layer(Name, Activation.None)
    {
        public override int OutputLength => Channels;

        public override long ForwardTerms => Height * Width;

        public override double[] Forward(double[] input, Dictionary<string, float[]> parameters, int batch)
        {
            var output = new double[batch * Channels];
            if (Max)
            {
                Reference.GlobalMaxPool2D<double>(Channels, Height, Width, input, output, batch);
            }
            else
            {
                Reference.GlobalAvgPool2D<double>(Channels, Height, Width, input, output, batch);
            }

            return output;
        }

        public override (double[] Input, double[]? Weights, double[]? Bias) Backward(double[] input, Dictionary<string, float[]> parameters, double[] gradient, int batch)
        {
            var dInput = new double[input.Length];
            if (Max)
            {
                Reference.GlobalMaxPool2DBackward<double>(Channels, Height, Width, input, gradient, dInput, batch);
            }
            else
            {
                Reference.GlobalAvgPool2DBackward<double>(Channels, Height, Width, gradient, dInput, batch);
            }
            return (dInput, null, null);
        }
    }

    private sealed record Dense(string Name, DenseGeometry G, Activation Activation, float Slope = ActivationFunctions.DefaultLeakyReluSlope) : Layer(Name, Activation, Slope)
    {
        public override int OutputLength => G.OutFeatures;

        public override long ForwardTerms => G.InFeatures;

        public override long WeightTerms(int batch) => batch;

        public override long BiasTerms(int batch) => batch;

        public override double[] Forward(double[] input, Dictionary<string, float[]> parameters, int batch)
        {
            var output = new double[batch * G.OutFeatures];
            Reference.Dense<double>(G, input, Weights(parameters), Bias(parameters), output, batch, Activation, Slope);
            return output;
        }

        public override (double[] Input, double[]? Weights, double[]? Bias) Backward(double[] input, Dictionary<string, float[]> parameters, double[] gradient, int batch)
        {
            var dInput = new double[input.Length];
            var dWeights = new double[G.WeightLength];
            var dBias = new double[G.OutFeatures];
            Reference.DenseBackward<double>(G, input, Weights(parameters), gradient, dInput, dWeights, dBias, batch);
            return (dInput, dWeights, dBias);
        }
    }
}
