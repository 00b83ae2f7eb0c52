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
    public static void Activate<T>(Activation activation, ReadOnlySpan<T> input, Span<T> output)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation);
        KernelArguments.Length(output.Length, input.Length, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = Round<T>(Activate(activation, D(input[i])));
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
    /// The backward pass of an activation, from its output <c>y</c>: ReLU passes the gradient where
    /// <c>y &gt; 0</c>, Sigmoid multiplies it by <c>y (1 − y)</c>, Tanh by <c>1 − y²</c>.
    /// </summary>
    /// <param name="activation">The forward pass's activation.</param>
    /// <param name="output">The forward pass's output.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the activation's input; may be <paramref name="gradOutput"/> itself.</param>
    public static void ActivationBackward<T>(Activation activation, ReadOnlySpan<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradInput)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation);
        KernelArguments.Length(gradOutput.Length, output.Length, nameof(gradOutput));
        KernelArguments.Length(gradInput.Length, output.Length, nameof(gradInput));
        for (int i = 0; i < output.Length; i++)
        {
            gradInput[i] = Round<T>(Slope(activation, D(output[i])) * D(gradOutput[i]));
        }
    }

    /// <summary>An activation's derivative at the input that gave output <paramref name="y"/>.</summary>
    private static double Slope(Activation activation, double y) => activation switch
    {
        Activation.Relu => y > 0 ? 1 : 0,
        Activation.Sigmoid => y * (1 - y),
        Activation.Tanh => 1 - (y * y),
        _ => 1,
    };

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

    internal static double Activate(Activation activation, double x) => activation switch
    {
        Activation.Relu => x > 0 ? x : 0,
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        _ => x,
    };

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
