namespace KernelGen.Generated.Tests;

/// <summary>Every benchmark-suite shape: the generated kernel equals the reference within a tolerance derived from its reduction length.</summary>
public class SuiteEquivalenceTests
{
    private static void AssertMatches(TensorComparison comparison) => Assert.True(comparison.Matches, comparison.Message);

    private static Conv2DGeometry Conv(int c, int hw, int oc, int k, int stride = 1, int pad = 0, int groups = 1) =>
        new(c, hw, hw, oc, k, k, stride, stride, pad, pad, pad, pad, groups: groups);

    [Fact] public void Seed_3x3() => AssertMatches(Check.Conv(Conv(1, 3, 1, 3, pad: 1), SuiteKernels.Seed3x3, "SuiteKernelsSeed3x3Kernel"));

    [Fact] public void Mnist_conv1_relu() => AssertMatches(Check.Conv(Conv(1, 28, 32, 3), SuiteKernels.MnistConv1, "SuiteKernelsMnistConv1Kernel", activation: Activation.Relu));

    [Fact] public void Mnist_conv1_relu_batch_64() => AssertMatches(Check.Conv(Conv(1, 28, 32, 3), SuiteKernels.MnistConv1, "SuiteKernelsMnistConv1Kernel", batch: 64, activation: Activation.Relu));

    [Fact] public void Lenet5_conv2() => AssertMatches(Check.Conv(Conv(6, 14, 16, 5), SuiteKernels.Lenet5Conv2, "SuiteKernelsLenet5Conv2Kernel"));

    [Fact] public void Mnist_conv2_relu() => AssertMatches(Check.Conv(Conv(32, 13, 64, 3), SuiteKernels.MnistConv2, "SuiteKernelsMnistConv2Kernel", Activation.Relu));

    [Fact] public void Resnet_stem() => AssertMatches(Check.Conv(Conv(3, 224, 64, 7, stride: 2, pad: 3), SuiteKernels.ResnetStem, "SuiteKernelsResnetStemKernel"));

    [Fact] public void Resnet_3x3_64() => AssertMatches(Check.Conv(Conv(64, 56, 64, 3, pad: 1), SuiteKernels.Resnet3x3x64, "SuiteKernelsResnet3x3x64Kernel"));

    [Fact] public void Resnet_3x3_stride_2() => AssertMatches(Check.Conv(Conv(64, 56, 128, 3, stride: 2, pad: 1), SuiteKernels.Resnet3x3Stride2, "SuiteKernelsResnet3x3Stride2Kernel"));

    [Fact] public void Resnet_3x3_256() => AssertMatches(Check.Conv(Conv(256, 14, 256, 3, pad: 1), SuiteKernels.Resnet3x3x256, "SuiteKernelsResnet3x3x256Kernel"));

    [Fact] public void Pointwise_256() => AssertMatches(Check.Conv(Conv(256, 14, 256, 1), SuiteKernels.Pointwise256, "SuiteKernelsPointwise256Kernel"));

    [Fact] public void Depthwise_32() => AssertMatches(Check.Conv(Conv(32, 112, 32, 3, pad: 1, groups: 32), SuiteKernels.Depthwise32, "SuiteKernelsDepthwise32Kernel"));

    [Fact] public void Max_pool_2() => AssertMatches(Check.Pool(new Pool2DGeometry(32, 26, 26, 2, 2), SuiteKernels.MaxPool2, "SuiteKernelsMaxPool2Kernel", max: true));

    [Fact] public void Max_pool_3_stride_2() => AssertMatches(Check.Pool(new Pool2DGeometry(64, 112, 112, 3, 3, 2, 2, 1, 1), SuiteKernels.MaxPool3s2, "SuiteKernelsMaxPool3s2Kernel", max: true));

    [Fact] public void Avg_pool_2() => AssertMatches(Check.Pool(new Pool2DGeometry(64, 56, 56, 2, 2), SuiteKernels.AvgPool2, "SuiteKernelsAvgPool2Kernel", max: false));

    [Fact]
    public void Global_avg_pool_512()
    {
        float[] input = Check.Random(4, 512 * 49);
        var expected = new float[512];
        var actual = new float[512];
        Reference.GlobalAvgPool2D<float>(512, 7, 7, input, expected);
        SuiteKernels.Gap512(input, actual);
        AssertMatches(TensorComparison.Of(expected, actual, [512], Check.Tolerance(49), Check.Tolerance(49)));
    }

    [Fact]
    public void Mnist_fc1_relu_batch_3()
    {
        var g = new DenseGeometry(5408, 128);
        float[] input = Check.Random(5, 3 * 5408), weights = Check.Random(6, g.WeightLength), bias = Check.Random(7, 128);
        var expected = new float[3 * 128];
        var actual = new float[3 * 128];
        Reference.Dense<float>(g, input, weights, bias, expected, 3, Activation.Relu);
        SuiteKernels.MnistFc1(input, weights, bias, actual, 3);
        AssertMatches(TensorComparison.Of(expected, actual, [3, 128], Check.Tolerance(5408), Check.Tolerance(5408)));
    }
}
