namespace KernelGen.Runtime.Tests;

/// <summary>
/// The activations' values against published constants (Φ, erfc, PyTorch's definitions worked by hand), the float
/// functions the kernels call against the double-precision reference (errors in units in the last place), and the checks
/// of their arguments.
/// </summary>
public class ActivationTests
{
    /// <summary>Values worked by hand from each definition, with Φ(±1) and σ(1) from tables.</summary>
    [Theory]
    [InlineData(Activation.LeakyRelu, 3.0, 3.0)]
    [InlineData(Activation.Relu6, -1.0, 0.0)]
    [InlineData(Activation.Relu6, 4.5, 4.5)]
    [InlineData(Activation.Relu6, 7.0, 6.0)]
    [InlineData(Activation.HardSigmoid, -3.5, 0.0)]
    [InlineData(Activation.HardSigmoid, 0.0, 0.5)]
    [InlineData(Activation.HardSigmoid, 1.5, 0.75)]
    [InlineData(Activation.HardSigmoid, 3.0, 1.0)]
    [InlineData(Activation.HardSwish, -4.0, 0.0)]
    [InlineData(Activation.HardSwish, -1.5, -0.375)]
    [InlineData(Activation.HardSwish, 1.5, 1.125)]
    [InlineData(Activation.HardSwish, 5.0, 5.0)]
    [InlineData(Activation.Silu, 0.0, 0.0)]
    [InlineData(Activation.Silu, 1.0, 0.7310585786300049)]
    [InlineData(Activation.Silu, -1.0, -0.2689414213699951)]
    [InlineData(Activation.Gelu, 0.0, 0.0)]
    [InlineData(Activation.Gelu, 1.0, 0.8413447460685429)]
    [InlineData(Activation.Gelu, -1.0, -0.15865525393145707)]
    [InlineData(Activation.Gelu, 2.0, 1.9544997361036416)]
    [InlineData(Activation.Gelu, -3.0, -0.004049694094890284)]
    public void Values_match_the_definitions(Activation activation, double x, double expected)
    {
        double[] output = new double[1];
        Reference.Activate<double>(activation, [x], output);
        Assert.Equal(expected, output[0], 1e-13);

        float single = ActivationFunctions.Apply(activation, (float)x);
        Assert.Equal((float)expected, single, (float)(2e-7 * Math.Max(1, Math.Abs(expected))));
        float[] generic = new float[1];
        Generic.Add([(float)x], [0f], generic, activation);
        Assert.Equal(single, generic[0]);
    }

    [Fact]
    public void LeakyRelu_takes_its_slope()
    {
        float[] output = new float[3];
        Reference.Activate<float>(Activation.LeakyRelu, [-2f, 0f, 5f], output, leakyReluSlope: 0.25f);
        Assert.Equal([-0.5f, 0f, 5f], output);
        Assert.Equal(-0.5f, ActivationFunctions.LeakyRelu(-2f, 0.25f));
        Assert.Equal(-3f, ActivationFunctions.Apply(Activation.LeakyRelu, -2f, 1.5f));

        // The default slope is the float 0.01f, as the attribute's property holds it.
        double[] exact = new double[1];
        Reference.Activate<double>(Activation.LeakyRelu, [-2.0], exact);
        Assert.Equal(-2.0 * 0.01f, exact[0]);
    }

    /// <summary>erfc against tabulated values (Abramowitz and Stegun 7.1; erfc(10) from its asymptotic series): the reference's to 10⁻¹¹, the kernels' fit to 10⁻⁹, relative.</summary>
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.004677734981047266)]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    public void Erfc_matches_tabulated_values(double x, double expected)
    {
        Assert.True(Math.Abs(Reference.Erfc(x) - expected) <= 1e-11 * expected, $"reference erfc({x}) = {Reference.Erfc(x):R}");
        Assert.True(Math.Abs(ActivationFunctions.Erfc(x) - expected) <= 1e-9 * expected, $"fitted erfc({x}) = {ActivationFunctions.Erfc(x):R}");
        Assert.True(Math.Abs(Reference.Erfc(-x) - (2 - expected)) <= 1e-15 * 2);
    }

    /// <summary>
    /// The float functions the kernels call, on 200 001 values across [−12, 12], against the reference rounded to float:
    /// the piecewise-linear ones exact or within one or two units in the last place (HardSwish rounds three times, as PyTorch's does),
    /// SiLU and GELU within the bounds docs/activations.md states.
    /// </summary>
    [Theory]
    [InlineData(Activation.LeakyRelu, 0)]
    [InlineData(Activation.Relu6, 0)]
    [InlineData(Activation.HardSigmoid, 1)]
    [InlineData(Activation.HardSwish, 2)]
    [InlineData(Activation.Silu, 2)]
    [InlineData(Activation.Gelu, 1)]
    [InlineData(Activation.Sigmoid, 2)]
    [InlineData(Activation.Tanh, 2)]
    public void Float_functions_are_within_their_stated_error(Activation activation, int ulps)
    {
        int worst = 0;
        float worstAt = 0;
        for (int i = -100_000; i <= 100_000; i++)
        {
            float x = i * 1.2e-4f;
            float[] expected = new float[1];
            Reference.Activate<float>(activation, [x], expected);
            int distance = Ulps(expected[0], ActivationFunctions.Apply(activation, x));
            if (distance > worst)
            {
                (worst, worstAt) = (distance, x);
            }
        }

        Assert.True(worst <= ulps, $"{activation}: {worst} ulps at x = {worstAt:R}");
    }

    /// <summary>The float derivatives a network's backward pass calls, against the reference's (from the input), across [−12, 12].</summary>
    [Theory]
    [InlineData(Activation.LeakyRelu)]
    [InlineData(Activation.HardSwish)]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.Gelu)]
    public void Float_derivatives_match_the_reference(Activation activation)
    {
        float[] x = [.. Enumerable.Range(-20_000, 40_001).Select(i => i * 6e-4f)];
        double[] expected = new double[x.Length];
        Reference.ActivationBackwardFromInput<double>(activation, [.. x.Select(v => (double)v)], [.. x.Select(_ => 1.0)], expected, -0.3f);
        for (int i = 0; i < x.Length; i++)
        {
            float actual = activation switch
            {
                Activation.LeakyRelu => ActivationFunctions.LeakyReluDerivative(x[i], -0.3f),
                Activation.HardSwish => ActivationFunctions.HardSwishDerivative(x[i]),
                Activation.Silu => ActivationFunctions.SiluDerivative(x[i]),
                _ => ActivationFunctions.GeluDerivative(x[i]),
            };
            Assert.True(Math.Abs(actual - expected[i]) <= 4e-7 * Math.Max(1, Math.Abs(expected[i])), $"{activation}'({x[i]:R}) = {actual:R}, reference {expected[i]:R}");
        }
    }

    [Fact]
    public void Special_values_propagate()
    {
        foreach (Activation activation in Enum.GetValues<Activation>().Where(a => a != Activation.None))
        {
            Assert.True(float.IsNaN(ActivationFunctions.Apply(activation, float.NaN)), $"{activation}(NaN)");
        }

        Assert.Equal(float.PositiveInfinity, ActivationFunctions.Gelu(float.PositiveInfinity));
        Assert.Equal(float.PositiveInfinity, ActivationFunctions.Silu(float.PositiveInfinity));
        Assert.Equal(6f, ActivationFunctions.Relu6(float.PositiveInfinity));
        Assert.True(float.IsNaN(ActivationFunctions.HardSwish(float.NegativeInfinity)), "−∞ · 0 is NaN, as in PyTorch's hardswish");
    }

    [Fact]
    public void A_slope_that_is_not_finite_is_rejected_before_writing()
    {
        float[] output = [7f, 7f];
        Assert.Equal("leakyReluSlope", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Reference.Activate<float>(Activation.LeakyRelu, [1f, 2f], output, float.NaN)).ParamName);
        Assert.Equal("leakyReluSlope", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Generic.Add([1f, 2f], [1f, 2f], output, Activation.LeakyRelu, float.PositiveInfinity)).ParamName);
        Assert.Equal([7f, 7f], output);
    }

    [Theory]
    [InlineData(Activation.HardSwish, 0.01f, "activation")]
    [InlineData(Activation.Silu, 0.01f, "activation")]
    [InlineData(Activation.Gelu, 0.01f, "activation")]
    [InlineData(Activation.LeakyRelu, -0.1f, "leakyReluSlope")]
    public void A_backward_pass_from_the_output_refuses_what_needs_the_input(Activation activation, float slope, string parameter)
    {
        float[] gradient = [7f];
        ArgumentException e = Assert.Throws<ArgumentException>(() => Reference.ActivationBackward<float>(activation, [1f], [1f], gradient, slope));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("ActivationBackwardFromInput", e.Message);
        Assert.Throws<ArgumentException>(() => Reference.AddBackward<float>(activation, [1f], [1f], gradient, [], slope));
        Assert.Equal([7f], gradient);
    }

    /// <summary>The distance between two floats in units in the last place (0 when both are NaN or equal).</summary>
    private static int Ulps(float a, float b)
    {
        if (a.Equals(b) || (float.IsNaN(a) && float.IsNaN(b)))
        {
            return 0;
        }

        int ia = BitConverter.SingleToInt32Bits(a), ib = BitConverter.SingleToInt32Bits(b);
        ia = ia < 0 ? int.MinValue - ia : ia;
        ib = ib < 0 ? int.MinValue - ib : ib;
        return (int)Math.Min(int.MaxValue, Math.Abs((long)ia - ib));
    }
}

/// <summary>The generic element-wise kernels allocate nothing per call (the baseline rows of the benchmark are allocation-free too).</summary>
public class GenericAllocationTests
{
    [Fact]
    public void Batch_norm_add_and_a_hard_swish_depthwise_convolution_allocate_nothing_after_warm_up()
    {
        float[] x = new float[4 * 6 * 7], y = new float[x.Length], stats = [1f, 0.5f, 2f, 1f];
        float[] mean = [0f, 0.1f, 0.2f, 0.3f];
        var depthwise = new Conv2DGeometry(4, 6, 7, 4, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1, groups: 4);
        float[] weights = new float[depthwise.WeightLength], bias = new float[4];
        void Run()
        {
            Generic.BatchNorm2D(4, 6, 7, x, stats, stats, mean, stats, y, activation: Activation.Relu);
            Generic.Add(x, y, y, Activation.HardSwish);
            Generic.Conv2D(depthwise, x, weights, bias, y, activation: Activation.HardSwish);
        }

        Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
