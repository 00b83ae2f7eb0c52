namespace KernelGen.Runtime.Tests;

/// <summary>
/// Every backward pass of the reference checked against central finite differences, in double
/// precision: for a loss L = Σ r · f(x) with fixed random r, the analytic gradient the backward pass
/// returns for gradOutput = r must equal (L(x + h) − L(x − h)) / 2h for every element of every input.
/// </summary>
public class GradientTests
{
    private const double Step = 1e-6;

    public static TheoryData<Conv2DGeometry, bool> Convolutions => new()
    {
        { new Conv2DGeometry(2, 5, 6, 3, 3, 3), false },
        { new Conv2DGeometry(2, 5, 6, 3, 3, 2, padTop: 1, padBottom: 2, padLeft: 0, padRight: 1), true },
        { new Conv2DGeometry(2, 7, 7, 4, 3, 3, strideHeight: 2, strideWidth: 2, dilationHeight: 2, dilationWidth: 1, groups: 2), false },
        { new Conv2DGeometry(3, 6, 5, 3, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 3), true },
        { Conv2DGeometry.Same(1, 6, 5, 2, 4, 3, 2, 1), false },
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void Conv2D_gradients_match_finite_differences(Conv2DGeometry g, bool flip)
    {
        const int batch = 2;
        double[] input = TestData.Uniform(1, batch * g.InputLength);
        double[] weights = TestData.Uniform(2, g.WeightLength);
        double[] bias = TestData.Uniform(3, g.OutChannels);
        double[] r = TestData.Uniform(4, batch * g.OutputLength);

        var gradInput = new double[input.Length];
        var gradWeights = new double[weights.Length];
        var gradBias = new double[bias.Length];
        Reference.Conv2DBackward<double>(g, input, weights, r, gradInput, gradWeights, gradBias, batch, flip);

        double Loss() => Weighted(r, output => Reference.Conv2D<double>(g, input, weights, bias, output, batch, flipKernel: flip));
        AssertMatches(gradInput, input, Loss);
        AssertMatches(gradWeights, weights, Loss);
        AssertMatches(gradBias, bias, Loss);
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Fused_activation_backward_then_conv_backward_is_the_gradient_of_the_fused_layer(Activation activation)
    {
        var g = new Conv2DGeometry(2, 5, 5, 3, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        double[] input = TestData.Uniform(5, g.InputLength);
        double[] weights = TestData.Uniform(6, g.WeightLength);
        double[] bias = TestData.Uniform(7, g.OutChannels);
        double[] r = TestData.Uniform(8, g.OutputLength);

        var output = new double[g.OutputLength];
        Reference.Conv2D<double>(g, input, weights, bias, output, activation: activation);
        var gradPre = new double[output.Length];
        Reference.ActivationBackward<double>(activation, output, r, gradPre);
        var gradInput = new double[input.Length];
        var gradWeights = new double[weights.Length];
        Reference.Conv2DBackward<double>(g, input, weights, gradPre, gradInput, gradWeights, [], 1);

        double Loss() => Weighted(r, o => Reference.Conv2D<double>(g, input, weights, bias, o, activation: activation));
        AssertMatches(gradInput, input, Loss);
        AssertMatches(gradWeights, weights, Loss);
    }

    [Theory]
    [InlineData(3, 6, 7, 2, 2, 2, 2, 0, 0)]
    [InlineData(2, 7, 7, 3, 3, 2, 2, 1, 1)]
    [InlineData(2, 5, 6, 3, 2, 1, 2, 2, 1)]
    public void MaxPool2D_gradient_matches_finite_differences(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var g = new Pool2DGeometry(c, h, w, kh, kw, sh, sw, ph, pw);
        double[] input = TestData.Uniform(9, 2 * g.InputLength);
        double[] r = TestData.Uniform(10, 2 * g.OutputLength);
        var gradInput = new double[input.Length];
        Reference.MaxPool2DBackward<double>(g, input, r, gradInput, 2);
        AssertMatches(gradInput, input, () => Weighted(r, o => Reference.MaxPool2D<double>(g, input, o, 2)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AvgPool2D_gradient_matches_finite_differences(bool countIncludePad)
    {
        foreach (Pool2DGeometry ceil in new[] { new Pool2DGeometry(2, 8, 7, 3, 2, 2, 2, 1, 0, 1, 1, ceilMode: true) })
        {
            double[] x = TestData.Uniform(25, 2 * ceil.InputLength);
            double[] dy = TestData.Uniform(26, 2 * ceil.OutputLength);
            var dx = new double[x.Length];
            Reference.AvgPool2DBackward<double>(ceil, dy, dx, 2, countIncludePad);
            AssertMatches(dx, x, () => Weighted(dy, o => Reference.AvgPool2D<double>(ceil, x, o, 2, countIncludePad)));
        }

        var g = new Pool2DGeometry(2, 7, 6, 3, 2, 2, 1, 1, 1);
        double[] input = TestData.Uniform(11, 2 * g.InputLength);
        double[] r = TestData.Uniform(12, 2 * g.OutputLength);
        var gradInput = new double[input.Length];
        Reference.AvgPool2DBackward<double>(g, r, gradInput, 2, countIncludePad);
        AssertMatches(gradInput, input, () => Weighted(r, o => Reference.AvgPool2D<double>(g, input, o, 2, countIncludePad)));
    }

    [Fact]
    public void GlobalAvgPool2D_gradient_matches_finite_differences()
    {
        double[] input = TestData.Uniform(13, 2 * 3 * 4 * 5);
        double[] r = TestData.Uniform(14, 2 * 3);
        var gradInput = new double[input.Length];
        Reference.GlobalAvgPool2DBackward<double>(3, 4, 5, r, gradInput, 2);
        AssertMatches(gradInput, input, () => Weighted(r, o => Reference.GlobalAvgPool2D<double>(3, 4, 5, input, o, 2)));
    }

    [Theory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Add_gradients_match_finite_differences(Activation activation)
    {
        double[] a = TestData.Uniform(17, 30), b = TestData.Uniform(18, 30), r = TestData.Uniform(19, 30);
        var output = new double[30];
        Reference.Add<double>(a, b, output, activation);
        var gradA = new double[30];
        var gradB = new double[30];
        Reference.AddBackward<double>(activation, output, r, gradA, gradB);
        Assert.Equal(gradA, gradB);
        double Loss() => Weighted(r, o => Reference.Add<double>(a, b, o, activation));
        AssertMatches(gradA, a, Loss);
        AssertMatches(gradB, b, Loss);
    }

    [Fact]
    public void BatchNorm2D_training_gradients_match_finite_differences()
    {
        const int channels = 3, height = 4, width = 5, batch = 2;
        double[] input = TestData.Uniform(21, batch * channels * height * width), scale = TestData.Uniform(22, channels), shift = TestData.Uniform(23, channels);
        double[] r = TestData.Uniform(24, input.Length);
        var gradInput = new double[input.Length];
        var gradScale = new double[channels];
        var gradShift = new double[channels];
        Reference.BatchNorm2DTrainingBackward<double>(channels, height, width, input, scale, r, gradInput, gradScale, gradShift, batch, 1e-3);

        double Loss() => Weighted(r, o => Reference.BatchNorm2DTraining<double>(channels, height, width, input, scale, shift, o, new double[channels], new double[channels], batch, 1e-3));
        AssertMatches(gradInput, input, Loss);
        AssertMatches(gradScale, scale, Loss);
        AssertMatches(gradShift, shift, Loss);
    }

    [Fact]
    public void GlobalMaxPool2D_gradient_matches_finite_differences()
    {
        double[] input = TestData.Uniform(15, 2 * 3 * 4 * 5);
        double[] r = TestData.Uniform(16, 2 * 3);
        var gradInput = new double[input.Length];
        Reference.GlobalMaxPool2DBackward<double>(3, 4, 5, input, r, gradInput, 2);
        Assert.Equal(6, gradInput.Count(g => g != 0));
        AssertMatches(gradInput, input, () => Weighted(r, o => Reference.GlobalMaxPool2D<double>(3, 4, 5, input, o, 2)));
    }

    [Theory]
    [InlineData(Activation.None)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Dense_gradients_match_finite_differences(Activation activation)
    {
        var g = new DenseGeometry(7, 4);
        const int batch = 3;
        double[] input = TestData.Uniform(15, batch * 7);
        double[] weights = TestData.Uniform(16, g.WeightLength);
        double[] bias = TestData.Uniform(17, 4);
        double[] r = TestData.Uniform(18, batch * 4);

        var output = new double[r.Length];
        Reference.Dense<double>(g, input, weights, bias, output, batch, activation);
        var gradPre = new double[r.Length];
        Reference.ActivationBackward<double>(activation, output, r, gradPre);
        var gradInput = new double[input.Length];
        var gradWeights = new double[weights.Length];
        var gradBias = new double[bias.Length];
        Reference.DenseBackward<double>(g, input, weights, gradPre, gradInput, gradWeights, gradBias, batch);

        double Loss() => Weighted(r, o => Reference.Dense<double>(g, input, weights, bias, o, batch, activation));
        AssertMatches(gradInput, input, Loss);
        AssertMatches(gradWeights, weights, Loss);
        AssertMatches(gradBias, bias, Loss);
    }

    [Fact]
    public void Softmax_gradient_matches_finite_differences()
    {
        double[] logits = TestData.Uniform(19, 3 * 5, -3, 3);
        double[] r = TestData.Uniform(20, logits.Length);
        var probabilities = new double[logits.Length];
        Reference.Softmax<double>(logits, probabilities, 3);
        var gradLogits = new double[logits.Length];
        Reference.SoftmaxBackward<double>(probabilities, r, gradLogits, 3);
        AssertMatches(gradLogits, logits, () => Weighted(r, o => Reference.Softmax<double>(logits, o, 3)));
    }

    [Fact]
    public void Mean_squared_error_gradient_matches_finite_differences()
    {
        double[] predictions = TestData.Uniform(21, 12);
        double[] targets = TestData.Uniform(22, 12);
        var gradient = new double[12];
        Reference.MeanSquaredErrorBackward<double>(predictions, targets, gradient);
        AssertMatches(gradient, predictions, () => Reference.MeanSquaredError<double>(predictions, targets));
    }

    [Fact]
    public void Binary_cross_entropy_gradient_matches_finite_differences()
    {
        double[] probabilities = TestData.Uniform(23, 12, 0.05, 0.95);
        double[] targets = [.. TestData.Uniform(24, 12, 0, 1).Select((t, i) => i % 3 == 0 ? t : Math.Round(t))];
        var gradient = new double[12];
        Reference.BinaryCrossEntropyBackward<double>(probabilities, targets, gradient);
        AssertMatches(gradient, probabilities, () => Reference.BinaryCrossEntropy<double>(probabilities, targets));
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_matches_finite_differences()
    {
        double[] logits = TestData.Uniform(25, 4 * 6, -4, 4);
        int[] labels = [0, 5, 2, 2];
        var gradient = new double[logits.Length];
        Reference.SoftmaxCrossEntropyBackward<double>(logits, labels, gradient, 4);
        AssertMatches(gradient, logits, () => Reference.SoftmaxCrossEntropy<double>(logits, labels, 4));
    }

    /// <summary>
    /// Every activation's derivative from its input, on values across every piece (ReLU6's top at 6, HardSwish's ends at
    /// ±3); and, where it is a function of the output, from the output too.
    /// </summary>
    [Theory]
    [InlineData(Activation.Relu, 0.01f)]
    [InlineData(Activation.Sigmoid, 0.01f)]
    [InlineData(Activation.Tanh, 0.01f)]
    [InlineData(Activation.LeakyRelu, 0.01f)]
    [InlineData(Activation.LeakyRelu, 0.3f)]
    [InlineData(Activation.LeakyRelu, -0.5f)]
    [InlineData(Activation.Relu6, 0.01f)]
    [InlineData(Activation.HardSigmoid, 0.01f)]
    [InlineData(Activation.HardSwish, 0.01f)]
    [InlineData(Activation.Silu, 0.01f)]
    [InlineData(Activation.Gelu, 0.01f)]
    public void Activation_gradients_match_finite_differences(Activation activation, float slope)
    {
        double[] x = TestData.Uniform(26, 60, -8, 8);
        double[] r = TestData.Uniform(27, 60);
        var y = new double[60];
        Reference.Activate<double>(activation, x, y, slope);
        double Loss() => Weighted(r, o => Reference.Activate<double>(activation, x, o, slope));

        var fromInput = new double[60];
        Reference.ActivationBackwardFromInput<double>(activation, x, r, fromInput, slope);
        AssertMatches(fromInput, x, Loss);

        if (activation is Activation.HardSwish or Activation.Silu or Activation.Gelu || slope < 0)
        {
            Assert.ThrowsAny<ArgumentException>(() => Reference.ActivationBackward<double>(activation, y, r, new double[60], slope));
            return;
        }

        var fromOutput = new double[60];
        Reference.ActivationBackward<double>(activation, y, r, fromOutput, slope);
        AssertMatches(fromOutput, x, Loss);
    }

    /// <summary>Σ r · f(), where <paramref name="forward"/> writes f() into a buffer as long as r.</summary>
    private static double Weighted(double[] r, Action<double[]> forward)
    {
        var output = new double[r.Length];
        forward(output);
        return r.Zip(output, (a, b) => a * b).Sum();
    }

    /// <summary>Checks every element of <paramref name="analytic"/> against a central difference of <paramref name="loss"/> in <paramref name="parameters"/>.</summary>
    private static void AssertMatches(double[] analytic, double[] parameters, Func<double> loss)
    {
        Assert.Equal(parameters.Length, analytic.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            double saved = parameters[i];
            parameters[i] = saved + Step;
            double up = loss();
            parameters[i] = saved - Step;
            double down = loss();
            parameters[i] = saved;

            double numeric = (up - down) / (2 * Step);
            double tolerance = 1e-6 + (1e-5 * Math.Abs(numeric));
            Assert.True(Math.Abs(numeric - analytic[i]) <= tolerance, $"element {i}: analytic {analytic[i]:R}, finite difference {numeric:R}");
        }
    }
}
