using System.Reflection;
using KernelGen.Tests;

namespace KernelGen.Generated.Tests;

/// <summary>
/// The suite's shapes whose packed overload Auto makes the packed direct form (strided, 1×1, narrow rows): through the
/// dispatch and on every path directly, against the reference to the tolerance of any reordered sum, and bit-identical
/// on 2–4 threads. Besides, a layer whose channels end in a partial tile and block of the store, with an activation
/// applied to the stored results.
/// </summary>
public class PackedDirectTests
{
    [Fact]
    public void Mnist_conv2_relu_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(32, 13, 13, 64, 3, 3, 1, 1, 0, 0, 0, 0), SuiteKernels.MnistConv2PackWeights, SuiteKernels.MnistConv2, SuiteKernels.MnistConv2, "SuiteKernelsMnistConv2Kernel", Activation.Relu);

    [Fact]
    public void Resnet_stem_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(3, 224, 224, 64, 7, 7, 2, 2, 3, 3, 3, 3), SuiteKernels.ResnetStemPackWeights, SuiteKernels.ResnetStem, SuiteKernels.ResnetStem, "SuiteKernelsResnetStemKernel");

    [Fact]
    public void Channels_past_the_last_tile_and_a_sigmoid_match_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(8, 10, 10, 40, 3, 3, 2, 2, 1, 1, 1, 1), PackedDirectKernels.Strided40PackWeights, PackedDirectKernels.Strided40, PackedDirectKernels.Strided40, "PackedDirectKernelsStrided40Kernel", Activation.Sigmoid);

    [Fact]
    public void Resnet_3x3_stride_2_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(64, 56, 56, 128, 3, 3, 2, 2, 1, 1, 1, 1), SuiteKernels.Resnet3x3Stride2PackWeights, SuiteKernels.Resnet3x3Stride2, SuiteKernels.Resnet3x3Stride2, "SuiteKernelsResnet3x3Stride2Kernel");

    [Fact]
    public void Pointwise_256_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(256, 14, 14, 256, 1, 1, 1, 1, 0, 0, 0, 0), SuiteKernels.Pointwise256PackWeights, SuiteKernels.Pointwise256, SuiteKernels.Pointwise256, "SuiteKernelsPointwise256Kernel");

    [Fact]
    public void A_strided_1x1_layer_in_a_part_panel_and_part_tile_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(64, 20, 20, 40, 1, 1, 2, 2, 0, 0, 0, 0), PackedDirectKernels.Pointwise40Stride2PackWeights, PackedDirectKernels.Pointwise40Stride2, PackedDirectKernels.Pointwise40Stride2, "PackedDirectKernelsPointwise40Stride2Kernel", Activation.Relu);

    [Fact]
    public void A_1x1_layer_of_fewer_pixels_than_a_panel_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(64, 3, 3, 32, 1, 1, 1, 1, 0, 0, 0, 0), PackedDirectKernels.Pointwise3x3PixelsPackWeights, PackedDirectKernels.Pointwise3x3Pixels, PackedDirectKernels.Pointwise3x3Pixels, "PackedDirectKernelsPointwise3x3PixelsKernel");

    [Fact]
    public void A_layer_summed_in_passes_whose_rows_end_in_a_moved_back_tile_matches_the_reference_on_every_path() =>
        Check(new Conv2DGeometry(40, 9, 25, 24, 3, 3, 2, 2, 1, 1, 1, 1), PackedDirectKernels.PassesMovedBackPackWeights, PackedDirectKernels.PassesMovedBack, PackedDirectKernels.PassesMovedBack, "PackedDirectKernelsPassesMovedBackKernel", Activation.Relu);

    [Fact]
    public void A_1x1_layer_without_bias_matches_the_reference_on_every_path_and_thread_count() =>
        CheckWithoutBias(new Conv2DGeometry(64, 10, 10, 38, 1, 1, 1, 1, 0, 0, 0, 0), PackedDirectKernels.PointwiseWithoutBiasPackWeights, PackedDirectKernels.PointwiseWithoutBias, PackedDirectKernels.PointwiseWithoutBias, "PackedDirectKernelsPointwiseWithoutBiasKernel");

    [Fact]
    public void A_layer_summed_in_passes_block_by_block_without_padding_or_bias_matches_the_reference_on_every_path_and_thread_count() =>
        CheckWithoutBias(new Conv2DGeometry(256, 14, 14, 512, 1, 1, 2, 2, 0, 0, 0, 0), PackedDirectKernels.PassesBlockByBlockPackWeights, PackedDirectKernels.PassesBlockByBlock, PackedDirectKernels.PassesBlockByBlock, "PackedDirectKernelsPassesBlockByBlockKernel");

    private static void CheckWithoutBias(Conv2DGeometry g, Func<ReadOnlySpan<float>, PackedWeights> pack, Action<ReadOnlySpan<float>, PackedWeights, Span<float>> run, Action<ReadOnlySpan<float>, PackedWeights, Span<float>, Parallelism> split, string kernelClass)
    {
        float[] input = KernelGen.Generated.Tests.Check.Random(41, g.InputLength);
        float[] weights = KernelGen.Generated.Tests.Check.Random(42, g.WeightLength);
        var expected = new float[g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, new float[g.OutChannels], expected, 1, Activation.None);
        double tolerance = KernelGen.Generated.Tests.Check.Tolerance(g.InChannels);

        PackedWeights packed = pack(weights);
        var actual = new float[g.OutputLength];
        Array.Fill(actual, float.NaN);
        run(input, packed, actual);
        AssertClose("dispatch", expected, actual, tolerance);
        float[] values = packed.Values.ToArray();
        var each = new float[g.OutputLength];
        foreach (string path in KernelPaths.WithSuffix(Assembly.GetExecutingAssembly(), kernelClass, "PackedDirect"))
        {
            Array.Fill(each, float.NaN);
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: false, input, values, [], each, 1);
            AssertClose(path, expected, each, tolerance);
        }

        foreach (int threads in new[] { 2, 3 })
        {
            var parts = new float[g.OutputLength];
            Array.Fill(parts, float.NaN);
            split(input, packed, parts, new Parallelism(threads));
            Assert.Equal(actual, parts);
        }
    }

    [Theory]
    [InlineData("PackedDirectKernelsStrided40Kernel", 8, 10, 10, 40, 3, 2, 1)]
    [InlineData("SuiteKernelsPointwise256Kernel", 256, 14, 14, 256, 1, 1, 0)]
    [InlineData("PackedDirectKernelsPointwise40Stride2Kernel", 64, 20, 20, 40, 1, 2, 0)]
    [InlineData("SuiteKernelsResnet3x3Stride2Kernel", 64, 56, 56, 128, 3, 2, 1)]
    [InlineData("SuiteKernelsResnetStemKernel", 3, 224, 224, 64, 7, 2, 3)]
    [InlineData("PackedDirectKernelsPassesMovedBackKernel", 40, 9, 25, 24, 3, 2, 1)]
    public void Every_path_run_in_bands_of_rows_gives_the_bits_of_one_whole_call(string kernelClass, int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding)
    {
        var g = new Conv2DGeometry(inChannels, height, width, outChannels, kernel, kernel, stride, stride, padding, padding, padding, padding);
        float[] input = KernelGen.Generated.Tests.Check.Random(31, g.InputLength);
        float[] bias = KernelGen.Generated.Tests.Check.Random(33, g.OutChannels);
        var whole = new float[g.OutputLength];
        var parts = new float[whole.Length];
        int units = KernelPaths.Units(Assembly.GetExecutingAssembly(), kernelClass, "PackedDirect");
        foreach (string path in KernelPaths.WithSuffix(Assembly.GetExecutingAssembly(), kernelClass, "PackedDirect"))
        {
            // Weights in the packed layout need not be packed from any kernel here: any values give the same bits both ways.
            float[] weights = KernelGen.Generated.Tests.Check.Random(32, g.WeightLength * 2);
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: true, input, weights, bias, whole, 1);
            Array.Fill(parts, float.NaN);
            int[] cuts = [0, units / 3, Math.Min(units, (units / 3) + 1), (2 * units) / 3, units];
            for (int k = 0; k + 1 < cuts.Length; k++)
            {
                // Each part rents its padded planes from the array pool and copies only the input rows its rows read: the
                // arrays this thread rents next start as NaN, so a row a part reads and did not copy shows.
                PoisonThisThreadsPooledArrays();
                KernelPaths.RunPart(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: true, input, weights, bias, parts, 1, cuts[k], cuts[k + 1]);
            }

            Assert.Equal(whole, parts);
        }
    }

    /// <summary>
    /// Puts an array of NaN in this thread's slot of every size class of the shared float pool up to 2²⁰ floats (the
    /// largest scratch here, the strided layer's padded planes and tile, is under 2¹⁸).
    /// </summary>
    private static void PoisonThisThreadsPooledArrays()
    {
        for (int size = 16; size <= 1 << 20; size *= 2)
        {
            float[] rented = System.Buffers.ArrayPool<float>.Shared.Rent(size);
            Array.Fill(rented, float.NaN);
            System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    [Fact]
    public void Packed_weights_are_blocks_of_16_output_channels_and_other_layers_weights_are_refused()
    {
        var g = new Conv2DGeometry(256, 14, 14, 256, 1, 1, 1, 1, 0, 0, 0, 0);
        float[] weights = new float[g.WeightLength];
        weights[(17 * 256) + 3] = 5f; // output channel 17, input channel 3
        PackedWeights packed = SuiteKernels.Pointwise256PackWeights(weights);
        Assert.Contains("packed direct", packed.Layout, StringComparison.Ordinal);
        Assert.Equal(256 * 256, packed.Length);
        Assert.Equal(5f, packed.Values[(1 * 256 * 16) + (3 * 16) + 1]); // block 1, input channel 3, lane 1
        Assert.Equal(1, packed.Values.ToArray().Count(v => v != 0));

        float[] input = new float[g.InputLength], bias = new float[256], output = new float[g.OutputLength];
        Array.Fill(output, 7f);
        PackedWeights winograd = SuiteKernels.Resnet3x3x256PackWeights(new float[256 * 256 * 9]);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => SuiteKernels.Pointwise256(input, winograd, bias, output)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => SuiteKernels.Pointwise256(input, packed, bias, output.AsSpan(1))).ParamName);
        Assert.All(output, v => Assert.Equal(7f, v));
    }

    private static void Check(Conv2DGeometry g, KernelGen.Generated.Tests.Check.Packer pack, WinogradTests.PackedConv kernel, WinogradTests.ThreadedConv threaded, string kernelClass, Activation activation = Activation.None)
    {
        float[] input = KernelGen.Generated.Tests.Check.Random(21, g.InputLength);
        float[] weights = KernelGen.Generated.Tests.Check.Random(22, g.WeightLength);
        float[] bias = KernelGen.Generated.Tests.Check.Random(23, g.OutChannels);
        var expected = new float[g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, bias, expected, 1, activation);
        double tolerance = KernelGen.Generated.Tests.Check.Tolerance((long)g.InChannels * g.KernelHeight * g.KernelWidth);

        var actual = new float[g.OutputLength];
        Array.Fill(actual, float.NaN);
        PackedWeights packed = pack(weights);
        kernel(input, packed, bias, actual);
        AssertClose("dispatch", expected, actual, tolerance);

        float[] values = packed.Values.ToArray();
        string[] paths = KernelPaths.WithSuffix(Assembly.GetExecutingAssembly(), kernelClass, "PackedDirect");
        Assert.Equal(["Vector512PackedDirect", "Vector256PackedDirect", "Vector128PackedDirect", "ScalarPackedDirect"], paths);
        foreach (string path in paths)
        {
            Array.Fill(actual, float.NaN);
            KernelPaths.Run(Assembly.GetExecutingAssembly(), kernelClass, path, weighted: true, bias: true, input, values, bias, actual, 1);
            AssertClose(path, expected, actual, tolerance);
        }

        kernel(input, packed, bias, actual);
        foreach (int threads in new[] { 2, 3, 4 })
        {
            var split = new float[actual.Length];
            Array.Fill(split, float.NaN);
            threaded(input, packed, bias, split, new Parallelism(threads));
            Assert.Equal(actual, split);
        }
    }

    private static void AssertClose(string what, float[] expected, float[] actual, double tolerance)
    {
        TensorComparison comparison = TensorComparison.Of(expected, actual, [expected.Length], tolerance, tolerance);
        Assert.True(comparison.Matches, $"{what}: {comparison}");
    }
}

internal static partial class PackedDirectKernels
{
    /// <summary>40 channels: tiles of 64 (Vector512), 16 and 8 end past them, and the store's last block holds 8.</summary>
    [Conv2D(InChannels = 8, Height = 10, Width = 10, OutChannels = 40, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Sigmoid)]
    public static partial void Strided40(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    /// <summary>
    /// A strided 1×1 layer: Vector256 computes it in panel tiles (panels of 16 of its 10×10 output pixels, gathered two
    /// apart, across rows; 40 channels in tiles of 6), the last panel and tile moved back; the other paths in channel tiles.
    /// </summary>
    [Conv2D(InChannels = 64, Height = 20, Width = 20, OutChannels = 40, Kernel = 1, Stride = 2, Activation = Activation.Relu)]
    public static partial void Pointwise40Stride2(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    /// <summary>A 1×1 layer of 9 output pixels, fewer than a panel of 16: every path computes it in channel tiles (so do layers whose panels would waste more than an eighth).</summary>
    [Conv2D(InChannels = 64, Height = 3, Width = 3, OutChannels = 32, Kernel = 1)]
    public static partial void Pointwise3x3Pixels(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    /// <summary>A 1×1 layer without bias, 100 pixels (6 panels and one moved back) × 38 channels (6 tiles and one moved back).</summary>
    [Conv2D(InChannels = 64, Height = 10, Width = 10, OutChannels = 38, Kernel = 1)]
    public static partial void PointwiseWithoutBias(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

    /// <summary>
    /// Summed in passes on Vector256 (tiles of 8 pixels × 8 channels: 32 of its 40 input channels, 9 KB of weights, then 8),
    /// its pairs row by row; rows of 13 output pixels end in a tile moved back, which sums into its own place; 24 channels pad the
    /// biases to a second block of 16 (asked for: Auto takes the packed form from 32 output channels).
    /// </summary>
    [Conv2D(InChannels = 40, Height = 9, Width = 25, OutChannels = 24, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.PackedDirect)]
    public static partial void PassesMovedBack(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

    /// <summary>
    /// ResNet-18's last strided 1×1 layer without bias: on Vector256 channel tiles (its 49 pixels would waste panels) summing
    /// 144 of its 256 input channels a pass, then 112, block by block (512 KB of weights), reading the input's planes
    /// unpadded; rows of 7 pixels end in a moved-back tile.
    /// </summary>
    [Conv2D(InChannels = 256, Height = 14, Width = 14, OutChannels = 512, Kernel = 1, Stride = 2)]
    public static partial void PassesBlockByBlock(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);
}
