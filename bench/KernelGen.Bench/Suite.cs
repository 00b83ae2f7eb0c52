using KernelGen.Bench.Peers;
using TorchSharp;
using static TorchSharp.torch.nn.functional;

namespace KernelGen.Bench;

/// <summary>
/// One layer of the benchmark suite (shared/bench/suite.md), with every implementation the bench times:
/// the generated kernel, the generic kernel, the reference, an ONNX model of it and a TorchSharp call.
/// Spans hold <see cref="Batch"/> samples.
/// </summary>
public abstract class SuiteLayer(string id, int batch)
{
    /// <summary>The id suite.md gives the shape.</summary>
    public string Id => id;

    public int Batch => batch;

    /// <summary>"conv", "max pool", "avg pool", "global avg pool" or "dense".</summary>
    public abstract string Kind { get; }

    /// <summary>NCHW (or N×features) shapes including the batch.</summary>
    public abstract long[] InputShape { get; }

    public abstract long[] OutputShape { get; }

    public virtual int WeightLength => 0;

    public virtual int BiasLength => 0;

    /// <summary>Products summed into one output element: what the float rounding error grows with.</summary>
    public abstract int Terms { get; }

    /// <summary>How far the generated row may be from the reference: <see cref="Terms"/> × 2⁻²³ (relative and absolute).</summary>
    public virtual double GeneratedTolerance => Terms * Math.Pow(2, -23);

    /// <summary>Floating-point operations of one call (a multiply-add counts 2); 0 for memory-bound layers.</summary>
    public virtual long Flops => 0;

    /// <summary>Pools are memory-bound: they are reported in GB/s of input read plus output written.</summary>
    public bool MemoryBound => Flops == 0;

    /// <summary>Bytes read and written by one call, for memory-bound layers: the input and the output (and whatever else a layer reads).</summary>
    public virtual long Bytes => sizeof(float) * ((long)InputLength + OutputLength);

    /// <summary>The layer's parameters, drawn at random; a layer whose parameters must satisfy a condition draws its own.</summary>
    public virtual float[] Weights() => Suite.Random(2, WeightLength);

    /// <summary>The flat weights as TorchSharp takes them: <c>[out, in]</c> unless a layer says otherwise.</summary>
    public virtual torch.Tensor TorchWeights(torch.Tensor flat) => flat.reshape(OutputShape[1], InputShape[1]);

    /// <summary>Small enough to time the reference too (it sums in double and is slow on large layers).</summary>
    public virtual bool Small => Flops < 5_000_000;

    public int InputLength => (int)InputShape.Aggregate(1L, (a, b) => a * b);

    public int OutputLength => (int)OutputShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>What a layer does once with its weights before it runs (pack them, for the layers that read packed weights).</summary>
    public virtual void Prepare(float[] weights)
    {
    }

    public abstract void Generated(float[] input, float[] weights, float[] bias, float[] output);

    public abstract void Generic(float[] input, float[] weights, float[] bias, float[] output);

    public abstract void Reference(float[] input, float[] weights, float[] bias, float[] output);

    /// <summary>The layer as an ONNX model with input "x" and output "y", its parameters as initializers.</summary>
    public abstract byte[] Onnx(float[] weights, float[] bias);

    public abstract torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias);

    public override string ToString() => Id;

    private protected static OnnxModel Model(SuiteLayer layer) =>
        new OnnxModel().Input("x", layer.InputShape).Output("y", layer.OutputShape);

    /// <summary>The name of the layer node's output: "y" itself, or "c" when an activation node follows.</summary>
    private protected static string LayerOutput(Activation activation) => activation == Activation.None ? "y" : "c";

    private protected static OnnxModel Activate(OnnxModel model, string input, Activation activation) => activation switch
    {
        Activation.None => model,
        Activation.Relu => model.Node("Relu", [input], "y"),
        Activation.Sigmoid => model.Node("Sigmoid", [input], "y"),
        Activation.Tanh => model.Node("Tanh", [input], "y"),
        Activation.HardSwish => model.Node("HardSwish", [input], "y"),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };

    private protected static torch.Tensor Activate(torch.Tensor x, Activation activation) => activation switch
    {
        Activation.None => x,
        Activation.Relu => x.relu_(),
        Activation.Sigmoid => x.sigmoid_(),
        Activation.Tanh => x.tanh_(),
        Activation.HardSwish => hardswish(x, inplace: true),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}

/// <summary>
/// A convolution; with <paramref name="pack"/> and <paramref name="packed"/>, its generated row runs the packed overload
/// (Winograd's, or the packed direct one) over weights packed once in the setup, as ONNX Runtime packs them when a session
/// is made; Winograd within the looser tolerance of a reordered algorithm.
/// </summary>
public sealed class ConvLayer(string id, Conv2DGeometry g, int batch, Activation activation, Action<float[], float[], float[], float[]> generated,
    Func<float[], PackedWeights>? pack = null, Action<float[], PackedWeights, float[], float[]>? packed = null)
    : SuiteLayer(id, batch)
{
    private PackedWeights? _packed;
    private bool? _winograd;

    public Conv2DGeometry Geometry => g;

    /// <summary>Whether the generated row is Winograd's: its packed weights say so.</summary>
    public bool Winograd => _winograd ??= pack?.Invoke(new float[g.WeightLength]).Layout.Contains("Winograd", StringComparison.Ordinal) == true;

    public override double GeneratedTolerance => Winograd ? Terms * Math.Pow(2, -20) : base.GeneratedTolerance;

    public override void Prepare(float[] weights) => _packed = pack?.Invoke(weights);

    public Activation Activation => activation;

    public override string Kind => "conv";

    public override long[] InputShape => [Batch, g.InChannels, g.Height, g.Width];

    public override long[] OutputShape => [Batch, g.OutChannels, g.OutputHeight, g.OutputWidth];

    public override int WeightLength => g.WeightLength;

    public override int BiasLength => g.BiasLength;

    public override int Terms => g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;

    public override long Flops => Batch * g.Flops;

    public override torch.Tensor TorchWeights(torch.Tensor flat) => flat.reshape(g.OutChannels, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth);

    public override void Generated(float[] input, float[] weights, float[] bias, float[] output)
    {
        if (_packed is not null && packed is not null)
        {
            packed(input, _packed, bias, output);
        }
        else
        {
            generated(input, weights, bias, output);
        }
    }

    public override void Generic(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Generic.Conv2D(g, input, weights, bias, output, Batch, activation);

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.Conv2D<float>(g, input, weights, bias, output, Batch, activation);

    public override byte[] Onnx(float[] weights, float[] bias)
    {
        OnnxModel model = Model(this)
            .Initializer("w", [g.OutChannels, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth], weights)
            .Initializer("b", [g.OutChannels], bias)
            .Node("Conv", ["x", "w", "b"], LayerOutput(activation),
                ("kernel_shape", new long[] { g.KernelHeight, g.KernelWidth }),
                ("strides", new long[] { g.StrideHeight, g.StrideWidth }),
                ("pads", new long[] { g.PadTop, g.PadLeft, g.PadBottom, g.PadRight }),
                ("dilations", new long[] { g.DilationHeight, g.DilationWidth }),
                ("group", (long)g.Groups));
        return Activate(model, "c", activation).ToArray();
    }

    public override torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias)
    {
        if (g.PadTop != g.PadBottom || g.PadLeft != g.PadRight)
        {
            throw new NotSupportedException($"{Id}: asymmetric padding is not written for TorchSharp here.");
        }

        return Activate(
            conv2d(input, weights, bias, [g.StrideHeight, g.StrideWidth], [g.PadTop, g.PadLeft], [g.DilationHeight, g.DilationWidth], g.Groups),
            activation);
    }
}

public sealed class PoolLayer(string id, Pool2DGeometry g, bool max, Action<float[], float[]> generated) : SuiteLayer(id, 1)
{
    public override string Kind => max ? "max pool" : "avg pool";

    public override long[] InputShape => [Batch, g.Channels, g.Height, g.Width];

    public override long[] OutputShape => [Batch, g.Channels, g.OutputHeight, g.OutputWidth];

    public override int Terms => g.KernelHeight * g.KernelWidth;

    public override bool Small => true;

    public override void Generated(float[] input, float[] weights, float[] bias, float[] output) => generated(input, output);

    public override void Generic(float[] input, float[] weights, float[] bias, float[] output)
    {
        if (max)
        {
            KernelGen.Generic.MaxPool2D(g, input, output, Batch);
        }
        else
        {
            KernelGen.Generic.AvgPool2D(g, input, output, Batch);
        }
    }

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output)
    {
        if (max)
        {
            KernelGen.Reference.MaxPool2D<float>(g, input, output, Batch);
        }
        else
        {
            KernelGen.Reference.AvgPool2D<float>(g, input, output, Batch);
        }
    }

    public override byte[] Onnx(float[] weights, float[] bias) => Model(this)
        .Node(max ? "MaxPool" : "AveragePool", ["x"], "y",
            [
                ("kernel_shape", new long[] { g.KernelHeight, g.KernelWidth }),
                ("strides", new long[] { g.StrideHeight, g.StrideWidth }),
                ("pads", new long[] { g.PadTop, g.PadLeft, g.PadBottom, g.PadRight }),
                .. max ? Array.Empty<(string, object)>() : [("count_include_pad", 0L)],
                .. g.CeilMode ? [("ceil_mode", 1L)] : Array.Empty<(string, object)>(),
            ])
        .ToArray();

    public override torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias)
    {
        if (g.PadTop != g.PadBottom || g.PadLeft != g.PadRight)
        {
            throw new NotSupportedException($"{Id}: asymmetric padding is not written for TorchSharp here.");
        }

        return max
            ? max_pool2d(input, [g.KernelHeight, g.KernelWidth], [g.StrideHeight, g.StrideWidth], [g.PadTop, g.PadLeft])
            : avg_pool2d(input, [g.KernelHeight, g.KernelWidth], [g.StrideHeight, g.StrideWidth], [g.PadTop, g.PadLeft], count_include_pad: false);
    }
}

public sealed class GlobalPoolLayer(string id, int channels, int height, int width, Action<float[], float[]> generated) : SuiteLayer(id, 1)
{
    public override string Kind => "global avg pool";

    public override long[] InputShape => [Batch, channels, height, width];

    public override long[] OutputShape => [Batch, channels, 1, 1];

    public override int Terms => height * width;

    public override bool Small => true;

    public override void Generated(float[] input, float[] weights, float[] bias, float[] output) => generated(input, output);

    public override void Generic(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Generic.GlobalAvgPool2D(channels, height, width, input, output, Batch);

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.GlobalAvgPool2D<float>(channels, height, width, input, output, Batch);

    public override byte[] Onnx(float[] weights, float[] bias) => Model(this).Node("GlobalAveragePool", ["x"], "y").ToArray();

    public override torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias) => adaptive_avg_pool2d(input, [1, 1]);
}

/// <summary>
/// A dense layer. With <paramref name="pack"/>, <see cref="Generated"/> is the packed overload over weights packed once in
/// <see cref="Prepare"/> — as ONNX Runtime packs a Gemm's constant weights once, when its session is made.
/// </summary>
public sealed class DenseLayer(string id, DenseGeometry g, int batch, Activation activation, Action<float[], float[], float[], float[]> generated,
    Func<float[], PackedWeights>? pack = null, Action<float[], PackedWeights, float[], float[]>? packed = null)
    : SuiteLayer(id, batch)
{
    private PackedWeights? _packed;

    public override string Kind => "dense";

    public override long[] InputShape => [Batch, g.InFeatures];

    public override long[] OutputShape => [Batch, g.OutFeatures];

    public override int WeightLength => g.WeightLength;

    public override int BiasLength => g.BiasLength;

    public override int Terms => g.InFeatures;

    public override long Flops => Batch * g.Flops;

    public override void Prepare(float[] weights) => _packed = pack?.Invoke(weights);

    public override void Generated(float[] input, float[] weights, float[] bias, float[] output)
    {
        if (_packed is not null && packed is not null)
        {
            packed(input, _packed, bias, output);
        }
        else
        {
            generated(input, weights, bias, output);
        }
    }

    public override void Generic(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Generic.Dense(g, input, weights, bias, output, Batch, activation);

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.Dense<float>(g, input, weights, bias, output, Batch, activation);

    public override byte[] Onnx(float[] weights, float[] bias)
    {
        OnnxModel model = Model(this)
            .Initializer("w", [g.OutFeatures, g.InFeatures], weights)
            .Initializer("b", [g.OutFeatures], bias)
            .Node("Gemm", ["x", "w", "b"], LayerOutput(activation), ("transB", 1L));
        return Activate(model, "c", activation).ToArray();
    }

    public override torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias) =>
        Activate(linear(input, weights, bias), activation);
}

/// <summary>
/// Batch normalisation in inference form over <c>channels × height × width</c>, its parameters the weights:
/// scale, shift, mean and variance (positive) one after another, <c>channels</c> each.
/// </summary>
public sealed class BatchNormLayer(string id, int channels, int height, int width, Action<float[], float[], float[]> generated) : SuiteLayer(id, 1)
{
    public override string Kind => "batch norm";

    public override long[] InputShape => [Batch, channels, height, width];

    public override long[] OutputShape => InputShape;

    public override int WeightLength => 4 * channels;

    public override int Terms => 4;

    public override bool Small => true;

    public override float[] Weights()
    {
        float[] weights = base.Weights();
        for (int c = 3 * channels; c < 4 * channels; c++)
        {
            weights[c] = 0.5f + Math.Abs(weights[c]);
        }

        return weights;
    }

    private ReadOnlySpan<float> Part(float[] weights, int part) => weights.AsSpan(part * channels, channels);

    public override torch.Tensor TorchWeights(torch.Tensor flat) => flat.reshape(4, channels);

    public override void Generated(float[] input, float[] weights, float[] bias, float[] output) => generated(input, weights, output);

    public override void Generic(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Generic.BatchNorm2D(channels, height, width, input, Part(weights, 0), Part(weights, 1), Part(weights, 2), Part(weights, 3), output, Batch);

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.BatchNorm2D<float>(channels, height, width, input, Part(weights, 0), Part(weights, 1), Part(weights, 2), Part(weights, 3), output, Batch);

    public override byte[] Onnx(float[] weights, float[] bias) => Model(this)
        .Initializer("scale", [channels], Part(weights, 0))
        .Initializer("shift", [channels], Part(weights, 1))
        .Initializer("mean", [channels], Part(weights, 2))
        .Initializer("variance", [channels], Part(weights, 3))
        .Node("BatchNormalization", ["x", "scale", "shift", "mean", "variance"], "y")
        .ToArray();

    public override torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias) =>
        batch_norm(input, weights[2], weights[3], weights[0], weights[1], training: false, momentum: 0.1, eps: 1e-5);
}

/// <summary>A residual connection's <c>relu(x + y)</c> over one tensor shape; the weights are <c>y</c>.</summary>
public sealed class AddLayer(string id, int channels, int height, int width, Action<float[], float[], float[]> generated) : SuiteLayer(id, 1)
{
    public override string Kind => "add + relu";

    public override long[] InputShape => [Batch, channels, height, width];

    public override long[] OutputShape => InputShape;

    public override int WeightLength => InputLength;

    public override int Terms => 2;

    public override bool Small => true;

    /// <summary>Both tensors read, one written.</summary>
    public override long Bytes => sizeof(float) * 3L * InputLength;

    public override torch.Tensor TorchWeights(torch.Tensor flat) => flat.reshape(InputShape);

    public override void Generated(float[] input, float[] weights, float[] bias, float[] output) => generated(input, weights, output);

    public override void Generic(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Generic.Add(input, weights, output, Activation.Relu);

    public override void Reference(float[] input, float[] weights, float[] bias, float[] output) =>
        KernelGen.Reference.Add<float>(input, weights, output, Activation.Relu);

    public override byte[] Onnx(float[] weights, float[] bias) => Model(this)
        .Initializer("residual", InputShape, weights)
        .Node("Add", ["x", "residual"], "c")
        .Node("Relu", ["c"], "y")
        .ToArray();

    public override torch.Tensor Torch(torch.Tensor input, torch.Tensor weights, torch.Tensor bias) => (input + weights).relu_();
}

/// <summary>
/// The suite's shapes, by the ids suite.md gives them, and besides: two dense layers of the MNIST model, a HardSwish-fused
/// depthwise convolution of MobileNetV3 and the two layers of a ResNet block that are not convolutions.
/// </summary>
public static class Suite
{
    private static Conv2DGeometry Conv(int c, int hw, int oc, int k, int stride = 1, int pad = 0, int groups = 1) =>
        new(c, hw, hw, oc, k, k, stride, stride, pad, pad, pad, pad, groups: groups);

    public static readonly SuiteLayer[] Convolutions =
    [
        new ConvLayer("seed_3x3", Conv(1, 3, 1, 3, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Seed3x3(i, w, b, o)),
        new ConvLayer("mnist_conv1", Conv(1, 28, 32, 3), 1, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistConv1(i, w, b, o, 1)),
        new ConvLayer("lenet5_conv2", Conv(6, 14, 16, 5), 1, Activation.None, (i, w, b, o) => SuiteKernels.Lenet5Conv2(i, w, b, o)),
        new ConvLayer("mnist_conv2", Conv(32, 13, 64, 3), 1, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistConv2(i, w, b, o),
            w => SuiteKernels.MnistConv2PackWeights(w), (i, w, b, o) => SuiteKernels.MnistConv2(i, w, b, o)),
        new ConvLayer("resnet_stem", Conv(3, 224, 64, 7, stride: 2, pad: 3), 1, Activation.None, (i, w, b, o) => SuiteKernels.ResnetStem(i, w, b, o),
            w => SuiteKernels.ResnetStemPackWeights(w), (i, w, b, o) => SuiteKernels.ResnetStem(i, w, b, o)),
        new ConvLayer("resnet_3x3_64", Conv(64, 56, 64, 3, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Resnet3x3x64(i, w, b, o),
            w => SuiteKernels.Resnet3x3x64PackWeights(w), (i, w, b, o) => SuiteKernels.Resnet3x3x64(i, w, b, o)),
        new ConvLayer("resnet_3x3_s2", Conv(64, 56, 128, 3, stride: 2, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Resnet3x3Stride2(i, w, b, o),
            w => SuiteKernels.Resnet3x3Stride2PackWeights(w), (i, w, b, o) => SuiteKernels.Resnet3x3Stride2(i, w, b, o)),
        new ConvLayer("resnet_3x3_256", Conv(256, 14, 256, 3, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Resnet3x3x256(i, w, b, o),
            w => SuiteKernels.Resnet3x3x256PackWeights(w), (i, w, b, o) => SuiteKernels.Resnet3x3x256(i, w, b, o)),
        new ConvLayer("pointwise_256", Conv(256, 14, 256, 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Pointwise256(i, w, b, o),
            w => SuiteKernels.Pointwise256PackWeights(w), (i, w, b, o) => SuiteKernels.Pointwise256(i, w, b, o)),
        new ConvLayer("depthwise_32", Conv(32, 112, 32, 3, pad: 1, groups: 32), 1, Activation.None, (i, w, b, o) => SuiteKernels.Depthwise32(i, w, b, o)),
        new ConvLayer("mnist_conv1_b64", Conv(1, 28, 32, 3), 64, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistConv1(i, w, b, o, 64)),

        // Not in suite.md: MobileNetV3's expanded depthwise layer, 96×56×56, 3×3, with its HardSwish fused.
        new ConvLayer("depthwise_hswish_96", Conv(96, 56, 96, 3, pad: 1, groups: 96), 1, Activation.HardSwish, (i, w, b, o) => SuiteKernels.DepthwiseHardSwish96(i, w, b, o)),
    ];

    public static readonly SuiteLayer[] Pools =
    [
        new PoolLayer("maxpool_2", new Pool2DGeometry(32, 26, 26, 2, 2), max: true, (i, o) => SuiteKernels.MaxPool2(i, o)),
        new PoolLayer("maxpool_3s2", new Pool2DGeometry(64, 112, 112, 3, 3, 2, 2, 1, 1), max: true, (i, o) => SuiteKernels.MaxPool3s2(i, o)),
        new PoolLayer("avgpool_2", new Pool2DGeometry(64, 56, 56, 2, 2), max: false, (i, o) => SuiteKernels.AvgPool2(i, o)),
        new GlobalPoolLayer("gap_512", 512, 7, 7, (i, o) => SuiteKernels.Gap512(i, o)),
    ];

    /// <summary>Not in suite.md: the first dense layer of the MNIST model (13×13×32 → 128, ReLU), alone and batched.</summary>
    public static readonly SuiteLayer[] Dense =
    [
        new DenseLayer("mnist_fc1", new DenseGeometry(5408, 128), 1, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistFc1(i, w, b, o, 1),
            w => SuiteKernels.MnistFc1PackWeights(w), (i, w, b, o) => SuiteKernels.MnistFc1(i, w, b, o, 1)),
        new DenseLayer("mnist_fc1_b64", new DenseGeometry(5408, 128), 64, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistFc1(i, w, b, o, 64),
            w => SuiteKernels.MnistFc1PackWeights(w), (i, w, b, o) => SuiteKernels.MnistFc1(i, w, b, o, 64)),
    ];

    /// <summary>The layers of ResNet blocks that are not convolutions: BatchNorm2D and a residual Add + ReLU, at 64×56×56.</summary>
    public static readonly SuiteLayer[] Elementwise =
    [
        new BatchNormLayer("batchnorm_64", 64, 56, 56, (i, w, o) => SuiteKernels.BatchNorm64(i, w.AsSpan(0, 64), w.AsSpan(64, 64), w.AsSpan(128, 64), w.AsSpan(192, 64), o)),
        new AddLayer("add_relu_64", 64, 56, 56, (i, w, o) => SuiteKernels.AddRelu64(i, w, o)),
    ];

    public static IEnumerable<SuiteLayer> All => [.. Convolutions, .. Pools, .. Dense, .. Elementwise];

    public static SuiteLayer Find(string id) => All.Single(layer => layer.Id == id);

    /// <summary>
    /// The ids to run: all, or those listed in KERNELGEN_BENCH_SHAPES (comma-separated), which CI's smoke run
    /// uses to time a single shape.
    /// </summary>
    public static IEnumerable<string> Selected(IEnumerable<SuiteLayer> layers) => Selected(layers.Select(layer => layer.Id));

    /// <summary><see cref="Selected(IEnumerable{SuiteLayer})"/> over ids: the network cases use it too.</summary>
    public static IEnumerable<string> Selected(IEnumerable<string> ids)
    {
        string? only = Environment.GetEnvironmentVariable("KERNELGEN_BENCH_SHAPES");
        return ids.Where(id => only is null || only.Split(',').Contains(id));
    }

    public static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
