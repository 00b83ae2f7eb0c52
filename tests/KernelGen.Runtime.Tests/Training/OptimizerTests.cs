using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>
/// SGD and Adam checked step by step against the formulas of <c>torch.optim.SGD</c> and <c>torch.optim.Adam</c>,
/// written again here in double precision: several steps with changing gradients, momentum and weight decay,
/// frozen parameters, per-parameter state, and the checks of every setting.
/// </summary>
public class OptimizerTests
{
    private const int Length = 7;
    private const int Steps = 5;

    /// <summary>A parameter of <see cref="Length"/> values drawn from <paramref name="seed"/>.</summary>
    private static Parameter NewParameter(int seed, string name = "p")
    {
        var parameter = new Parameter(name, [Length], Initialization.Zeros, 1, 1);
        TestData.ToFloat(TestData.Uniform(seed, Length)).CopyTo(parameter.Values, 0);
        return parameter;
    }

    /// <summary>The gradient of step <paramref name="step"/> (from 1), already rounded to float as the optimizer sees it.</summary>
    private static double[] Gradient(int seed, int step) => [.. TestData.ToFloat(TestData.Uniform((seed * 100) + step, Length, -2, 2)).Select(g => (double)g)];

    private static double[] Doubles(float[] values) => [.. values.Select(v => (double)v)];

    private static void SetGradient(Parameter parameter, double[] gradient) => TestData.ToFloat(gradient).CopyTo(parameter.Gradients, 0);

    /// <summary>Each value within 1e-6 of the expected one, relative to it (or to 0.1 for values nearer zero).</summary>
    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-6 * Math.Max(Math.Abs(expected[i]), 0.1);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"{what}: value {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }

    /// <summary><c>torch.optim.SGD</c> (no dampening, not Nesterov) on one parameter, in double.</summary>
    private sealed class SgdReference(double learningRate, double momentum, double weightDecay, double[] values)
    {
        private double[]? _buffer;

        public double[] Values { get; } = (double[])values.Clone();

        public double LearningRate { get; set; } = learningRate;

        public void Step(double[] gradient)
        {
            double[] d = [.. gradient.Select((g, i) => g + (weightDecay * Values[i]))];
            if (momentum != 0)
            {
                // PyTorch starts the buffer at the first gradient, then b ← μb + d.
                _buffer = _buffer is null ? d : [.. _buffer.Select((b, i) => (momentum * b) + d[i])];
                d = _buffer;
            }

            for (int i = 0; i < Values.Length; i++)
            {
                Values[i] -= LearningRate * d[i];
            }
        }
    }

    /// <summary>Adam as Kingma and Ba write it (bias-corrected moments m̂ and v̂), on one parameter, in double.</summary>
    private sealed class AdamReference(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, double[] values)
    {
        private readonly double[] _m = new double[values.Length];
        private readonly double[] _v = new double[values.Length];
        private int _t;

        public double[] Values { get; } = (double[])values.Clone();

        public void Step(double[] gradient)
        {
            _t++;
            for (int i = 0; i < Values.Length; i++)
            {
                double g = gradient[i] + (weightDecay * Values[i]);
                _m[i] = (beta1 * _m[i]) + ((1 - beta1) * g);
                _v[i] = (beta2 * _v[i]) + ((1 - beta2) * g * g);
                double mHat = _m[i] / (1 - Math.Pow(beta1, _t));
                double vHat = _v[i] / (1 - Math.Pow(beta2, _t));
                Values[i] -= learningRate * mHat / (Math.Sqrt(vHat) + epsilon);
            }
        }
    }

    [Theory]
    [InlineData(0.1f, 0f, 0f)]
    [InlineData(0.05f, 0.9f, 0f)]
    [InlineData(0.1f, 0f, 0.01f)]
    [InlineData(0.02f, 0.5f, 0.1f)]
    public void Sgd_matches_PyTorch_formula_over_five_steps(float learningRate, float momentum, float weightDecay)
    {
        Parameter parameter = NewParameter(1);
        var reference = new SgdReference(learningRate, momentum, weightDecay, Doubles(parameter.Values));
        var sgd = new Sgd(learningRate, momentum, weightDecay);

        for (int step = 1; step <= Steps; step++)
        {
            double[] gradient = Gradient(1, step);
            SetGradient(parameter, gradient);
            sgd.Step([parameter]);
            reference.Step(gradient);
            AssertClose(reference.Values, parameter.Values, $"step {step}");
        }

        Assert.Equal(Steps, sgd.Steps);
    }

    [Fact]
    public void Sgd_without_momentum_or_decay_subtracts_exactly_the_learning_rate_times_the_gradient()
    {
        var parameter = new Parameter("p", [3], Initialization.Zeros, 1, 1);
        float[] start = [1f, -2f, 0.5f];
        start.CopyTo(parameter.Values, 0);
        float[] gradient = [4f, 0.25f, -8f];
        gradient.CopyTo(parameter.Gradients, 0);

        new Sgd(0.5f).Step([parameter]);

        Assert.Equal([-1f, -2.125f, 4.5f], parameter.Values);
        Assert.Equal(gradient, parameter.Gradients);
    }

    [Fact]
    public void Sgd_learning_rate_may_change_between_steps_and_the_momentum_buffer_carries_over()
    {
        Parameter parameter = NewParameter(2);
        var reference = new SgdReference(0.1, 0.9, 0.001, Doubles(parameter.Values));
        var sgd = new Sgd(0.1f, 0.9f, 0.001f);
        float[] schedule = [0.1f, 0.05f, 0.025f, 0.2f];

        for (int step = 1; step <= schedule.Length; step++)
        {
            sgd.LearningRate = schedule[step - 1];
            reference.LearningRate = schedule[step - 1];
            double[] gradient = Gradient(2, step);
            SetGradient(parameter, gradient);
            sgd.Step([parameter]);
            reference.Step(gradient);
        }

        AssertClose(reference.Values, parameter.Values, "after the schedule");
    }

    [Theory]
    [InlineData(1e-3f, 0.9f, 0.999f, 1e-8f, 0f)]
    [InlineData(0.01f, 0.8f, 0.99f, 1e-6f, 0.05f)]
    [InlineData(0.1f, 0f, 0.5f, 1e-8f, 0f)]
    [InlineData(0.05f, 0.95f, 0.5f, 1e-4f, 0.5f)]
    public void Adam_matches_the_bias_corrected_textbook_formula_over_five_steps(float learningRate, float beta1, float beta2, float epsilon, float weightDecay)
    {
        Parameter parameter = NewParameter(3);
        var reference = new AdamReference(learningRate, beta1, beta2, epsilon, weightDecay, Doubles(parameter.Values));
        var adam = new Adam(learningRate, beta1, beta2, epsilon, weightDecay);

        for (int step = 1; step <= Steps; step++)
        {
            double[] gradient = Gradient(3, step);
            SetGradient(parameter, gradient);
            adam.Step([parameter]);
            reference.Step(gradient);
            AssertClose(reference.Values, parameter.Values, $"step {step}");
        }
    }

    [Fact]
    public void Adam_defaults_are_PyTorchs()
    {
        var adam = new Adam();

        Assert.Equal(1e-3f, adam.LearningRate);
        Assert.Equal(0.9f, adam.Beta1);
        Assert.Equal(0.999f, adam.Beta2);
        Assert.Equal(1e-8f, adam.Epsilon);
        Assert.Equal(0f, adam.WeightDecay);
    }

    [Fact]
    public void Adam_first_step_moves_every_value_by_the_learning_rate_against_the_gradient_sign()
    {
        // At t = 1, m̂ = g and v̂ = g², so the step is η·g / (|g| + ε): η times the sign of g, whatever its size.
        Parameter parameter = NewParameter(4);
        float[] before = (float[])parameter.Values.Clone();
        float[] gradient = [1e-3f, -1e-3f, 5f, -5f, 300f, -0.5f, 0.01f];
        gradient.CopyTo(parameter.Gradients, 0);

        new Adam(0.01f).Step([parameter]);

        for (int i = 0; i < Length; i++)
        {
            double moved = parameter.Values[i] - before[i];
            Assert.True(Math.Abs(moved + (0.01 * Math.Sign(gradient[i]))) < 1e-6, $"value {i} moved {moved}");
        }
    }

    [Fact]
    public void Each_parameter_has_its_own_state()
    {
        Parameter first = NewParameter(5, "a"), second = NewParameter(6, "b");
        var references = new[]
        {
            new AdamReference(0.01, 0.9, 0.999, 1e-8, 0, Doubles(first.Values)),
            new AdamReference(0.01, 0.9, 0.999, 1e-8, 0, Doubles(second.Values)),
        };
        var adam = new Adam(0.01f);

        for (int step = 1; step <= Steps; step++)
        {
            double[] a = Gradient(5, step), b = Gradient(6, step);
            SetGradient(first, a);
            SetGradient(second, b);
            adam.Step([first, second]);
            references[0].Step(a);
            references[1].Step(b);
        }

        AssertClose(references[0].Values, first.Values, "first parameter");
        AssertClose(references[1].Values, second.Values, "second parameter");
    }

    public static TheoryData<string> OptimizerNames => ["Sgd", "Adam"];

    private static Optimizer Create(string name) => name == "Sgd" ? new Sgd(0.1f, momentum: 0.9f, weightDecay: 0.01f) : new Adam(0.01f, weightDecay: 0.01f);

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void A_frozen_parameter_keeps_its_values_and_gradient_while_the_others_move(string name)
    {
        Parameter frozen = NewParameter(7, "frozen"), trained = NewParameter(8, "trained");
        frozen.Frozen = true;
        SetGradient(frozen, Gradient(7, 1));
        SetGradient(trained, Gradient(8, 1));
        float[] frozenValues = (float[])frozen.Values.Clone(), frozenGradient = (float[])frozen.Gradients.Clone();
        float[] trainedValues = (float[])trained.Values.Clone();
        Optimizer optimizer = Create(name);

        for (int step = 0; step < 3; step++)
        {
            optimizer.Step([frozen, trained]);
        }

        Assert.Equal(frozenValues, frozen.Values);
        Assert.Equal(frozenGradient, frozen.Gradients);
        Assert.All(Enumerable.Range(0, Length), i => Assert.NotEqual(trainedValues[i], trained.Values[i]));
    }

    [Fact]
    public void Sgd_momentum_is_not_advanced_while_a_parameter_is_frozen()
    {
        Parameter parameter = NewParameter(9);
        var reference = new SgdReference(0.1, 0.9, 0.01, Doubles(parameter.Values));
        var sgd = new Sgd(0.1f, 0.9f, 0.01f);

        SetGradient(parameter, Gradient(9, 1));
        sgd.Step([parameter]);
        reference.Step(Gradient(9, 1));
        parameter.Frozen = true;
        for (int step = 2; step <= 3; step++)
        {
            SetGradient(parameter, Gradient(9, step));
            sgd.Step([parameter]);
        }

        parameter.Frozen = false;
        SetGradient(parameter, Gradient(9, 4));
        sgd.Step([parameter]);
        reference.Step(Gradient(9, 4));

        AssertClose(reference.Values, parameter.Values, "the frozen steps skipped");
    }

    [Fact]
    public void Adam_moments_and_step_count_are_not_advanced_while_a_parameter_is_frozen()
    {
        // As in PyTorch, where a parameter without a gradient is skipped: its moments and its own step
        // count (which sets the bias correction) stay as they were.
        Parameter always = NewParameter(10, "always"), sometimes = NewParameter(11, "sometimes");
        var reference = new AdamReference(0.01, 0.9, 0.999, 1e-8, 0, Doubles(sometimes.Values));
        var adam = new Adam(0.01f);

        for (int step = 1; step <= 6; step++)
        {
            SetGradient(always, Gradient(10, step));
            SetGradient(sometimes, Gradient(11, step));
            sometimes.Frozen = step is 2 or 3 or 4;
            adam.Step([always, sometimes]);
            if (!sometimes.Frozen)
            {
                reference.Step(Gradient(11, step));
            }
        }

        Assert.Equal(6, adam.Steps);
        AssertClose(reference.Values, sometimes.Values, "after steps 1, 5 and 6 of 6");
    }

    [Fact]
    public void Adam_first_update_of_a_parameter_frozen_until_now_is_a_first_step()
    {
        Parameter backbone = NewParameter(12, "backbone"), head = NewParameter(13, "head");
        backbone.Frozen = true;
        var adam = new Adam(0.01f);
        for (int step = 1; step <= 10; step++)
        {
            SetGradient(head, Gradient(13, step));
            adam.Step([backbone, head]);
        }

        backbone.Frozen = false;
        SetGradient(backbone, Gradient(12, 1));
        var reference = new AdamReference(0.01, 0.9, 0.999, 1e-8, 0, Doubles(backbone.Values));
        reference.Step(Gradient(12, 1));
        adam.Step([backbone, head]);

        AssertClose(reference.Values, backbone.Values, "the unfrozen parameter");
    }

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Reset_forgets_the_state_and_the_step_count(string name)
    {
        Parameter parameter = NewParameter(14);
        Optimizer optimizer = Create(name);
        for (int step = 1; step <= 3; step++)
        {
            SetGradient(parameter, Gradient(14, step));
            optimizer.Step([parameter]);
        }

        optimizer.Reset();
        Assert.Equal(0, optimizer.Steps);
        float[] start = (float[])parameter.Values.Clone();
        SetGradient(parameter, Gradient(14, 4));
        optimizer.Step([parameter]);
        float[] afterReset = (float[])parameter.Values.Clone();

        start.CopyTo(parameter.Values, 0);
        Create(name).Step([parameter]);

        Assert.Equal(parameter.Values, afterReset);
        Assert.Equal(1, optimizer.Steps);
    }

    [Fact]
    public void Step_of_null_throws_naming_the_parameters()
    {
        Assert.Throws<ArgumentNullException>("parameters", () => new Sgd(0.1f).Step(null!));
        Assert.Throws<ArgumentNullException>("parameters", () => new Adam().Step(null!));
    }

    public static TheoryData<string, float, Func<float, Optimizer>> BadSettings => new()
    {
        { "learningRate", 0f, v => new Sgd(v) },
        { "learningRate", -0.1f, v => new Sgd(v) },
        { "learningRate", float.NaN, v => new Sgd(v) },
        { "learningRate", float.PositiveInfinity, v => new Sgd(v) },
        { "momentum", -0.1f, v => new Sgd(0.1f, momentum: v) },
        { "momentum", 1f, v => new Sgd(0.1f, momentum: v) },
        { "momentum", float.NaN, v => new Sgd(0.1f, momentum: v) },
        { "weightDecay", -1e-4f, v => new Sgd(0.1f, weightDecay: v) },
        { "weightDecay", float.NaN, v => new Sgd(0.1f, weightDecay: v) },
        { "weightDecay", float.PositiveInfinity, v => new Sgd(0.1f, weightDecay: v) },
        { "learningRate", 0f, v => new Adam(v) },
        { "learningRate", -1e-3f, v => new Adam(v) },
        { "learningRate", float.NaN, v => new Adam(v) },
        { "beta1", 1f, v => new Adam(beta1: v) },
        { "beta1", -0.1f, v => new Adam(beta1: v) },
        { "beta1", float.NaN, v => new Adam(beta1: v) },
        { "beta2", 1f, v => new Adam(beta2: v) },
        { "beta2", 1.5f, v => new Adam(beta2: v) },
        { "beta2", -0.5f, v => new Adam(beta2: v) },
        { "epsilon", 0f, v => new Adam(epsilon: v) },
        { "epsilon", -1e-8f, v => new Adam(epsilon: v) },
        { "epsilon", float.PositiveInfinity, v => new Adam(epsilon: v) },
        { "weightDecay", -0.01f, v => new Adam(weightDecay: v) },
        { "weightDecay", float.NegativeInfinity, v => new Adam(weightDecay: v) },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void A_bad_setting_is_an_ArgumentOutOfRangeException_naming_it(string parameter, float value, Func<float, Optimizer> create)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(parameter, () => create(value));

        Assert.Equal(value, e.ActualValue);
    }

    [Fact]
    public void The_edges_of_the_ranges_are_accepted()
    {
        var sgd = new Sgd(float.Epsilon, momentum: 0f, weightDecay: 0f);
        var adam = new Adam(float.Epsilon, beta1: 0f, beta2: 0f, epsilon: float.Epsilon, weightDecay: 0f);
        var nearOne = new Adam(beta1: 0.99999994f, beta2: 0.99999994f);

        Assert.Equal(float.Epsilon, sgd.LearningRate);
        Assert.Equal(0f, sgd.Momentum);
        Assert.Equal(0f, adam.Beta2);
        Assert.Equal(0.99999994f, nearOne.Beta1);
    }
}
