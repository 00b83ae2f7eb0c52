using System;
using System.Numerics;
using KernelGen.Internal;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>
    /// 2-D convolution (cross-correlation, or true convolution with <paramref name="flipKernel"/>):
    /// <c>output[n, o, y, x] = activation(bias[o] + Σ_{i, ky, kx} weights[o, i, ky, kx] · input[n, g·Cg + i, y·sh − pt + ky·dh, x·sw − pl + kx·dw])</c>,
    /// where <c>g = o / (OutChannels / Groups)</c> and out-of-range input positions are zero padding.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">NCHW input, <c>batch * geometry.InputLength</c> elements.</param>
    /// <param name="weights">OIHW weights, <c>geometry.WeightLength</c> elements.</param>
    /// <param name="bias">Bias per output channel, or empty for none.</param>
    /// <param name="output">NCHW output, <c>batch * geometry.OutputLength</c> elements; overwritten.</param>
    /// <param name="batch">Samples in <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="activation">Applied to every output element.</param>
    /// <param name="flipKernel">Rotate the kernel by 180° (textbook convolution).</param>
    public static void Conv2D<T>(
        Conv2DGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> output,
        int batch = 1, Activation activation = Activation.None, bool flipKernel = false)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(geometry);
        Guard.Batch(batch);
        Guard.Length(input.Length, batch, geometry.InputLength, nameof(input));
        Guard.Length(weights.Length, geometry.WeightLength, nameof(weights));
        Guard.OptionalLength(bias.Length, geometry.BiasLength, nameof(bias));
        Guard.Length(output.Length, batch, geometry.OutputLength, nameof(output));
        Guard.Defined(activation);

        var g = geometry;
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < g.OutChannels; o++)
            {
                for (int y = 0; y < g.OutputHeight; y++)
                {
                    for (int x = 0; x < g.OutputWidth; x++)
                    {
                        double sum = bias.IsEmpty ? 0 : D(bias[o]);
                        foreach (Tap tap in Taps(g, n, o, y, x, flipKernel))
                        {
                            sum += D(input[tap.Input]) * D(weights[tap.Weight]);
                        }

                        output[At(n, o, y, x, g.OutChannels, g.OutputHeight, g.OutputWidth)] = Round<T>(Activate(activation, sum));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Conv2D"/> without its activation (apply
    /// <see cref="ActivationBackward"/> first): given the gradient of a loss with respect to the
    /// convolution's output, the gradients with respect to its input, weights and bias, summed over the batch.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">The forward pass's input.</param>
    /// <param name="weights">The forward pass's weights.</param>
    /// <param name="gradOutput">Gradient with respect to the output, shaped like it.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input, or empty when not wanted.</param>
    /// <param name="gradWeights">Overwritten with the gradient with respect to the weights, or empty when not wanted.</param>
    /// <param name="gradBias">Overwritten with the gradient with respect to the bias, or empty when not wanted.</param>
    /// <param name="batch">Samples in the activation spans.</param>
    /// <param name="flipKernel">As in the forward pass.</param>
    public static void Conv2DBackward<T>(
        Conv2DGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, Span<T> gradWeights, Span<T> gradBias, int batch = 1, bool flipKernel = false)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(geometry);
        Guard.Batch(batch);
        Guard.Length(input.Length, batch, geometry.InputLength, nameof(input));
        Guard.Length(weights.Length, geometry.WeightLength, nameof(weights));
        Guard.Length(gradOutput.Length, batch, geometry.OutputLength, nameof(gradOutput));
        Guard.OptionalLength(gradInput.Length, input.Length, nameof(gradInput));
        Guard.OptionalLength(gradWeights.Length, geometry.WeightLength, nameof(gradWeights));
        Guard.OptionalLength(gradBias.Length, geometry.BiasLength, nameof(gradBias));

        var g = geometry;
        var dInput = new double[input.Length];
        var dWeights = new double[weights.Length];
        var dBias = new double[g.OutChannels];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < g.OutChannels; o++)
            {
                for (int y = 0; y < g.OutputHeight; y++)
                {
                    for (int x = 0; x < g.OutputWidth; x++)
                    {
                        double dy = D(gradOutput[At(n, o, y, x, g.OutChannels, g.OutputHeight, g.OutputWidth)]);
                        dBias[o] += dy;
                        foreach (Tap tap in Taps(g, n, o, y, x, flipKernel))
                        {
                            dInput[tap.Input] += dy * D(weights[tap.Weight]);
                            dWeights[tap.Weight] += dy * D(input[tap.Input]);
                        }
                    }
                }
            }
        }

        Store(dInput, gradInput);
        Store(dWeights, gradWeights);
        Store(dBias, gradBias);
    }

    /// <summary>One product of the convolution sum: where its input and weight elements are.</summary>
    private readonly record struct Tap(int Input, int Weight);

    /// <summary>
    /// The products that make output element (n, o, y, x): every input channel of the group and
    /// every kernel position whose input pixel lies inside the input (the rest is zero padding).
    /// </summary>
    private static System.Collections.Generic.IEnumerable<Tap> Taps(Conv2DGeometry g, int n, int o, int y, int x, bool flipKernel)
    {
        int group = o / g.OutChannelsPerGroup;
        for (int i = 0; i < g.InChannelsPerGroup; i++)
        {
            int c = (group * g.InChannelsPerGroup) + i;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                int iy = (y * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
                if (iy < 0 || iy >= g.Height)
                {
                    continue;
                }

                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    int ix = (x * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                    if (ix < 0 || ix >= g.Width)
                    {
                        continue;
                    }

                    int wy = flipKernel ? g.KernelHeight - 1 - ky : ky;
                    int wx = flipKernel ? g.KernelWidth - 1 - kx : kx;
                    yield return new Tap(
                        At(n, c, iy, ix, g.InChannels, g.Height, g.Width),
                        At(o, i, wy, wx, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth));
                }
            }
        }
    }
}
