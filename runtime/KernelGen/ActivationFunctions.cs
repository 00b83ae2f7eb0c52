using System;
using System.Runtime.CompilerServices;

namespace KernelGen;

/// <summary>
/// The activations of <see cref="Activation"/> on one <see cref="float"/>, as the generated kernels and
/// <see cref="Generic"/> compute them (the vector paths compute the piecewise-linear ones the same way, lane by lane).
/// <see cref="Reference"/> computes them independently, in double precision.
/// </summary>
/// <remarks>
/// <see cref="Silu"/> uses <see cref="MathF.Exp"/>; <see cref="Gelu"/> computes <c>erfc</c> in double precision from a
/// polynomial fit whose relative error is below 4·10⁻¹⁰ (tools/fits/erfc.py derives it), so both are within a few units
/// in the last place of the float result. docs/activations.md states each function's error as the tests measure it.
/// </remarks>
public static class ActivationFunctions
{
    /// <summary>The slope of <see cref="Activation.LeakyRelu"/> when a layer does not set one (PyTorch's and ONNX's default).</summary>
    public const float DefaultLeakyReluSlope = 0.01f;

    /// <summary><paramref name="activation"/> of <paramref name="x"/>.</summary>
    /// <param name="activation">The function.</param>
    /// <param name="x">The value.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for negative values.</param>
    public static float Apply(Activation activation, float x, float leakyReluSlope = DefaultLeakyReluSlope) => activation switch
    {
        Activation.Relu => MathF.Max(x, 0),
        Activation.Sigmoid => Sigmoid(x),
        Activation.Tanh => MathF.Tanh(x),
        Activation.LeakyRelu => LeakyRelu(x, leakyReluSlope),
        Activation.Relu6 => Relu6(x),
        Activation.HardSigmoid => HardSigmoid(x),
        Activation.HardSwish => HardSwish(x),
        Activation.Silu => Silu(x),
        Activation.Gelu => Gelu(x),
        _ => x,
    };

    /// <summary><c>1 / (1 + exp(−x))</c>.</summary>
    /// <param name="x">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    /// <summary>The derivative of <see cref="Sigmoid"/>: <c>σ(x) (1 − σ(x))</c>.</summary>
    /// <param name="x">The activation's input.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidDerivative(float x)
    {
        float sigma = Sigmoid(x);
        return sigma * (1 - sigma);
    }

    /// <summary><c>x</c> where <c>x &gt; 0</c>, else <c>slope · x</c>.</summary>
    /// <param name="x">The value.</param>
    /// <param name="slope">The factor for values that are not positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LeakyRelu(float x, float slope) => x > 0 ? x : slope * x;

    /// <summary><c>min(max(0, x), 6)</c>.</summary>
    /// <param name="x">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu6(float x) => MathF.Min(MathF.Max(x, 0), 6);

    /// <summary><c>relu6(x + 3) / 6</c>.</summary>
    /// <param name="x">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HardSigmoid(float x) => Relu6(x + 3) / 6;

    /// <summary><c>x · relu6(x + 3) / 6</c>, multiplied before it is divided, as PyTorch computes it.</summary>
    /// <param name="x">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HardSwish(float x) => x * Relu6(x + 3) / 6;

    /// <summary><c>x / (1 + exp(-x))</c>.</summary>
    /// <param name="x">The value.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Silu(float x) => x / (1 + MathF.Exp(-x));

    /// <summary>
    /// <c>x · Φ(x)</c>, with <c>Φ(x) = erfc(−x / √2) / 2</c> computed in double precision (so no cancellation for negative
    /// <c>x</c>, where <c>1 + erf</c> would lose the small result).
    /// </summary>
    /// <param name="x">The value.</param>
    public static float Gelu(float x)
    {
        double tail = 0.5 * Erfc(Math.Abs(x) * 0.70710678118654752);
        return (float)(x * (x > 0 ? 1 - tail : tail));
    }

    /// <summary>
    /// The derivative of <see cref="LeakyRelu"/> at <paramref name="x"/>: 1 where <c>x &gt; 0</c>, else the slope (PyTorch's
    /// choice at 0).
    /// </summary>
    /// <param name="x">The activation's input.</param>
    /// <param name="slope">The factor for values that are not positive.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LeakyReluDerivative(float x, float slope) => x > 0 ? 1 : slope;

    /// <summary>The derivative of <see cref="HardSwish"/>: 0 below −3, <c>x/3 + 1/2</c> from −3 to 3, 1 above (PyTorch's pieces).</summary>
    /// <param name="x">The activation's input.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HardSwishDerivative(float x) => x < -3 ? 0 : x <= 3 ? (x / 3) + 0.5f : 1;

    /// <summary>The derivative of <see cref="Silu"/>: <c>σ(x) (1 + x (1 − σ(x)))</c>, in double precision (1 − σ cancels for large x).</summary>
    /// <param name="x">The activation's input.</param>
    public static float SiluDerivative(float x)
    {
        double sigma = 1 / (1 + Math.Exp(-x));
        return (float)(sigma * (1 + (x * (1 - sigma))));
    }

    /// <summary>The derivative of <see cref="Gelu"/>: <c>Φ(x) + x φ(x)</c>, in double precision as <see cref="Gelu"/> is.</summary>
    /// <param name="x">The activation's input.</param>
    public static float GeluDerivative(float x)
    {
        double tail = 0.5 * Erfc(Math.Abs(x) * 0.70710678118654752);
        double cdf = x > 0 ? 1 - tail : tail;
        return (float)(cdf + (x * Math.Exp(-0.5 * x * x) * 0.3989422804014327));
    }

    /// <summary>
    /// <c>erfc(z)</c> for <c>z ≥ 0</c>: <c>t · exp(P(t) − z²)</c> with <c>t = 1 / (1 + z/2)</c> and <c>P</c> a degree-14
    /// polynomial fitted to <c>ln(erfc(z) / t) + z²</c> on <c>t ∈ [0, 1]</c> (Chebyshev fit in 40-digit arithmetic,
    /// tools/fits/erfc.py); relative error below 4·10⁻¹⁰ where the result is a normal double.
    /// </summary>
    internal static double Erfc(double z)
    {
        double t = 1 / (1 + (0.5 * z));
        double p = -0.14600634854716274;
        p = (p * t) + 1.1917275065282005;
        p = (p * t) - 4.242001365520727;
        p = (p * t) + 8.539984063826854;
        p = (p * t) - 10.52346995951822;
        p = (p * t) + 8.063658982853582;
        p = (p * t) - 3.9158757303524823;
        p = (p * t) + 1.4571605803462393;
        p = (p * t) - 0.4401411693567834;
        p = (p * t) - 0.0861170165263845;
        p = (p * t) - 0.09212692498528388;
        p = (p * t) + 0.0837328301277;
        p = (p * t) + 0.37498649460893874;
        p = (p * t) + 1.0000001804421748;
        p = (p * t) - 1.2655121238854328;
        return t * Math.Exp(p - (z * z));
    }
}
