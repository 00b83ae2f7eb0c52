using System;
using System.Numerics;

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
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Conv2D<T>(
        Conv2DGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> output,
        int batch = 1, Activation activation = Activation.None, bool flipKernel = false, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Conv2D(geometry, input.Length, weights.Length, bias.Length, output.Length, batch, activation, leakyReluSlope);

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
                        int group = o / g.OutChannelsPerGroup;
                        for (int i = 0; i < g.InChannelsPerGroup; i++)
                        {
                            for (int ky = 0; ky < g.KernelHeight; ky++)
                            {
                                for (int kx = 0; kx < g.KernelWidth; kx++)
                                {
                                    if (InputAt(g, n, group, i, y, x, ky, kx) is int at)
                                    {
                                        sum += D(input[at]) * D(weights[WeightAt(g, o, i, ky, kx, flipKernel)]);
                                    }
                                }
                            }
                        }

                        output[At(n, o, y, x, g.OutChannels, g.OutputHeight, g.OutputWidth)] = Round<T>(Activate(activation, sum, leakyReluSlope));
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
        KernelArguments.Batch(batch);
        KernelArguments.Length(input.Length, batch, geometry.InputLength, nameof(input));
        KernelArguments.Length(weights.Length, geometry.WeightLength, nameof(weights));
        KernelArguments.Length(gradOutput.Length, batch, geometry.OutputLength, nameof(gradOutput));
        KernelArguments.OptionalLength(gradInput.Length, input.Length, nameof(gradInput));
        KernelArguments.OptionalLength(gradWeights.Length, geometry.WeightLength, nameof(gradWeights));
        KernelArguments.OptionalLength(gradBias.Length, geometry.BiasLength, nameof(gradBias));

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
                        int group = o / g.OutChannelsPerGroup;
                        for (int i = 0; i < g.InChannelsPerGroup; i++)
                        {
                            for (int ky = 0; ky < g.KernelHeight; ky++)
                            {
                                for (int kx = 0; kx < g.KernelWidth; kx++)
                                {
                                    if (InputAt(g, n, group, i, y, x, ky, kx) is int at)
                                    {
                                        int w = WeightAt(g, o, i, ky, kx, flipKernel);
                                        dInput[at] += dy * D(weights[w]);
                                        dWeights[w] += dy * D(input[at]);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        Store(dInput, gradInput);
        Store(dWeights, gradWeights);
        Store(dBias, gradBias);
    }

    /// <summary>
    /// Where kernel tap (ky, kx) of output pixel (y, x) reads input channel <paramref name="i"/> of
    /// <paramref name="group"/>: its flat index, or null when that position is zero padding.
    /// </summary>
    private static int? InputAt(Conv2DGeometry g, int n, int group, int i, int y, int x, int ky, int kx)
    {
        int iy = (y * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
        int ix = (x * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
        bool inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
        return inside ? At(n, (group * g.InChannelsPerGroup) + i, iy, ix, g.InChannels, g.Height, g.Width) : null;
    }

    /// <summary>The flat index of the weight that multiplies tap (ky, kx): the tap itself, or its 180° rotation when flipped.</summary>
    private static int WeightAt(Conv2DGeometry g, int o, int i, int ky, int kx, bool flipKernel)
    {
        int wy = flipKernel ? g.KernelHeight - 1 - ky : ky;
        int wx = flipKernel ? g.KernelWidth - 1 - kx : kx;
        return At(o, i, wy, wx, g.InChannelsPerGroup, g.KernelHeight, g.KernelWidth);
    }
}
