using System;
using System.Numerics;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>Element-wise <c>output = activation(a + b)</c>: a residual connection, or ONNX's <c>Add</c> of two tensors of one shape.</summary>
    /// <param name="a">The first tensor.</param>
    /// <param name="b">The second, as long as <paramref name="a"/>.</param>
    /// <param name="output">As long as <paramref name="a"/>; overwritten. It may be <paramref name="a"/> or <paramref name="b"/> itself.</param>
    /// <param name="activation">Applied to each sum.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Add<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> output, Activation activation = Activation.None, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation, leakyReluSlope);
        KernelArguments.Length(b.Length, a.Length, nameof(b));
        KernelArguments.Length(output.Length, a.Length, nameof(output));
        for (int i = 0; i < a.Length; i++)
        {
            output[i] = Round<T>(Activate(activation, D(a[i]) + D(b[i]), leakyReluSlope));
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Add"/>: the output gradient through the activation's derivative (from the output,
    /// as <see cref="ActivationBackward"/>), the same for both inputs.
    /// </summary>
    /// <param name="activation">The forward pass's activation.</param>
    /// <param name="output">The forward pass's output.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradA">Overwritten with the gradient with respect to <c>a</c>, or empty when not wanted.</param>
    /// <param name="gradB">Overwritten with the gradient with respect to <c>b</c>, or empty when not wanted.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/>; it must not be negative here.</param>
    /// <exception cref="ArgumentException">The activation's derivative is not a function of its output (HardSwish, SiLU, GELU).</exception>
    public static void AddBackward<T>(Activation activation, ReadOnlySpan<T> output, ReadOnlySpan<T> gradOutput, Span<T> gradA, Span<T> gradB, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Defined(activation, leakyReluSlope);
        KernelArguments.FromOutput(activation, leakyReluSlope);
        KernelArguments.Length(gradOutput.Length, output.Length, nameof(gradOutput));
        if (!gradA.IsEmpty)
        {
            KernelArguments.Length(gradA.Length, output.Length, nameof(gradA));
        }

        if (!gradB.IsEmpty)
        {
            KernelArguments.Length(gradB.Length, output.Length, nameof(gradB));
        }

        var sums = new double[output.Length];
        for (int i = 0; i < output.Length; i++)
        {
            sums[i] = Slope(activation, D(output[i]), leakyReluSlope) * D(gradOutput[i]);
        }

        Store(sums, gradA);
        Store(sums, gradB);
    }
}
