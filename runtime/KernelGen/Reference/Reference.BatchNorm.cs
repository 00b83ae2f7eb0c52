using System;
using System.Numerics;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>
    /// 2-D batch normalisation in inference form: <c>y = activation((x − mean) / √(variance + ε) · scale + shift)</c>, per channel.
    /// </summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="scale">Per channel (PyTorch's <c>weight</c>, ONNX's <c>scale</c>).</param>
    /// <param name="shift">Per channel (PyTorch's <c>bias</c>, ONNX's <c>B</c>).</param>
    /// <param name="mean">Per channel: the running mean.</param>
    /// <param name="variance">Per channel: the running variance.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="epsilon">Added to the variance; positive.</param>
    /// <param name="activation">Applied to each output.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void BatchNorm2D<T>(
        int channels, int height, int width, ReadOnlySpan<T> input, ReadOnlySpan<T> scale, ReadOnlySpan<T> shift,
        ReadOnlySpan<T> mean, ReadOnlySpan<T> variance, Span<T> output, int batch = 1, double epsilon = 1e-5, Activation activation = Activation.None, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
        where T : IFloatingPointIeee754<T>
    {
        int plane = KernelArguments.BatchNorm2D(channels, height, width, input.Length, output.Length, batch, epsilon);
        KernelArguments.BatchNorm2DStatistics(channels, scale.Length, shift.Length, mean.Length, variance.Length, activation, leakyReluSlope);
        for (int i = 0; i < input.Length; i++)
        {
            int c = i / plane % channels;
            double normalised = (D(input[i]) - D(mean[c])) / Math.Sqrt(D(variance[c]) + epsilon);
            output[i] = Round<T>(Activate(activation, (normalised * D(scale[c])) + D(shift[c]), leakyReluSlope));
        }
    }

    /// <summary>
    /// 2-D batch normalisation in training form: each channel normalised with its mean and biased variance over the
    /// batch and the plane, <c>y = (x − μ_B) / √(σ²_B + ε) · scale + shift</c>; the batch statistics are written out.
    /// </summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="scale">Per channel.</param>
    /// <param name="shift">Per channel.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    /// <param name="batchMean">Per channel; overwritten with the batch's mean.</param>
    /// <param name="batchVariance">Per channel; overwritten with the batch's biased variance (divided by the count, as the normalisation uses it).</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="epsilon">Added to the variance; positive.</param>
    public static void BatchNorm2DTraining<T>(
        int channels, int height, int width, ReadOnlySpan<T> input, ReadOnlySpan<T> scale, ReadOnlySpan<T> shift,
        Span<T> output, Span<T> batchMean, Span<T> batchVariance, int batch = 1, double epsilon = 1e-5)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.BatchNorm2D(channels, height, width, input.Length, output.Length, batch, epsilon);
        KernelArguments.Length(scale.Length, channels, nameof(scale));
        KernelArguments.Length(shift.Length, channels, nameof(shift));
        KernelArguments.Length(batchMean.Length, channels, nameof(batchMean));
        KernelArguments.Length(batchVariance.Length, channels, nameof(batchVariance));
        (double[] mu, double[] sigma2) = BatchStatistics(channels, height * width, input, batch);
        for (int i = 0; i < input.Length; i++)
        {
            int c = i / (height * width) % channels;
            output[i] = Round<T>(((D(input[i]) - mu[c]) / Math.Sqrt(sigma2[c] + epsilon) * D(scale[c])) + D(shift[c]));
        }

        Store(mu, batchMean);
        Store(sigma2, batchVariance);
    }

    /// <summary>
    /// The backward pass of <see cref="BatchNorm2DTraining"/>, through the batch statistics:
    /// <c>dx = scale / √(σ² + ε) · (dy − mean(dy) − x̂ · mean(dy · x̂))</c> per channel, <c>dscale = Σ dy · x̂</c>, <c>dshift = Σ dy</c>.
    /// </summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">The forward pass's input.</param>
    /// <param name="scale">Per channel.</param>
    /// <param name="gradOutput">Gradient with respect to the output.</param>
    /// <param name="gradInput">Overwritten with the gradient with respect to the input, or empty when not wanted.</param>
    /// <param name="gradScale">Overwritten with the gradient with respect to <paramref name="scale"/>, or empty.</param>
    /// <param name="gradShift">Overwritten with the gradient with respect to the shift, or empty.</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="epsilon">As in the forward pass.</param>
    public static void BatchNorm2DTrainingBackward<T>(
        int channels, int height, int width, ReadOnlySpan<T> input, ReadOnlySpan<T> scale, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, Span<T> gradScale, Span<T> gradShift, int batch = 1, double epsilon = 1e-5)
        where T : IFloatingPointIeee754<T>
    {
        int plane = KernelArguments.BatchNorm2D(channels, height, width, input.Length, gradOutput.Length, batch, epsilon, nameof(gradOutput));
        KernelArguments.Length(scale.Length, channels, nameof(scale));
        CheckOptional(gradInput.Length, input.Length, nameof(gradInput));
        CheckOptional(gradScale.Length, channels, nameof(gradScale));
        CheckOptional(gradShift.Length, channels, nameof(gradShift));
        (double[] mu, double[] sigma2) = BatchStatistics(channels, plane, input, batch);
        var sumDy = new double[channels];
        var sumDyXHat = new double[channels];
        for (int i = 0; i < input.Length; i++)
        {
            int c = i / plane % channels;
            double xHat = (D(input[i]) - mu[c]) / Math.Sqrt(sigma2[c] + epsilon);
            sumDy[c] += D(gradOutput[i]);
            sumDyXHat[c] += D(gradOutput[i]) * xHat;
        }

        double count = (double)batch * plane;
        var dx = new double[input.Length];
        for (int i = 0; i < input.Length; i++)
        {
            int c = i / plane % channels;
            double inverse = 1 / Math.Sqrt(sigma2[c] + epsilon);
            double xHat = (D(input[i]) - mu[c]) * inverse;
            dx[i] = D(scale[c]) * inverse * (D(gradOutput[i]) - (sumDy[c] / count) - (xHat * sumDyXHat[c] / count));
        }

        Store(dx, gradInput);
        Store(sumDyXHat, gradScale);
        Store(sumDy, gradShift);
    }

    /// <summary>
    /// PyTorch's update of the running statistics after a training batch: <c>running = (1 − momentum) · running + momentum · batch</c>,
    /// with the batch's variance made unbiased (times <c>count / (count − 1)</c>, count = batch × height × width).
    /// </summary>
    /// <param name="runningMean">Per channel; updated in place.</param>
    /// <param name="runningVariance">Per channel; updated in place.</param>
    /// <param name="batchMean">The batch's mean, from <see cref="BatchNorm2DTraining"/>.</param>
    /// <param name="batchVariance">The batch's biased variance, from <see cref="BatchNorm2DTraining"/>.</param>
    /// <param name="count">Elements each channel's statistics were taken over: batch × height × width; at least 2.</param>
    /// <param name="momentum">From 0 to 1.</param>
    public static void UpdateRunningStatistics<T>(Span<T> runningMean, Span<T> runningVariance, ReadOnlySpan<T> batchMean, ReadOnlySpan<T> batchVariance, int count, double momentum = 0.1)
        where T : IFloatingPointIeee754<T>
    {
        KernelArguments.Length(runningVariance.Length, runningMean.Length, nameof(runningVariance));
        KernelArguments.Length(batchMean.Length, runningMean.Length, nameof(batchMean));
        KernelArguments.Length(batchVariance.Length, runningMean.Length, nameof(batchVariance));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        if (!(momentum is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "The momentum must be from 0 to 1.");
        }

        for (int c = 0; c < runningMean.Length; c++)
        {
            runningMean[c] = Round<T>(((1 - momentum) * D(runningMean[c])) + (momentum * D(batchMean[c])));
            runningVariance[c] = Round<T>(((1 - momentum) * D(runningVariance[c])) + (momentum * D(batchVariance[c]) * count / (count - 1)));
        }
    }

    /// <summary>Each channel's mean and biased variance over the batch and the plane, in double.</summary>
    private static (double[] Mean, double[] Variance) BatchStatistics<T>(int channels, int plane, ReadOnlySpan<T> input, int batch)
        where T : IFloatingPointIeee754<T>
    {
        var mean = new double[channels];
        var variance = new double[channels];
        double count = (double)batch * plane;
        for (int i = 0; i < input.Length; i++)
        {
            mean[i / plane % channels] += D(input[i]) / count;
        }

        for (int i = 0; i < input.Length; i++)
        {
            int c = i / plane % channels;
            variance[c] += (D(input[i]) - mean[c]) * (D(input[i]) - mean[c]) / count;
        }

        return (mean, variance);
    }

    private static void CheckOptional(int length, int expected, string name)
    {
        if (length != 0)
        {
            KernelArguments.Length(length, expected, name);
        }
    }
}
