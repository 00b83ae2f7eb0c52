using System;
using System.Collections.Generic;
using System.Numerics;
using System.Linq;

namespace KernelGen.Training;

/// <summary>
/// Changes parameters along their gradients. Each optimizer keeps its per-parameter state (momentum,
/// moment estimates, and as in PyTorch the parameter's own step count) itself, keyed by the parameter;
/// frozen parameters are skipped and keep their state.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Parameter, State> _state = new(ReferenceEqualityComparer.Instance);

    /// <summary>Steps taken so far.</summary>
    public int Steps { get; private set; }

    /// <summary>Updates every parameter that is not frozen from its <see cref="Parameter.Gradients"/>.</summary>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Steps++;
        for (int p = 0; p < parameters.Count; p++)
        {
            Parameter parameter = parameters[p]; // not foreach: an interface's enumerator is allocated on every step
            if (parameter.Frozen)
            {
                continue;
            }

            if (!_state.TryGetValue(parameter, out State? state))
            {
                state = new State(StateArrays, parameter.Values.Length);
                _state.Add(parameter, state);
            }

            state.Steps++;
            Update(parameter.Values, parameter.Gradients, state.Arrays, state.Steps);
            parameter.ValuesChanged();
        }
    }

    /// <summary>Forgets every parameter's state (as a new optimizer would), and the step count.</summary>
    public void Reset()
    {
        _state.Clear();
        Steps = 0;
    }

    /// <summary>Arrays of state the optimizer keeps per parameter, each as long as the parameter.</summary>
    protected abstract int StateArrays { get; }

    /// <summary>Updates one parameter's <paramref name="values"/> in place.</summary>
    /// <param name="values">The parameter's values.</param>
    /// <param name="gradients">The parameter's gradient.</param>
    /// <param name="state">The parameter's <see cref="StateArrays"/> arrays of state.</param>
    /// <param name="parameterSteps">The parameter's own step count, this one included: steps while it was frozen do not count.</param>
    protected abstract void Update(Span<float> values, ReadOnlySpan<float> gradients, float[][] state, int parameterSteps);

    /// <summary>One parameter's state arrays and the steps it has taken.</summary>
    private sealed class State(int arrays, int length)
    {
        public float[][] Arrays { get; } = [.. Enumerable.Range(0, arrays).Select(_ => new float[length])];

        public int Steps { get; set; }
    }
}

/// <summary>
/// Stochastic gradient descent with momentum, as PyTorch's <c>torch.optim.SGD</c> (no dampening, not Nesterov):
/// <c>b ← μ·b + (g + λ·p)</c>, <c>p ← p − η·b</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">η, positive.</param>
    /// <param name="momentum">μ, in [0, 1).</param>
    /// <param name="weightDecay">λ, an L2 penalty added to the gradient; zero or positive.</param>
    public Sgd(float learningRate, float momentum = 0f, float weightDecay = 0f)
    {
        Check.Positive(learningRate, nameof(learningRate));
        Check.Fraction(momentum, nameof(momentum));
        Check.NotNegative(weightDecay, nameof(weightDecay));
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    /// <summary>η; may be changed between steps (a schedule).</summary>
    public float LearningRate { get; set; }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    protected override int StateArrays => 1;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, float[][] state, int parameterSteps)
    {
        float[] velocity = state[0];
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // The same operations in the same order as the scalar loop, so every path gives the same bits.
            Vector<float> decay = new(WeightDecay), momentum = new(Momentum), rate = new(LearningRate);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> p = new(values[i..]);
                Vector<float> g = new Vector<float>(gradients[i..]) + (decay * p);
                Vector<float> b = (momentum * new Vector<float>(velocity, i)) + g;
                b.CopyTo(velocity, i);
                (p - (rate * b)).CopyTo(values[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            float g = gradients[i] + (WeightDecay * values[i]);
            float b = (Momentum * velocity[i]) + g;
            velocity[i] = b;
            values[i] -= LearningRate * b;
        }
    }
}

/// <summary>
/// Adam (Kingma and Ba), as PyTorch's <c>torch.optim.Adam</c>: <c>m ← β₁m + (1−β₁)g</c>, <c>v ← β₂v + (1−β₂)g²</c>,
/// <c>p ← p − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)</c>, with <c>g</c> the gradient plus <c>λ·p</c>.
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>Creates the optimizer; the defaults are PyTorch's.</summary>
    /// <param name="learningRate">η, positive.</param>
    /// <param name="beta1">β₁, in [0, 1).</param>
    /// <param name="beta2">β₂, in [0, 1).</param>
    /// <param name="epsilon">ε, positive.</param>
    /// <param name="weightDecay">λ, an L2 penalty added to the gradient; zero or positive.</param>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
    {
        Check.Positive(learningRate, nameof(learningRate));
        Check.Fraction(beta1, nameof(beta1));
        Check.Fraction(beta2, nameof(beta2));
        Check.Positive(epsilon, nameof(epsilon));
        Check.NotNegative(weightDecay, nameof(weightDecay));
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>η; may be changed between steps (a schedule).</summary>
    public float LearningRate { get; set; }

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>λ.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    protected override int StateArrays => 2;

    /// <inheritdoc/>
    protected override void Update(Span<float> values, ReadOnlySpan<float> gradients, float[][] state, int parameterSteps)
    {
        float[] m = state[0], v = state[1];
        float stepSize = (float)(LearningRate / (1 - Math.Pow(Beta1, parameterSteps)));
        float correction2 = (float)Math.Sqrt(1 - Math.Pow(Beta2, parameterSteps));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // The same operations in the same order as the scalar loop, so every path gives the same bits.
            Vector<float> decay = new(WeightDecay), beta1 = new(Beta1), beta2 = new(Beta2), rest1 = new(1 - Beta1), rest2 = new(1 - Beta2);
            Vector<float> size = new(stepSize), correction = new(correction2), epsilon = new(Epsilon);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<float> p = new(values[i..]);
                Vector<float> g = new Vector<float>(gradients[i..]) + (decay * p);
                Vector<float> mi = (beta1 * new Vector<float>(m, i)) + (rest1 * g);
                Vector<float> vi = (beta2 * new Vector<float>(v, i)) + (rest2 * g * g);
                mi.CopyTo(m, i);
                vi.CopyTo(v, i);
                (p - (size * mi / ((Vector.SquareRoot(vi) / correction) + epsilon))).CopyTo(values[i..]);
            }
        }

        for (; i < values.Length; i++)
        {
            float g = gradients[i] + (WeightDecay * values[i]);
            m[i] = (Beta1 * m[i]) + ((1 - Beta1) * g);
            v[i] = (Beta2 * v[i]) + ((1 - Beta2) * g * g);
            values[i] -= stepSize * m[i] / ((MathF.Sqrt(v[i]) / correction2) + Epsilon);
        }
    }
}

/// <summary>Checks of optimizer settings.</summary>
internal static class Check
{
    public static void Positive(float value, string name)
    {
        if (!(value > 0) || float.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "It must be positive and finite.");
        }
    }

    public static void NotNegative(float value, string name)
    {
        if (!(value >= 0) || float.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "It must be zero or positive, and finite.");
        }
    }

    public static void Fraction(float value, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "It must be at least 0 and less than 1.");
        }
    }
}
