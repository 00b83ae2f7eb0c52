using System;
using System.Numerics;

namespace KernelGen;

/// <summary>
/// The reference implementation of every KernelGen operation and its backward pass: the oracle the
/// generated and generic kernels are tested against.
/// </summary>
/// <remarks>
/// <para>
/// Each method is written as plainly as the formula it implements — a loop per index, bounds checked
/// in the innermost loop — and is slow on purpose. Sums are accumulated in <see cref="double"/> and
/// rounded once, so for <see cref="float"/> the result is as close to exact as the storage allows.
/// The methods are generic so that the same code runs in <see cref="double"/> for gradient checks.
/// </para>
/// <para>
/// Layouts: activations NCHW, convolution weights OIHW, dense weights <c>[out, in]</c>. A
/// <c>batch</c> argument says how many samples the activation spans hold back to back. Every span
/// length is checked before anything is written; an optional span (bias, a gradient that is not
/// wanted) is passed empty.
/// </para>
/// </remarks>
public static partial class Reference
{
    private static double D<T>(T value)
        where T : IFloatingPointIeee754<T> => double.CreateTruncating(value);

    private static T Round<T>(double value)
        where T : IFloatingPointIeee754<T> => T.CreateTruncating(value);

    /// <summary>The flat index of element (n, c, y, x) of an NCHW tensor.</summary>
    private static int At(int n, int c, int y, int x, int channels, int height, int width) =>
        (((((n * channels) + c) * height) + y) * width) + x;

    /// <summary>Writes a buffer of double-precision sums into a span of <typeparamref name="T"/>, unless the span is empty (not wanted).</summary>
    private static void Store<T>(double[] sums, Span<T> destination)
        where T : IFloatingPointIeee754<T>
    {
        if (destination.IsEmpty)
        {
            return;
        }

        for (int i = 0; i < sums.Length; i++)
        {
            destination[i] = Round<T>(sums[i]);
        }
    }
}
