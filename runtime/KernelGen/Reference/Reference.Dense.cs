using System;
using System.Numerics;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>
    /// Dense (fully connected) layer: <c>output[n, o] = activation(bias[o] + Σ_i weights[o, i] · input[n, i])</c>.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input"><c>batch * InFeatures</c> elements (an NCHW activation is its own flattening).</param>
    /// <param name="weights"><c>[OutFeatures, InFeatures]</c> weights.</param>
    /// <param name="bias">Bias per output feature, or empty for none.</param>
    /// <param name="output"><c>batch * OutFeatures</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the activation spans.</param>
    /// <param name="activation">Applied to every output element.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Dense<T>(
        DenseGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> bias, Span<T> output,
        int batch = 1, Activation activation = Activation.None, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Dense(geometry, input.Length, weights.Length, bias.Length, output.Length, batch, activation, leakyReluSlope);

        int inFeatures = geometry.InFeatures, outFeatures = geometry.OutFeatures;
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = bias.IsEmpty ? 0 : D(bias[o]);
                for (int i = 0; i < inFeatures; i++)
                {
                    sum += D(weights[(o * inFeatures) + i]) * D(input[(n * inFeatures) + i]);
                }

                output[(n * outFeatures) + o] = Round<T>(Activate(activation, sum, leakyReluSlope));
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Dense"/> without its activation (apply <see cref="ActivationBackward"/> first):
    /// the gradients with respect to input, weights and bias, summed over the batch.
    /// </summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input">The forward pass's input.</param>
    /// <param name="weights">The forward pass's weights.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input, or empty when not wanted.</param>
    /// <param name="gradWeights">Overwritten with the gradient with respect to the weights, or empty when not wanted.</param>
    /// <param name="gradBias">Overwritten with the gradient with respect to the bias, or empty when not wanted.</param>
    /// <param name="batch">Samples in the activation spans.</param>
    public static void DenseBackward<T>(
        DenseGeometry geometry, ReadOnlySpan<T> input, ReadOnlySpan<T> weights, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, Span<T> gradWeights, Span<T> gradBias, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(geometry);
        KernelArguments.Batch(batch);
        KernelArguments.Length(input.Length, batch, geometry.InFeatures, nameof(input));
        KernelArguments.Length(weights.Length, geometry.WeightLength, nameof(weights));
        KernelArguments.Length(gradOutput.Length, batch, geometry.OutFeatures, nameof(gradOutput));
        KernelArguments.OptionalLength(gradInput.Length, input.Length, nameof(gradInput));
        KernelArguments.OptionalLength(gradWeights.Length, geometry.WeightLength, nameof(gradWeights));
        KernelArguments.OptionalLength(gradBias.Length, geometry.BiasLength, nameof(gradBias));

        int inFeatures = geometry.InFeatures, outFeatures = geometry.OutFeatures;
        var dInput = new double[input.Length];
        var dWeights = new double[weights.Length];
        var dBias = new double[outFeatures];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                double dy = D(gradOutput[(n * outFeatures) + o]);
                dBias[o] += dy;
                for (int i = 0; i < inFeatures; i++)
                {
                    dInput[(n * inFeatures) + i] += dy * D(weights[(o * inFeatures) + i]);
                    dWeights[(o * inFeatures) + i] += dy * D(input[(n * inFeatures) + i]);
                }
            }
        }

        Store(dInput, gradInput);
        Store(dWeights, gradWeights);
        Store(dBias, gradBias);
    }
}
