using System.Reflection;
using KernelGen.Tests;

namespace KernelGen.Generated.Tests;

/// <summary>
/// The suite's 3×3, stride-1 shapes through their Winograd overload (chosen by Auto, or asked for: mnist_conv2's 11×11
/// planes, with a partial tile in each direction, take the packed direct form under Auto): through the dispatch and on
/// every path directly, every output within the stated bound of the exact sum (<see cref="WinogradBound"/>).
/// </summary>
public class WinogradTests
{
    public delegate void PackedConv(ReadOnlySpan<float> input, PackedWeights weights, ReadOnlySpan<float> bias, Span<float> output);

    public delegate void ThreadedConv(ReadOnlySpan<float> input, PackedWeights weights, ReadOnlySpan<float> bias, Span<float> output, Parallelism parallelism);

    private static Conv2DGeometry Conv(int c, int hw, int oc, int pad) => new(c, hw, hw, oc, 3, 3, 1, 1, pad, pad, pad, pad);

    [Fact]
    public void Resnet_3x3_64_is_within_the_bound_on_every_path() =>
        Check(Conv(64, 56, 64, 1), SuiteKernels.Resnet3x3x64PackWeights, SuiteKernels.Resnet3x3x64, SuiteKernels.Resnet3x3x64, "SuiteKernelsResnet3x3x64Kernel", Activation.None);

    [Fact]
    public void Resnet_3x3_256_is_within_the_bound_on_every_path() =>
        Check(Conv(256, 14, 256, 1), SuiteKernels.Resnet3x3x256PackWeights, SuiteKernels.Resnet3x3x256, SuiteKernels.Resnet3x3x256, "SuiteKernelsResnet3x3x256Kernel", Activation.None);

    [Fact]
    public void Mnist_conv2_relu_is_within_the_bound_on_every_path() =>
        Check(Conv(32, 13, 64, 0), WinogradKernels.MnistConv2PackWeights, WinogradKernels.MnistConv2, WinogradKernels.MnistConv2, "WinogradKernelsMnistConv2Kernel", Activation.Relu);

    [Fact]
    public void Winograd_2x2_on_a_7x7_plane_is_within_the_bound_on_every_path() =>
        Check(Conv(64, 7, 64, 1), Winograd2x2Kernels.Plane7PackWeights, Winograd2x2Kernels.Plane7, Winograd2x2Kernels.Plane7, "Winograd2x2KernelsPlane7Kernel", Activation.Relu, tile: 2);

    [Fact]
    public void Winograd_2x2_with_partial_tiles_and_many_blocks_is_within_the_bound_on_every_path() =>
        Check(Conv(24, 13, 44, 0), Winograd2x2Kernels.Odd11PackWeights, Winograd2x2Kernels.Odd11, Winograd2x2Kernels.Odd11, "Winograd2x2KernelsOdd11Kernel", Activation.None, tile: 2);

    [Fact]
    public void Winograd_2x2_whose_chunks_run_their_register_tiles_point_by_point_is_within_the_bound_on_every_path() =>
        Check(Conv(320, 7, 76, 1), Winograd2x2Kernels.Wide7PackWeights, Winograd2x2Kernels.Wide7, Winograd2x2Kernels.Wide7, "Winograd2x2KernelsWide7Kernel", Activation.None, tile: 2);

    [Fact]
    public void Winograd_2x2_weights_are_kept_in_chunks_of_a_register_tile()
    {
        // 44 output channels in chunks of 12 (the widest path's register tile, 12 channels × 2 vectors on Vector512), the last
        // chunk padded with zeros: 16 points × 24 input channels × 48, and the slack.
        var g = Conv(24, 13, 44, 0);
        PackedWeights packed = Winograd2x2Kernels.Odd11PackWeights(KernelGen.Generated.Tests.Check.Random(3, g.WeightLength));
        Assert.Contains("F(2×2, 3×3)", packed.Layout, StringComparison.Ordinal);
        Assert.Contains("[4 chunks, 16 points, 24 input, 12 output channels]", packed.Layout, StringComparison.Ordinal);
        Assert.Equal((16 * 24 * 48) + 24, packed.Length);
        float[] values = packed.Values.ToArray();

        // Chunk 3 holds channels 36–43 and then zeros, for every point and input channel.
        for (int point = 0; point < 16; point++)
        {
            for (int c = 0; c < 24; c++)
            {
                int at = (((3 * 16) + point) * 24 * 12) + (c * 12);
                Assert.NotEqual(0f, values[at + 7]);
                Assert.All(values[(at + 8)..(at + 12)], v => Assert.Equal(0f, v));
            }
        }
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_written()
    {
        var g = Conv(32, 13, 64, 0);
        float[] input = new float[g.InputLength], bias = new float[64], output = new float[g.OutputLength];
        Array.Fill(output, 7f);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => WinogradKernels.MnistConv2PackWeights(new float[g.WeightLength - 1])).ParamName);
        PackedWeights packed = WinogradKernels.MnistConv2PackWeights(new float[g.WeightLength]);
        Assert.Contains("Winograd", packed.Layout, StringComparison.Ordinal);
        Assert.Equal((36 * 32 * 64) + 24, packed.Length);

        // Weights packed for another layer (here another 3×3 of other channels) are refused by name, as is a short input.
        PackedWeights other = SuiteKernels.Resnet3x3x64PackWeights(new float[64 * 64 * 9]);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => WinogradKernels.MnistConv2(input, other, bias, output)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => WinogradKernels.MnistConv2(input.AsSpan(1), packed, bias, output)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => WinogradKernels.MnistConv2(input, packed, bias, output.AsSpan(1))).ParamName);
        Assert.All(output, v => Assert.Equal(7f, v));
    }

    [Fact]
    public void Packing_is_a_copy_that_later_changes_to_the_weights_do_not_reach()
    {
        var g = Conv(32, 13, 64, 0);
        float[] input = KernelGen.Generated.Tests.Check.Random(1, g.InputLength), weights = KernelGen.Generated.Tests.Check.Random(2, g.WeightLength), bias = new float[64];
        float[] before = new float[g.OutputLength], after = new float[g.OutputLength];
        PackedWeights packed = WinogradKernels.MnistConv2PackWeights(weights);
        WinogradKernels.MnistConv2(input, packed, bias, before);
        Array.Clear(weights);
        WinogradKernels.MnistConv2(input, packed, bias, after);
        Assert.Equal(before, after);
        Assert.Contains(before, v => v != 0);
    }

    private static void Check(Conv2DGeometry g, KernelGen.Generated.Tests.Check.Packer pack, PackedConv kernel, ThreadedConv threaded, string kernelClass, Activation activation, int tile = 4)
    {
        float[] input = KernelGen.Generated.Tests.Check.Random(11, g.InputLength);
        float[] weights = KernelGen.Generated.Tests.Check.Random(12, g.WeightLength);
        float[] bias = KernelGen.Generated.Tests.Check.Random(13, g.OutChannels);
        var expected = new float[g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, bias, expected, 1, activation);
        double[] magnitudes = WinogradBound.Magnitudes(g, input, weights, bias, flip: false, batch: 1, tile);

        var actual = new float[g.OutputLength];
        Array.Fill(actual, float.NaN);
        PackedWeights packed = pack(weights);
        kernel(input, packed, bias, actual);
        double worst = WinogradBound.Worst("dispatch", expected, actual, magnitudes, g.InChannels, 1);

        float[] values = packed.Values.ToArray();
        string[] paths = KernelPaths.WithSuffix(Assembly.GetExecutingAssembly(), kernelClass, "Winograd");
        Assert.Equal(["Vector512Winograd", "Vector256Winograd", "Vector128Winograd", "ScalarWinograd"], paths);
        foreach (string path in paths)
        {
            Array.Fill(actual, float.NaN);
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: true, input, values, bias, actual, 1);
            worst = Math.Max(worst, WinogradBound.Worst(path, expected, actual, magnitudes, g.InChannels, 1));
        }

        // On 2, 3 and 4 threads: the same bits as on one.
        kernel(input, packed, bias, actual);
        foreach (int threads in new[] { 2, 3, 4 })
        {
            var split = new float[actual.Length];
            Array.Fill(split, float.NaN);
            threaded(input, packed, bias, split, new Parallelism(threads));
            Assert.Equal(actual, split);
        }

        // The bound is not vacuous: the error is a visible fraction of it (a kernel that rounded nothing would still pass; one far off would not).
        Assert.InRange(worst, 0, 1);
    }
}

/// <summary>
/// Winograd F(2×2, 3×3) asked for: a 7×7 plane (16 tiles, one vector on Vector512), an 11×11 one (36 tiles, partial tiles
/// each way, several blocks on every path), and a 7×7 plane of 320 input channels whose register tiles read 320 KB of
/// transformed weights (chunks of 16 output channels: the narrower paths run a chunk's register tiles point by point, and
/// on Vector128 the last one holds 4 channels that exist).
/// </summary>
internal static partial class Winograd2x2Kernels
{
    [Conv2D(InChannels = 64, Height = 7, Width = 7, OutChannels = 64, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Winograd2x2)]
    public static partial void Plane7(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 24, Height = 13, Width = 13, OutChannels = 44, Kernel = 3, Algorithm = ConvAlgorithm.Winograd2x2)]
    public static partial void Odd11(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    [Conv2D(InChannels = 320, Height = 7, Width = 7, OutChannels = 76, Kernel = 3, Padding = 1, Algorithm = ConvAlgorithm.Winograd2x2)]
    public static partial void Wide7(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);
}

/// <summary>mnist_conv2 with Winograd asked for: Auto gives its 11×11 planes the packed direct form.</summary>
internal static partial class WinogradKernels
{
    [Conv2D(InChannels = 32, Height = 13, Width = 13, OutChannels = 64, Kernel = 3, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Winograd)]
    public static partial void MnistConv2(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);
}
