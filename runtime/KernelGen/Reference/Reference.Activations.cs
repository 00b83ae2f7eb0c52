using System;
using System.Globalization;
using System.Numerics;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>Applies <paramref name="activation"/> to every element; <paramref name="output"/> may be <paramref name="input"/> itself.</summary>
    /// <param name="activation">The function to apply.</param>
    /// <param name="input">The values.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Activate<T>(Activation activation, ReadOnlySpan<T> input, Span<T> output, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation, leakyReluSlope);
        KernelArguments.Length(output.Length, input.Length, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = Round<T>(Activate(activation, D(input[i]), leakyReluSlope));
        }
    }

    /// <summary><c>max(0, x)</c> element-wise.</summary>
    /// <param name="input">The values.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    public static void Relu<T>(ReadOnlySpan<T> input, Span<T> output)
        where T : IFloatingPointIeee754<T> => Activate(Activation.Relu, input, output);

    /// <summary><c>1 / (1 + exp(-x))</c> element-wise.</summary>
    /// <param name="input">The values.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    public static void Sigmoid<T>(ReadOnlySpan<T> input, Span<T> output)
        where T : IFloatingPointIeee754<T> => Activate(Activation.Sigmoid, input, output);

    /// <summary><c>tanh(x)</c> element-wise.</summary>
    /// <param name="input">The values.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    public static void Tanh<T>(ReadOnlySpan<T> input, Span<T> output)
        where T : IFloatingPointIeee754<T> => Activate(Activation.Tanh, input, output);

    /// <summary>
    /// The backward pass of an activation, from its output <c>y</c>, for the activations whose derivative is a function of
    /// <c>y</c>: ReLU passes the gradient where <c>y &gt; 0</c>, Sigmoid multiplies it by <c>y (1 − y)</c>, Tanh by
    /// <c>1 − y²</c>, LeakyReLU (slope ≥ 0) by 1 where <c>y &gt; 0</c> and by the slope elsewhere, ReLU6 passes it where
    /// <c>0 &lt; y &lt; 6</c>, HardSigmoid multiplies it by 1/6 where <c>0 &lt; y &lt; 1</c>. HardSwish, SiLU and GELU are not
    /// one-to-one, so their derivative needs the input: <see cref="ActivationBackwardFromInput"/>.
    /// </summary>
    /// <param name="activation">The forward pass's activation.</param>
    /// <param name="output">The forward pass's output.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the activation's input; may be <paramref name="gradOutput"/> itself.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/>; it must not be negative here.</param>
    /// <exception cref="ArgumentException">The activation's derivative is not a function of its output.</exception>
    public static void ActivationBackward<T>(Activation activation, ReadOnlySpan<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradInput, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation, leakyReluSlope);
        KernelArguments.FromOutput(activation, leakyReluSlope);
        KernelArguments.Length(gradOutput.Length, output.Length, nameof(gradOutput));
        KernelArguments.Length(gradInput.Length, output.Length, nameof(gradInput));
        for (int i = 0; i < output.Length; i++)
        {
            gradInput[i] = Round<T>(Slope(activation, D(output[i]), leakyReluSlope) * D(gradOutput[i]));
        }
    }

    /// <summary>
    /// The backward pass of an activation, from its input <c>x</c>: the gradient times the derivative at <c>x</c>, with
    /// PyTorch's choices where the function has a kink (0 at <c>x = 0</c> for ReLU, the slope for LeakyReLU, 0 at the ends of
    /// ReLU6's and HardSigmoid's linear part; HardSwish's is <c>x/3 + 1/2</c> on <c>[−3, 3]</c>).
    /// </summary>
    /// <param name="activation">The forward pass's activation.</param>
    /// <param name="input">The forward pass's input (the pre-activation).</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input; may be <paramref name="gradOutput"/> itself.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/>.</param>
    public static void ActivationBackwardFromInput<T>(Activation activation, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation, leakyReluSlope);
        KernelArguments.Length(gradOutput.Length, input.Length, nameof(gradOutput));
        KernelArguments.Length(gradInput.Length, input.Length, nameof(gradInput));
        for (int i = 0; i < input.Length; i++)
        {
            gradInput[i] = Round<T>(Derivative(activation, D(input[i]), leakyReluSlope) * D(gradOutput[i]));
        }
    }

    /// <summary>An activation's derivative at the input that gave output <paramref name="y"/> (see <see cref="ActivationBackward"/>).</summary>
    private static double Slope(Activation activation, double y, double leakyReluSlope) => activation switch
    {
        Activation.Relu => y > 0 ? 1 : 0,
        Activation.Sigmoid => y * (1 - y),
        Activation.Tanh => 1 - (y * y),
        Activation.LeakyRelu => y > 0 ? 1 : leakyReluSlope,
        Activation.Relu6 => y is > 0 and < 6 ? 1 : 0,
        Activation.HardSigmoid => y is > 0 and < 1 ? 1.0 / 6 : 0,
        _ => 1,
    };

    /// <summary>An activation's derivative at its input <paramref name="x"/>.</summary>
    private static double Derivative(Activation activation, double x, double leakyReluSlope)
    {
        switch (activation)
        {
            case Activation.Relu: return x > 0 ? 1 : 0;
            case Activation.Sigmoid:
                double s = Activate(Activation.Sigmoid, x, 0);
                return s * (1 - s);
            case Activation.Tanh:
                double t = Math.Tanh(x);
                return 1 - (t * t);
            case Activation.LeakyRelu: return x > 0 ? 1 : leakyReluSlope;
            case Activation.Relu6: return x is > 0 and < 6 ? 1 : 0;
            case Activation.HardSigmoid: return x is > -3 and < 3 ? 1.0 / 6 : 0;
            case Activation.HardSwish: return x < -3 ? 0 : x <= 3 ? (x / 3) + 0.5 : 1;
            case Activation.Silu:
                double sigma = Activate(Activation.Sigmoid, x, 0);
                return sigma * (1 + (x * (1 - sigma)));
            case Activation.Gelu:
                return NormalCdf(x) + (x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI));
            default: return 1;
        }
    }

    /// <summary>
    /// Softmax over each of the <paramref name="batch"/> rows, computed stably (the row's maximum is
    /// subtracted before exponentiating, so logits of any magnitude give finite probabilities).
    /// </summary>
    /// <param name="logits"><c>batch</c> rows of classes.</param>
    /// <param name="probabilities">As long as <paramref name="logits"/>; overwritten. Each row sums to 1.</param>
    /// <param name="batch">Rows.</param>
    public static void Softmax<T>(ReadOnlySpan<T> logits, Span<T> probabilities, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        int classes = Rows(logits.Length, nameof(logits), batch);
        KernelArguments.Length(probabilities.Length, logits.Length, nameof(probabilities));
        var row = new double[classes];
        for (int n = 0; n < batch; n++)
        {
            SoftmaxRow(logits.Slice(n * classes, classes), row);
            Store(row, probabilities.Slice(n * classes, classes));
        }
    }

    /// <summary>The backward pass of <see cref="Softmax"/>: <c>dx = y ⊙ (dy − Σ dy ⊙ y)</c> per row.</summary>
    /// <param name="probabilities">The forward pass's output.</param>
    /// <param name="gradOutput">Gradient with respect to the probabilities.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the logits.</param>
    /// <param name="batch">Rows.</param>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        int classes = Rows(probabilities.Length, nameof(probabilities), batch);
        KernelArguments.Length(gradOutput.Length, probabilities.Length, nameof(gradOutput));
        KernelArguments.Length(gradInput.Length, probabilities.Length, nameof(gradInput));
        for (int n = 0; n < batch; n++)
        {
            int start = n * classes;
            double dot = 0;
            for (int k = 0; k < classes; k++)
            {
                dot += D(gradOutput[start + k]) * D(probabilities[start + k]);
            }

            for (int k = 0; k < classes; k++)
            {
                gradInput[start + k] = Round<T>(D(probabilities[start + k]) * (D(gradOutput[start + k]) - dot));
            }
        }
    }

    internal static double Activate(Activation activation, double x, double leakyReluSlope) => activation switch
    {
        Activation.Relu => Math.Max(x, 0), // NaN stays NaN, as in PyTorch (Math.Max propagates it)
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        Activation.LeakyRelu => x > 0 ? x : leakyReluSlope * x,
        Activation.Relu6 => Math.Min(Math.Max(x, 0), 6),
        Activation.HardSigmoid => Math.Min(Math.Max(x + 3, 0), 6) / 6,
        Activation.HardSwish => x * Math.Min(Math.Max(x + 3, 0), 6) / 6,
        Activation.Silu => x / (1 + Math.Exp(-x)),
        Activation.Gelu => x * NormalCdf(x),
        _ => x,
    };

    /// <summary>The standard normal distribution function <c>Φ(x) = erfc(−x / √2) / 2</c>.</summary>
    private static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    /// <summary>
    /// The complementary error function, independently of the kernels' fit: below 2.5 as <c>1 − erf</c>, erf from its
    /// series of positive terms <c>(2/√π) e^(−x²) Σ (2x²)ⁿ x / (1·3·…·(2n+1))</c>; above, from Laplace's continued fraction
    /// <c>e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))</c> taken 60 deep. Relative error below 2·10⁻¹² where the
    /// result is a normal double.
    /// </summary>
    internal static double Erfc(double x)
    {
        if (double.IsNaN(x) || x < 0)
        {
            return double.IsNaN(x) ? x : 2 - Erfc(-x);
        }

        if (x < 2.5)
        {
            double term = x, sum = x;
            for (int n = 1; term > sum * 1e-17; n++)
            {
                term *= 2 * x * x / ((2 * n) + 1);
                sum += term;
            }

            return 1 - (2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum);
        }

        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }

        double fraction = x;
        for (int k = 60; k >= 1; k--)
        {
            fraction = x + (k / 2.0 / fraction);
        }

        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }

    /// <summary>Softmax of one row into <paramref name="row"/>, in double precision.</summary>
    private static void SoftmaxRow<T>(ReadOnlySpan<T> logits, double[] row)
        where T : IFloatingPointIeee754<T>
    {
        double max = double.NegativeInfinity;
        foreach (T z in logits)
        {
            max = Math.Max(max, D(z));
        }

        double sum = 0;
        for (int k = 0; k < logits.Length; k++)
        {
            row[k] = Math.Exp(D(logits[k]) - max);
            sum += row[k];
        }

        for (int k = 0; k < logits.Length; k++)
        {
            row[k] /= sum;
        }
    }

    /// <summary>The row length of a span that holds <paramref name="batch"/> equal non-empty rows.</summary>
    private static int Rows(int length, string parameter, int batch)
    {
        KernelArguments.Batch(batch);
        if (length == 0 || length % batch != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Expected {batch} non-empty rows of equal length, but the span holds {length} elements."), parameter);
        }

        return length / batch;
    }
}
