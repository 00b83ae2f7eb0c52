namespace KernelGen.Runtime.Tests;

/// <summary>Output sizes, "same" padding, parameter and FLOP counts, and shape validation.</summary>
public class ShapeMathTests
{
    [Theory]
    [InlineData(28, 3, 1, 0, 0, 1, 26)]
    [InlineData(26, 2, 2, 0, 0, 1, 13)]
    [InlineData(224, 7, 2, 3, 3, 1, 112)]
    [InlineData(112, 3, 2, 1, 1, 1, 56)]
    [InlineData(9, 3, 1, 0, 0, 2, 5)]
    [InlineData(5, 3, 3, 0, 0, 1, 1)]
    [InlineData(3, 5, 1, 0, 0, 1, 0)]
    public void Output_size_follows_the_floor_formula(int input, int kernel, int stride, int before, int after, int dilation, int expected) =>
        Assert.Equal(expected, ShapeMath.OutputSize(input, kernel, stride, before, after, dilation));

    [Theory]
    [InlineData(5, 3, 2, 1, 1)]
    [InlineData(6, 3, 2, 0, 1)]
    [InlineData(4, 2, 1, 0, 1)]
    [InlineData(7, 1, 2, 0, 0)]
    [InlineData(28, 5, 1, 2, 2)]
    public void Same_padding_matches_tensorflow_examples(int input, int kernel, int stride, int before, int after) =>
        Assert.Equal((before, after), ShapeMath.SamePadding(input, kernel, stride));

    [Fact]
    public void Same_padding_gives_ceil_input_over_stride_for_odd_and_even_sizes()
    {
        foreach (int input in Enumerable.Range(1, 40))
        {
            foreach (int kernel in new[] { 1, 2, 3, 4, 5, 7 })
            {
                foreach (int stride in new[] { 1, 2 })
                {
                    foreach (int dilation in new[] { 1, 2 })
                    {
                        var g = Conv2DGeometry.Same(1, input, input + 1, 1, kernel, kernel, stride, stride, dilation, dilation);
                        int ceil = (input + stride - 1) / stride;
                        Assert.Equal(ceil, g.OutputHeight);
                        Assert.Equal((input + 1 + stride - 1) / stride, g.OutputWidth);

                        // TensorFlow puts the larger half after: after - before is 0 or 1.
                        Assert.InRange(g.PadBottom - g.PadTop, 0, 1);
                        Assert.InRange(g.PadRight - g.PadLeft, 0, 1);
                    }
                }
            }
        }
    }

    [Fact]
    public void Classic_mnist_model_has_693962_parameters()
    {
        var conv = new Conv2DGeometry(1, 28, 28, 32, 3, 3);
        var pool = new Pool2DGeometry(conv.OutChannels, conv.OutputHeight, conv.OutputWidth, 2, 2);
        var hidden = new DenseGeometry(pool.OutputLength, 128);
        var logits = new DenseGeometry(hidden.OutFeatures, 10);

        Assert.Equal((32, 26, 26), (conv.OutChannels, conv.OutputHeight, conv.OutputWidth));
        Assert.Equal(5408, pool.OutputLength);
        Assert.Equal(320, conv.ParameterCount);
        Assert.Equal(692_352, hidden.ParameterCount);
        Assert.Equal(1_290, logits.ParameterCount);
        Assert.Equal(693_962, conv.ParameterCount + hidden.ParameterCount + logits.ParameterCount);
    }

    [Theory]
    [InlineData(1, 3, 3, 1, 3, 1, 1, 1, 0.000162)]
    [InlineData(1, 28, 28, 32, 3, 1, 0, 1, 0.389)]
    [InlineData(6, 14, 14, 16, 5, 1, 0, 1, 0.480)]
    [InlineData(32, 13, 13, 64, 3, 1, 0, 1, 4.46)]
    [InlineData(3, 224, 224, 64, 7, 2, 3, 1, 236)]
    [InlineData(64, 56, 56, 64, 3, 1, 1, 1, 231)]
    [InlineData(64, 56, 56, 128, 3, 2, 1, 1, 116)]
    [InlineData(256, 14, 14, 256, 3, 1, 1, 1, 231)]
    [InlineData(256, 14, 14, 256, 1, 1, 0, 1, 25.7)]
    [InlineData(32, 112, 112, 32, 3, 1, 1, 32, 7.23)]
    public void Flops_match_the_benchmark_suite(int c, int h, int w, int oc, int k, int s, int p, int groups, double mflop)
    {
        var g = new Conv2DGeometry(c, h, w, oc, k, k, s, s, p, p, p, p, groups: groups);
        Assert.Equal(mflop, g.Flops / 1e6, mflop * 0.005);
    }

    [Fact]
    public void Batched_mnist_conv1_is_24_9_mflop() =>
        Assert.Equal(24.9, 64 * new Conv2DGeometry(1, 28, 28, 32, 3, 3).Flops / 1e6, 0.05);

    [Theory]
    [InlineData(0, 5, 5, 1, 3, 3, 1, 1, 0, 1, 1, ShapeProblemKind.NotPositive, "inChannels")]
    [InlineData(1, 5, 5, 1, 3, -3, 1, 1, 0, 1, 1, ShapeProblemKind.NotPositive, "kernelWidth")]
    [InlineData(1, 5, 5, 1, 3, 3, 0, 1, 0, 1, 1, ShapeProblemKind.NotPositive, "strideHeight")]
    [InlineData(1, 5, 5, 1, 3, 3, 1, 1, 0, 0, 1, ShapeProblemKind.NotPositive, "dilationHeight")]
    [InlineData(1, 5, 5, 1, 3, 3, 1, 1, -1, 1, 1, ShapeProblemKind.Negative, "padTop")]
    [InlineData(3, 5, 5, 4, 3, 3, 1, 1, 0, 1, 2, ShapeProblemKind.NotDivisibleByGroups, "inChannels")]
    [InlineData(4, 5, 5, 3, 3, 3, 1, 1, 0, 1, 2, ShapeProblemKind.NotDivisibleByGroups, "outChannels")]
    [InlineData(1, 5, 5, 1, 7, 3, 1, 1, 0, 1, 1, ShapeProblemKind.KernelLargerThanInput, "kernelHeight")]
    [InlineData(1, 5, 5, 1, 3, 3, 1, 1, 0, 3, 1, ShapeProblemKind.KernelLargerThanInput, "kernelHeight")]
    [InlineData(3000, 1000, 1000, 1, 1, 1, 1, 1, 0, 1, 1, ShapeProblemKind.TooLarge, "inChannels")]
    public void Invalid_convolutions_are_reported_and_rejected(
        int c, int h, int w, int oc, int kh, int kw, int stride, int strideWidth, int pad, int dilation, int groups,
        ShapeProblemKind kind, string parameter)
    {
        Conv2DGeometry? geometry = Conv2DGeometry.TryCreate(c, h, w, oc, kh, kw, stride, strideWidth, pad, pad, 0, 0, dilation, 1, groups, out ShapeProblem problem);
        Assert.Null(geometry);
        Assert.Equal(kind, problem.Kind);
        Assert.Equal(parameter, problem.Parameter);

        ArgumentException thrown = Assert.ThrowsAny<ArgumentException>(() =>
            new Conv2DGeometry(c, h, w, oc, kh, kw, stride, strideWidth, pad, pad, 0, 0, dilation, 1, groups));
        Assert.Equal(parameter, thrown.ParamName);
        Assert.Contains(problem.Message, thrown.Message, StringComparison.Ordinal);
        Assert.Equal(kind is ShapeProblemKind.NotPositive or ShapeProblemKind.Negative, thrown is ArgumentOutOfRangeException);
    }

    [Fact]
    public void Kernel_larger_than_input_names_both_sizes()
    {
        Conv2DGeometry.TryCreate(1, 4, 9, 1, 3, 3, 1, 1, 0, 0, 0, 0, 3, 1, 1, out ShapeProblem problem);
        Assert.Equal("The kernel spans 7 rows (height 3, dilation 3) but the padded input has only 4.", problem.Message);
    }

    [Fact]
    public void Padding_may_widen_the_input_enough_for_a_large_kernel()
    {
        var g = new Conv2DGeometry(1, 2, 2, 1, 5, 5, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2);
        Assert.Equal((2, 2), (g.OutputHeight, g.OutputWidth));
    }

    [Fact]
    public void A_dilated_pool_spans_its_effective_window_and_a_wide_padding_is_fine_while_every_window_covers_input()
    {
        // ONNX's test_maxpool_2d_dilations: 4×4, kernel 2, dilation 2, stride 1 → 2×2.
        var dilated = new Pool2DGeometry(1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0, dilationHeight: 2, dilationWidth: 2);
        Assert.Equal((2, 2), (dilated.OutputHeight, dilated.OutputWidth));
        Assert.True(dilated.IsDilated);

        // Padding as wide as the window: the stride puts the second window on rows 3 and 4.
        var wide = new Pool2DGeometry(1, 5, 5, 3, 3, 3, 3, 0, 3, 0, 0);
        Assert.Equal((2, 1), (wide.OutputHeight, wide.OutputWidth));

        // A dilated window can skip over a one-row input: rows −1 and 2.
        Assert.Null(Pool2DGeometry.TryCreate(1, 1, 4, 2, 1, 1, 1, 1, 2, 0, 0, false, 3, 1, out ShapeProblem problem));
        Assert.Equal(("padTop", ShapeProblemKind.PaddingNotSmallerThanKernel), (problem.Parameter, problem.Kind));
        Assert.Equal("dilationWidth", Assert.ThrowsAny<ArgumentException>(() => new Pool2DGeometry(1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0, dilationWidth: 0)).ParamName);
    }

    [Theory]
    [InlineData(1, 4, 4, 2, 2, 2, 2, 2, 0, ShapeProblemKind.PaddingNotSmallerThanKernel, "padTop")]
    [InlineData(1, 4, 4, 2, 3, 2, 2, 0, 3, ShapeProblemKind.PaddingNotSmallerThanKernel, "padLeft")]
    [InlineData(1, 4, 4, 5, 2, 2, 2, 0, 0, ShapeProblemKind.KernelLargerThanInput, "kernelHeight")]
    [InlineData(1, 4, 4, 2, 2, 0, 2, 0, 0, ShapeProblemKind.NotPositive, "strideHeight")]
    [InlineData(-1, 4, 4, 2, 2, 2, 2, 0, 0, ShapeProblemKind.NotPositive, "channels")]
    public void Invalid_pools_are_reported_and_rejected(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, ShapeProblemKind kind, string parameter)
    {
        Assert.Null(Pool2DGeometry.TryCreate(c, h, w, kh, kw, sh, sw, ph, pw, out ShapeProblem problem));
        Assert.Equal(kind, problem.Kind);
        Assert.Equal(parameter, problem.Parameter);
        Assert.Equal(parameter, Assert.ThrowsAny<ArgumentException>(() => new Pool2DGeometry(c, h, w, kh, kw, sh, sw, ph, pw)).ParamName);
    }

    [Fact]
    public void Pool_stride_defaults_to_the_kernel()
    {
        var g = new Pool2DGeometry(32, 26, 26, 2, 3);
        Assert.Equal((2, 3), (g.StrideHeight, g.StrideWidth));
        Assert.Equal((13, 8), (g.OutputHeight, g.OutputWidth));
    }

    [Fact]
    public void Dense_shapes_are_validated()
    {
        Assert.Equal("inFeatures", Assert.Throws<ArgumentOutOfRangeException>(() => new DenseGeometry(0, 3)).ParamName);
        Assert.Null(DenseGeometry.TryCreate(100_000, 100_000, out ShapeProblem problem));
        Assert.Equal(ShapeProblemKind.TooLarge, problem.Kind);
        Assert.Equal(2L * 5408 * 128, new DenseGeometry(5408, 128).Flops);
    }

    [Fact]
    public void Products_saturate_instead_of_overflowing()
    {
        Assert.Equal(long.MaxValue, ShapeMath.Product(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue));
        Assert.Equal(24, ShapeMath.Product(2, 3, 4));
    }

    [Theory]
    [InlineData(28, 3, 1, 0, 1, 28)]  // valid 3×3: every row
    [InlineData(28, 3, 1, 1, 1, 30)]  // padded: the padding rows too
    [InlineData(10, 3, 2, 0, 1, 9)]   // stride 2: the last row is never read
    [InlineData(17, 3, 2, 2, 2, 21)]  // dilation 2, padding 2
    public void PlaneRows_counts_the_padded_input_rows_the_outputs_reach(int height, int kernel, int stride, int padding, int dilation, int expected)
    {
        var g = new Conv2DGeometry(1, height, height, 1, kernel, kernel, stride, stride, padding, padding, padding, padding, dilation, dilation);
        Assert.Equal(expected, g.PlaneRows);
        Assert.True(g.PlaneRows <= height + (2 * padding));
    }
}
