namespace KernelGen.Runtime.Tests;

/// <summary>Inputs at the edges of the formulas: windows of padding only, extreme logits, saturated activations.</summary>
public class EdgeCaseTests
{
    [Fact]
    public void Padding_wider_than_the_kernel_reach_gives_bias_only_outside_and_the_shifted_input_inside()
    {
        // A 2x2 kernel that picks its top-left tap, padding 3 on a 2x2 input: a 7x7 output whose
        // windows at the border cover padding only.
        var g = new Conv2DGeometry(1, 2, 2, 1, 2, 2, padTop: 3, padBottom: 3, padLeft: 3, padRight: 3);
        var output = new float[g.OutputLength];
        Reference.Conv2D<float>(g, [1, 2, 3, 4], [1, 0, 0, 0], [0.5f], output);

        Assert.Equal((7, 7), (g.OutputHeight, g.OutputWidth));
        for (int y = 0; y < 7; y++)
        {
            for (int x = 0; x < 7; x++)
            {
                bool inside = y is 3 or 4 && x is 3 or 4;
                float expected = 0.5f + (inside ? 1 + ((y - 3) * 2) + (x - 3) : 0);
                Assert.Equal(expected, output[(y * 7) + x]);
            }
        }
    }

    [Fact]
    public void Max_pool_over_a_window_partly_padding_ignores_the_padding()
    {
        // All inputs negative: if padding counted as zero, every border window would give 0.
        float[] input = [.. Enumerable.Range(1, 16).Select(i => -(float)i)];
        var g = new Pool2DGeometry(1, 4, 4, 3, 3, 2, 2, 1, 1);
        var output = new float[g.OutputLength];
        Reference.MaxPool2D<float>(g, input, output);
        Assert.Equal([-1f, -2, -5, -6], output);
    }

    [Fact]
    public void Max_pool_gradient_goes_to_the_first_largest_element()
    {
        var g = new Pool2DGeometry(1, 2, 2, 2, 2);
        var gradInput = new float[4];
        Reference.MaxPool2DBackward<float>(g, [5, 7, 7, 1], [3], gradInput);
        Assert.Equal([0f, 3, 0, 0], gradInput);
    }

    [Theory]
    [InlineData(false, 3.0)]
    [InlineData(true, 12.0 / 9)]
    public void Average_pool_divides_by_the_covered_inputs_unless_padding_counts(bool countIncludePad, double corner)
    {
        var g = new Pool2DGeometry(1, 3, 3, 3, 3, 1, 1, 1, 1);
        var output = new float[9];
        Reference.AvgPool2D<float>(g, [1, 2, 3, 4, 5, 6, 7, 8, 9], output, countIncludePad: countIncludePad);
        Assert.Equal((float)corner, output[0]);
        Assert.Equal(5f, output[4]);
    }

    [Fact]
    public void Global_average_pool_equals_an_average_pool_over_the_whole_plane()
    {
        float[] input = TestData.ToFloat(TestData.Uniform(1, 2 * 3 * 5 * 4));
        var global = new float[6];
        var pooled = new float[6];
        Reference.GlobalAvgPool2D<float>(3, 5, 4, input, global, 2);
        Reference.AvgPool2D<float>(Pool2DGeometry.Global(3, 5, 4), input, pooled, 2);
        Assert.Equal(pooled, global);
        Assert.Equal(input.Take(20).Average(), global[0], 6);
    }

    [Fact]
    public void Add_sums_element_by_element_then_applies_the_activation_and_may_write_in_place()
    {
        float[] a = [1, -2, 3.5f, -4], b = [0.5f, 1, -5, 4];
        var sum = new float[4];
        Reference.Add<float>(a, b, sum, Activation.Relu);
        Assert.Equal([1.5f, 0, 0, 0], sum);
        Reference.Add<float>(a, b, sum);
        Assert.Equal([1.5f, -1, -1.5f, 0], sum);

        float[] many = TestData.ToFloat(TestData.Uniform(3, 100)), other = TestData.ToFloat(TestData.Uniform(4, 100));
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            var expected = new float[100];
            Reference.Add<float>(many, other, expected, activation);
            float[] inPlace = [.. many];
            Generic.Add(inPlace, other, inPlace, activation);
            TensorComparison comparison = TensorComparison.Of(expected, inPlace, [100], 2e-7, 2e-7);
            Assert.True(comparison.Matches, $"{activation}: {comparison.Message}");
        }
    }

    /// <summary>
    /// PyTorch's ceil mode: AvgPool2d(3, stride 2, padding 1, ceil_mode=True) on 1..64 in 8×8 gives 5×5 (floor would give 4),
    /// the last window covering input rows and columns 7 and the bottom padding only: with count_include_pad its divisor is
    /// 2 × 2 = 4 (the window clipped at the end of the padding), without it 1. And the rule that drops a last window starting
    /// in the padding after: 2×2 windows, stride 2, padding 1 on 5 give ceil((5 + 2 − 2) / 2) + 1 = 4, less the fourth, which
    /// would start at padded position 6, the padding after the input.
    /// </summary>
    [Fact]
    public void Ceil_mode_pools_count_and_divide_as_pytorch_does()
    {
        var g = new Pool2DGeometry(1, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, ceilMode: true);
        Assert.Equal((5, 5), (g.OutputHeight, g.OutputWidth));
        Assert.Equal((4, 4), (new Pool2DGeometry(1, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1).OutputHeight, ShapeMath.PoolOutputSize(5, 2, 2, 1, 1, ceilMode: true) + 1));
        float[] input = [.. Enumerable.Range(1, 64).Select(i => (float)i)];
        var counting = new float[25];
        var excluding = new float[25];
        Reference.AvgPool2D<float>(g, input, counting, countIncludePad: true);
        Reference.AvgPool2D<float>(g, input, excluding);
        Assert.Equal(64f / 4, counting[24]);
        Assert.Equal(64f, excluding[24]);
        Assert.Equal((1f + 2 + 9 + 10) / 9, counting[0]);
        Assert.Equal((1f + 2 + 9 + 10) / 4, excluding[0]);

        var generic = new float[25];
        Generic.AvgPool2D(g, input, generic, countIncludePad: true);
        TensorComparison comparison = TensorComparison.Of(counting, generic, [25], 1e-6, 1e-6);
        Assert.True(comparison.Matches, comparison.Message);
    }

    [Fact]
    public void Batch_norm_normalises_with_the_running_statistics_or_the_batch_and_updates_them_as_pytorch_does()
    {
        // One channel of 1, 2, 3, 4; mean 2, variance 4, scale 2, shift 1, ε 0: y = (x − 2) / 2 · 2 + 1 = x − 1.
        float[] input = [1, 2, 3, 4], output = new float[4];
        Reference.BatchNorm2D<float>(1, 2, 2, input, [2], [1], [2], [4], output, epsilon: 1e-30);
        Assert.Equal([0f, 1f, 2f, 3f], output);
        Generic.BatchNorm2D(1, 2, 2, input, [2], [1], [2], [4], output, epsilon: 1e-30f, activation: Activation.Relu);
        Assert.Equal([0f, 1f, 2f, 3f], output);

        // Training: batch mean 2.5, biased variance 1.25; normalised values have mean 0 and variance 1 (less ε).
        var mean = new float[1];
        var variance = new float[1];
        Reference.BatchNorm2DTraining<float>(1, 2, 2, input, [1], [0], output, mean, variance, epsilon: 1e-30);
        Assert.Equal((2.5f, 1.25f), (mean[0], variance[0]));
        Assert.Equal(0, output.Sum(), 6);
        Assert.Equal(1, output.Sum(v => v * v) / 4, 6);

        // PyTorch: running = 0.9 · running + 0.1 · batch, the variance unbiased (1.25 · 4 / 3).
        float[] runningMean = [0], runningVariance = [1];
        Reference.UpdateRunningStatistics<float>(runningMean, runningVariance, mean, variance, count: 4);
        Assert.Equal(0.25f, runningMean[0], 6);
        Assert.Equal((0.9 * 1) + (0.1 * 1.25 * 4 / 3), runningVariance[0], 6);
    }

    [Fact]
    public void Generic_batch_norm_matches_the_reference_with_every_activation()
    {
        float[] input = TestData.ToFloat(TestData.Uniform(5, 2 * 3 * 7 * 9)), scale = [0.5f, -1, 2], shift = [0.1f, 0, -0.3f], mean = [0.2f, -0.1f, 0], variance = [0.3f, 1, 2];
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            var expected = new float[input.Length];
            var actual = new float[input.Length];
            Reference.BatchNorm2D<float>(3, 7, 9, input, scale, shift, mean, variance, expected, 2, activation: activation);
            Generic.BatchNorm2D(3, 7, 9, input, scale, shift, mean, variance, actual, 2, activation: activation);
            TensorComparison comparison = TensorComparison.Of(expected, actual, [input.Length], 1e-6, 1e-6);
            Assert.True(comparison.Matches, $"{activation}: {comparison.Message}");
        }
    }

    [Fact]
    public void Global_max_pool_equals_a_max_pool_over_the_whole_plane_and_lets_a_nan_win()
    {
        float[] input = TestData.ToFloat(TestData.Uniform(2, 2 * 3 * 5 * 4));
        var global = new float[6];
        var pooled = new float[6];
        Reference.GlobalMaxPool2D<float>(3, 5, 4, input, global, 2);
        Reference.MaxPool2D<float>(Pool2DGeometry.Global(3, 5, 4), input, pooled, 2);
        Assert.Equal(pooled, global);
        Assert.Equal(input.Take(20).Max(), global[0]);

        input[27] = float.NaN;
        Reference.GlobalMaxPool2D<float>(3, 5, 4, input, global, 2);
        Generic.GlobalMaxPool2D(3, 5, 4, input, pooled, 2);
        Assert.True(float.IsNaN(global[1]) && float.IsNaN(pooled[1]));
        Assert.Equal(global[0], pooled[0]);

        var gradInput = new float[input.Length];
        Reference.GlobalMaxPool2DBackward<float>(3, 5, 4, input, [1, 2, 3, 4, 5, 6], gradInput, 2);
        Assert.Equal(2f, gradInput[27]);
    }

    [Theory]
    [InlineData(1000f)]
    [InlineData(-1000f)]
    public void Softmax_of_logits_around_a_thousand_is_finite_and_shift_invariant(float offset)
    {
        float[] small = [0, 1, 2, -1];
        float[] shifted = [.. small.Select(z => z + offset)];
        var expected = new float[4];
        var actual = new float[4];
        Reference.Softmax<float>(small, expected);
        Reference.Softmax<float>(shifted, actual);

        Assert.All(actual, p => Assert.True(float.IsFinite(p)));
        Assert.Equal(1.0, actual.Sum(), 6);
        Assert.True(TensorComparison.Of(expected, actual, [4], 1e-6).Matches);
    }

    [Fact]
    public void Softmax_cross_entropy_of_huge_logits_is_finite_and_exact()
    {
        // Logits 1000 apart: the wrong class has loss 1000, the right one 0 (up to exp(-1000)).
        float[] logits = [1000, 0, 0, 1000];
        Assert.Equal(500f, Reference.SoftmaxCrossEntropy<float>(logits, [1, 1], 2));
        var gradient = new float[4];
        Reference.SoftmaxCrossEntropyBackward<float>(logits, [1, 1], gradient, 2);
        Assert.Equal([0.5f, -0.5f, 0, 0], gradient);
    }

    [Fact]
    public void Saturated_sigmoid_and_binary_cross_entropy_stay_finite()
    {
        var p = new float[2];
        Reference.Sigmoid<float>([-1000, 1000], p);
        Assert.Equal([0f, 1f], p);
        Assert.Equal(100f, Reference.BinaryCrossEntropy<float>([0, 1], [1, 0]));
    }

    [Fact]
    public void A_conv_without_bias_and_with_an_empty_bias_are_the_same()
    {
        var g = new Conv2DGeometry(2, 4, 4, 2, 3, 3);
        float[] input = TestData.ToFloat(TestData.Uniform(2, g.InputLength));
        float[] weights = TestData.ToFloat(TestData.Uniform(3, g.WeightLength));
        var withZeros = new float[g.OutputLength];
        var without = new float[g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, new float[2], withZeros);
        Reference.Conv2D<float>(g, input, weights, [], without);
        Assert.Equal(withZeros, without);
    }

    [Fact]
    public void Batched_samples_are_computed_independently()
    {
        var g = new Conv2DGeometry(2, 5, 5, 3, 3, 3, strideHeight: 2, strideWidth: 2);
        float[] input = TestData.ToFloat(TestData.Uniform(4, 3 * g.InputLength));
        float[] weights = TestData.ToFloat(TestData.Uniform(5, g.WeightLength));
        var batched = new float[3 * g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, [], batched, 3);
        for (int n = 0; n < 3; n++)
        {
            var single = new float[g.OutputLength];
            Reference.Conv2D<float>(g, input.AsSpan(n * g.InputLength, g.InputLength), weights, [], single);
            Assert.Equal(single, batched.AsSpan(n * g.OutputLength, g.OutputLength).ToArray());
        }
    }
}
