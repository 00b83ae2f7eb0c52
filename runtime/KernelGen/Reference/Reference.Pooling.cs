using System;
using System.Numerics;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>
    /// 2-D max pool: each output element is the largest input element its window covers; padding
    /// never wins (as in PyTorch and ONNX). NaN inputs propagate.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">NCHW input, <c>batch * geometry.InputLength</c> elements.</param>
    /// <param name="output">NCHW output, <c>batch * geometry.OutputLength</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void MaxPool2D<T>(Pool2DGeometry geometry, ReadOnlySpan<T> input, Span<T> output, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        CheckPool(geometry, input.Length, nameof(input), output.Length, nameof(output), batch);
        var g = geometry;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < g.OutputHeight; y++)
                {
                    for (int x = 0; x < g.OutputWidth; x++)
                    {
                        output[At(n, c, y, x, g.Channels, g.OutputHeight, g.OutputWidth)] = input[ArgMax(g, input, n, c, y, x)];
                    }
                }
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="MaxPool2D"/>: each output gradient goes to the input element that
    /// won its window (the first largest in row-major window order); every other input gets zero.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">The forward pass's input.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void MaxPool2DBackward<T>(Pool2DGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        CheckPool(geometry, input.Length, nameof(input), gradOutput.Length, nameof(gradOutput), batch);
        KernelArguments.Length(gradInput.Length, input.Length, nameof(gradInput));
        var g = geometry;
        var sums = new double[input.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < g.OutputHeight; y++)
                {
                    for (int x = 0; x < g.OutputWidth; x++)
                    {
                        sums[ArgMax(g, input, n, c, y, x)] += D(gradOutput[At(n, c, y, x, g.Channels, g.OutputHeight, g.OutputWidth)]);
                    }
                }
            }
        }

        Store(sums, gradInput);
    }

    /// <summary>
    /// 2-D average pool: each output element is the mean of its window. The divisor is the number of
    /// input elements the window covers, or with <paramref name="countIncludePad"/> the whole window.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">NCHW input, <c>batch * geometry.InputLength</c> elements.</param>
    /// <param name="output">NCHW output, <c>batch * geometry.OutputLength</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="countIncludePad">Count padding positions in the divisor.</param>
    public static void AvgPool2D<T>(Pool2DGeometry geometry, ReadOnlySpan<T> input, Span<T> output, int batch = 1, bool countIncludePad = false)
        where T : IFloatingPointIeee754<T>
    {
        CheckPool(geometry, input.Length, nameof(input), output.Length, nameof(output), batch);
        var g = geometry;
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < g.OutputHeight; y++)
                {
                    for (int x = 0; x < g.OutputWidth; x++)
                    {
                        double sum = 0;
                        int count = 0;
                        foreach (int i in Window(g, n, c, y, x))
                        {
                            sum += D(input[i]);
                            count++;
                        }

                        int divisor = countIncludePad ? g.DivisorRows(y, true) * g.DivisorColumns(x, true) : count;
                        output[At(n, c, y, x, g.Channels, g.OutputHeight, g.OutputWidth)] = Round<T>(sum / divisor);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="AvgPool2D"/>: each output gradient is shared equally by the
    /// input elements of its window, divided by the same divisor as the forward pass.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input.</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="countIncludePad">As in the forward pass.</param>
    public static void AvgPool2DBackward<T>(Pool2DGeometry geometry, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch = 1, bool countIncludePad = false)
        where T : IFloatingPointIeee754<T>
    {
        CheckPool(geometry, gradInput.Length, nameof(gradInput), gradOutput.Length, nameof(gradOutput), batch);
        var g = geometry;
        var sums = new double[gradInput.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int y = 0; y < g.OutputHeight; y++)
                {
                    for (int x = 0; x < g.OutputWidth; x++)
                    {
                        int count = 0;
                        foreach (int _ in Window(g, n, c, y, x))
                        {
                            count++;
                        }

                        int divisor = countIncludePad ? g.DivisorRows(y, true) * g.DivisorColumns(x, true) : count;
                        double share = D(gradOutput[At(n, c, y, x, g.Channels, g.OutputHeight, g.OutputWidth)]) / divisor;
                        foreach (int i in Window(g, n, c, y, x))
                        {
                            sums[i] += share;
                        }
                    }
                }
            }
        }

        Store(sums, gradInput);
    }

    /// <summary>
    /// Global average pool: <c>output[n, c]</c> is the mean of the <c>height × width</c> plane
    /// <c>input[n, c, :, :]</c>.
    /// </summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="output"><c>batch * channels</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void GlobalAvgPool2D<T>(int channels, int height, int width, ReadOnlySpan<T> input, Span<T> output, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        var g = Pool2DGeometry.Global(channels, height, width);
        CheckPool(g, input.Length, nameof(input), output.Length, nameof(output), batch);
        int plane = height * width;
        for (int p = 0; p < batch * channels; p++)
        {
            double sum = 0;
            for (int i = 0; i < plane; i++)
            {
                sum += D(input[(p * plane) + i]);
            }

            output[p] = Round<T>(sum / plane);
        }
    }

    /// <summary>The backward pass of <see cref="GlobalAvgPool2D"/>: every element of a plane gets its output's gradient divided by the plane size.</summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="gradOutput"><c>batch * channels</c> elements.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void GlobalAvgPool2DBackward<T>(int channels, int height, int width, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        var g = Pool2DGeometry.Global(channels, height, width);
        CheckPool(g, gradInput.Length, nameof(gradInput), gradOutput.Length, nameof(gradOutput), batch);
        int plane = height * width;
        for (int i = 0; i < gradInput.Length; i++)
        {
            gradInput[i] = Round<T>(D(gradOutput[i / plane]) / plane);
        }
    }

    private static void CheckPool(Pool2DGeometry geometry, int inputLength, string inputName, int outputLength, string outputName, int batch)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        KernelArguments.Batch(batch);
        KernelArguments.Length(inputLength, batch, geometry.InputLength, inputName);
        KernelArguments.Length(outputLength, batch, geometry.OutputLength, outputName);
    }

    /// <summary>The flat indices of the input elements that the window of output (n, c, y, x) covers, row by row.</summary>
    private static System.Collections.Generic.IEnumerable<int> Window(Pool2DGeometry g, int n, int c, int y, int x)
    {
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = (y * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = (x * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                if (iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width)
                {
                    yield return At(n, c, iy, ix, g.Channels, g.Height, g.Width);
                }
            }
        }
    }

    /// <summary>The index of the first largest input element in the window of output (n, c, y, x); a NaN wins at once.</summary>
    /// <summary>
    /// Global max pool (ONNX's <c>GlobalMaxPool</c>): each channel plane becomes its largest element; a NaN in the
    /// plane makes the result NaN, as in <see cref="MaxPool2D"/>.
    /// </summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="output"><c>batch * channels</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void GlobalMaxPool2D<T>(int channels, int height, int width, ReadOnlySpan<T> input, Span<T> output, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        var g = Pool2DGeometry.Global(channels, height, width);
        CheckPool(g, input.Length, nameof(input), output.Length, nameof(output), batch);
        for (int p = 0; p < batch * channels; p++)
        {
            output[p] = input[PlaneArgMax(input, p, height * width)];
        }
    }

    /// <summary>
    /// The backward pass of <see cref="GlobalMaxPool2D"/>: each channel's output gradient goes to the element that won its
    /// plane (the first largest in row-major order, or the first NaN); every other input gets zero.
    /// </summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">The forward pass's input.</param>
    /// <param name="gradOutput">Gradient with respect to the output, <c>batch * channels</c> elements.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input.</param>
    /// <param name="batch">Samples in the spans.</param>
    public static void GlobalMaxPool2DBackward<T>(int channels, int height, int width, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        var g = Pool2DGeometry.Global(channels, height, width);
        CheckPool(g, input.Length, nameof(input), gradOutput.Length, nameof(gradOutput), batch);
        KernelArguments.Length(gradInput.Length, input.Length, nameof(gradInput));
        gradInput.Clear();
        for (int p = 0; p < batch * channels; p++)
        {
            gradInput[PlaneArgMax(input, p, height * width)] = gradOutput[p];
        }
    }

    /// <summary>The index of plane <paramref name="p"/>'s first largest element, or of its first NaN.</summary>
    private static int PlaneArgMax<T>(ReadOnlySpan<T> input, int p, int plane)
        where T : IFloatingPointIeee754<T>
    {
        int best = p * plane;
        for (int i = best; i < (p + 1) * plane && !T.IsNaN(input[best]); i++)
        {
            if (input[i] > input[best] || T.IsNaN(input[i]))
            {
                best = i;
            }
        }

        return best;
    }

    private static int ArgMax<T>(Pool2DGeometry g, ReadOnlySpan<T> input, int n, int c, int y, int x)
        where T : IFloatingPointIeee754<T>
    {
        int best = -1;
        foreach (int i in Window(g, n, c, y, x))
        {
            if (T.IsNaN(input[i]))
            {
                return i;
            }

            if (best < 0 || input[i] > input[best])
            {
                best = i;
            }
        }

        return best;
    }
}
