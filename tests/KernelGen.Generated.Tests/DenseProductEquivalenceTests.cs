using System.Reflection;
using KernelGen.Tests;

namespace KernelGen.Generated.Tests;

/// <summary>
/// Dense layers as blocked matrix products: every part of the blocking — whole tiles, the output features left after whole
/// tiles, several blocks of input features with partial sums kept in the output, a last block that is not a whole number
/// of vectors, several panels of samples with a short last one, and samples left over from whole tiles — equals the
/// reference, through the dispatch and on every path. Tiles are 4 samples on Vector512 and 3 on the narrower paths, and
/// panels 16 and 15, so the batches below cover each case on each.
/// </summary>
public partial class DenseProductEquivalenceTests
{
    /// <summary>1000 inputs: four blocks of 256, the last 232 (not a whole number of vectors); 30 outputs: 7 tiles of 4 and 2 left.</summary>
    [Dense(InFeatures = 1000, OutFeatures = 30, Activation = Activation.LeakyRelu)]
    internal static partial void Blocked(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    /// <summary>300 inputs: two blocks of 160 and 140; 8 outputs: two whole tiles.</summary>
    [Dense(InFeatures = 300, OutFeatures = 8)]
    internal static partial void NoBias(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, int batch);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(37)]
    [InlineData(64)]
    public void Blocked_product_equals_the_reference(int batch)
    {
        TensorComparison comparison = Check.Dense(new DenseGeometry(1000, 30), Blocked, "DenseProductEquivalenceTestsBlockedKernel", batch, Activation.LeakyRelu);
        Assert.True(comparison.Matches, comparison.Message);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(20)]
    public void Product_without_bias_equals_the_reference(int batch)
    {
        TensorComparison comparison = Check.Dense(new DenseGeometry(300, 8), (i, w, _, o, n) => NoBias(i, w, o, n), "DenseProductEquivalenceTestsNoBiasKernel", batch, Activation.None, bias: false);
        Assert.True(comparison.Matches, comparison.Message);
    }

    /// <summary>
    /// The packed overload: 30 outputs are no whole group of 32 on Vector512 (one tail of two vectors, the last with 14
    /// lanes) and one whole panel of 16 and a tail of 14 on the narrower paths; 1000 inputs are blocks of 250 for Vector256
    /// and 125 for Vector512, each tile's sums kept in the output between blocks; the batches cover whole tiles of 8, 6 and
    /// 2, the smaller tiles of 4 and 2, 8 samples in two tiles of 4 where whole tiles are 6, and an odd last sample.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(64)]
    public void Packed_product_equals_the_reference(int batch)
    {
        TensorComparison comparison = Check.DensePacked(new DenseGeometry(1000, 30), w => BlockedPackWeights(w), Blocked, "DenseProductEquivalenceTestsBlockedKernel", batch, Activation.LeakyRelu);
        Assert.True(comparison.Matches, comparison.Message);
    }

    /// <summary>
    /// A sample's sums are the same bits whichever tile takes it: each accumulator adds its products input by input from
    /// zero, through every block of inputs (its partial sums stored in the output and loaded again exactly), then the bias.
    /// Each sample of a batch of 14 (tiles of 6, 4 and 4 on Vector256; 8, 4 and 2 on Vector512) against the same sample in a
    /// batch of 2, on every packed path.
    /// </summary>
    [Fact]
    public void Packed_sums_do_not_depend_on_the_tile()
    {
        const int batch = 14, inputs = 1000, outputs = 30;
        float[] input = Check.Random(11, batch * inputs), biases = Check.Random(13, outputs);
        float[] values = BlockedPackWeights(Check.Random(12, inputs * outputs)).Values.ToArray();
        Assembly assembly = typeof(DenseProductEquivalenceTests).Assembly;
        const string kernel = "DenseProductEquivalenceTestsBlockedKernel";
        foreach (string path in KernelPaths.Of(assembly, kernel))
        {
            float[] all = new float[batch * outputs];
            KernelPaths.Run(assembly, kernel, path + "Packed", weighted: true, bias: true, input, values, biases, all, batch);
            for (int n = 0; n < batch; n++)
            {
                float[] pair = [.. input.AsSpan(n * inputs, inputs), .. input.AsSpan(n * inputs, inputs)];
                float[] alone = new float[2 * outputs];
                KernelPaths.Run(assembly, kernel, path + "Packed", weighted: true, bias: true, pair, values, biases, alone, 2);
                for (int o = 0; o < outputs; o++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(alone[o]) == BitConverter.SingleToInt32Bits(all[(n * outputs) + o]), $"{path}: sample {n}, output {o}: {all[(n * outputs) + o]} in the batch, {alone[o]} alone");
                }
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(20)]
    public void Packed_product_without_bias_equals_the_reference(int batch)
    {
        TensorComparison comparison = Check.DensePacked(new DenseGeometry(300, 8), w => NoBiasPackWeights(w), (i, w, _, o, n) => NoBias(i, w, o, n), "DenseProductEquivalenceTestsNoBiasKernel", batch, Activation.None, bias: false);
        Assert.True(comparison.Matches, comparison.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void Mnist_fc1_packed(int batch)
    {
        TensorComparison comparison = Check.DensePacked(new DenseGeometry(5408, 128), w => SuiteKernels.MnistFc1PackWeights(w), SuiteKernels.MnistFc1, "SuiteKernelsMnistFc1Kernel", batch, Activation.Relu);
        Assert.True(comparison.Matches, comparison.Message);
    }

    /// <summary>Packed weights are checked: another layer's, and none at all, are refused before anything is written.</summary>
    [Fact]
    public void Packed_overload_refuses_weights_packed_for_another_layer()
    {
        PackedWeights other = NoBiasPackWeights(new float[300 * 8]);
        float[] output = [.. Enumerable.Repeat(7f, 30)];
        var error = Assert.Throws<ArgumentException>(() => Blocked(new float[1000], other, new float[30], output, 1));
        Assert.Equal("weights", error.ParamName);
        Assert.Contains("Dense 300→8", error.Message, StringComparison.Ordinal);
        Assert.Contains("Dense 1000→30", error.Message, StringComparison.Ordinal);
        Assert.Equal("weights", Assert.Throws<ArgumentNullException>(() => Blocked(new float[1000], (PackedWeights)null!, new float[30], output, 1)).ParamName);
        Assert.All(output, v => Assert.Equal(7f, v));
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => BlockedPackWeights(new float[29_999])).ParamName);
    }

    /// <summary>The packed copy is the weights rearranged, zeros in the padding of the last panel, and independent of the original.</summary>
    [Fact]
    public void Packing_puts_weight_o_i_at_panel_input_lane()
    {
        float[] weights = Check.Random(5, 1000 * 30);
        PackedWeights packed = BlockedPackWeights(weights);
        Assert.Equal(2 * 16 * 1000, packed.Length);
        for (int o = 0; o < 32; o++)
        {
            for (int i = 0; i < 1000; i += 37)
            {
                Assert.Equal(o < 30 ? weights[(o * 1000) + i] : 0f, packed.Values[(o / 16 * 16 * 1000) + (i * 16) + (o % 16)]);
            }
        }

        float before = packed.Values[0];
        weights[0] += 1;
        Assert.Equal(before, packed.Values[0]);
    }

    /// <summary>
    /// One sample passes over its inputs of zero without reading their weights (as ReLU leaves many): the sums are the
    /// same bits as when the sample shares a tile with another, which reads every weight, including the −0s (no product
    /// here underflows; see the generated remarks for the sign of a sum of underflowed products).
    /// </summary>
    [Fact]
    public void A_sample_alone_skips_its_zero_inputs_and_gives_the_same_bits()
    {
        PackedWeights packed = BlockedPackWeights(Check.Random(5, 1000 * 30));
        Assert.True(packed.AllFinite);
        float[] bias = Check.Random(6, 30), sample = Check.Random(7, 1000), other = Check.Random(8, 1000);
        for (int i = 0; i < sample.Length; i++)
        {
            // Runs of zeros and single ones, both signs.
            if (i % 7 < 3 || (i / 100) % 3 == 1)
            {
                sample[i] = i % 2 == 0 ? 0f : -0f;
            }
        }

        float[] alone = new float[30], paired = new float[60], odd = new float[90];
        Blocked(sample, packed, bias, alone, 1);
        Blocked([.. sample, .. other], packed, bias, paired, 2);
        Blocked([.. other, .. other, .. sample], packed, bias, odd, 3);
        Assert.Equal(paired[..30], alone);
        Assert.Equal(odd[60..], alone);
        float[] expected = new float[30];
        Reference.Dense<float>(new DenseGeometry(1000, 30), sample, WeightsOf(packed), bias, expected, 1, Activation.LeakyRelu);
        Check.Close("Dense with zero inputs", [.. expected.Select(v => (double)v)], alone);
    }

    /// <summary>With an infinite weight the zero inputs are not skipped: zero times infinity is NaN, as IEEE arithmetic and the reference say.</summary>
    [Fact]
    public void A_zero_input_times_an_infinite_weight_is_NaN()
    {
        float[] weights = Check.Random(5, 1000 * 30);
        weights[(3 * 1000) + 17] = float.PositiveInfinity;
        PackedWeights packed = BlockedPackWeights(weights);
        Assert.False(packed.AllFinite);
        float[] sample = Check.Random(7, 1000), output = new float[30];
        sample[17] = 0f;
        Blocked(sample, packed, new float[30], output, 1);
        Assert.True(float.IsNaN(output[3]));
        Assert.Equal(29, output.Count(float.IsFinite));
    }

    /// <summary>The [30, 1000] weights a packed copy of <see cref="Blocked(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int)"/>'s holds.</summary>
    private static float[] WeightsOf(PackedWeights packed)
    {
        float[] weights = new float[30 * 1000];
        for (int o = 0; o < 30; o++)
        {
            for (int i = 0; i < 1000; i++)
            {
                weights[(o * 1000) + i] = packed.Values[(o / 16 * 16 * 1000) + (i * 16) + (o % 16)];
            }
        }

        return weights;
    }

    [Fact]
    public void Mnist_fc1_relu_batch_64()
    {
        TensorComparison comparison = Check.Dense(new DenseGeometry(5408, 128), SuiteKernels.MnistFc1, "SuiteKernelsMnistFc1Kernel", 64, Activation.Relu);
        Assert.True(comparison.Matches, comparison.Message);
    }
}
