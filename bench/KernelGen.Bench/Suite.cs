namespace KernelGen.Bench;

/// <summary>A convolution of the benchmark suite (shared/bench/suite.md): its id, shape and generated kernel.</summary>
public sealed record ConvShape(string Id, Conv2DGeometry Geometry, int Batch, Activation Activation, Action<float[], float[], float[], float[]> Generated);

/// <summary>The suite's shapes, by the ids suite.md gives them.</summary>
public static class Suite
{
    private static Conv2DGeometry Conv(int c, int hw, int oc, int k, int stride = 1, int pad = 0, int groups = 1) =>
        new(c, hw, hw, oc, k, k, stride, stride, pad, pad, pad, pad, groups: groups);

    public static readonly ConvShape[] Convolutions =
    [
        new("seed_3x3", Conv(1, 3, 1, 3, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Seed3x3(i, w, b, o)),
        new("mnist_conv1", Conv(1, 28, 32, 3), 1, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistConv1(i, w, b, o, 1)),
        new("lenet5_conv2", Conv(6, 14, 16, 5), 1, Activation.None, (i, w, b, o) => SuiteKernels.Lenet5Conv2(i, w, b, o)),
        new("mnist_conv2", Conv(32, 13, 64, 3), 1, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistConv2(i, w, b, o)),
        new("resnet_stem", Conv(3, 224, 64, 7, stride: 2, pad: 3), 1, Activation.None, (i, w, b, o) => SuiteKernels.ResnetStem(i, w, b, o)),
        new("resnet_3x3_64", Conv(64, 56, 64, 3, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Resnet3x3x64(i, w, b, o)),
        new("resnet_3x3_s2", Conv(64, 56, 128, 3, stride: 2, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Resnet3x3Stride2(i, w, b, o)),
        new("resnet_3x3_256", Conv(256, 14, 256, 3, pad: 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Resnet3x3x256(i, w, b, o)),
        new("pointwise_256", Conv(256, 14, 256, 1), 1, Activation.None, (i, w, b, o) => SuiteKernels.Pointwise256(i, w, b, o)),
        new("depthwise_32", Conv(32, 112, 32, 3, pad: 1, groups: 32), 1, Activation.None, (i, w, b, o) => SuiteKernels.Depthwise32(i, w, b, o)),
        new("mnist_conv1_b64", Conv(1, 28, 32, 3), 64, Activation.Relu, (i, w, b, o) => SuiteKernels.MnistConv1(i, w, b, o, 64)),
    ];

    /// <summary>
    /// The ids to run: all, or those listed in KERNELGEN_BENCH_SHAPES (comma-separated), which CI's smoke run
    /// uses to time a single shape.
    /// </summary>
    public static IEnumerable<string> Selected(IEnumerable<string> ids)
    {
        string? only = Environment.GetEnvironmentVariable("KERNELGEN_BENCH_SHAPES");
        return only is null ? ids : ids.Where(id => only.Split(',').Contains(id));
    }

    public static float[] Random(int seed, int count)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
