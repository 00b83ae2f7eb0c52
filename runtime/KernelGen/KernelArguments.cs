using System;
using System.ComponentModel;
using System.Globalization;

namespace KernelGen;

/// <summary>
/// Argument checks shared by every kernel — reference, generic and generated — so that they all
/// reject bad input with the same exceptions and messages, before the first element is written.
/// Generated code calls these; user code has no need to.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelArguments
{
    /// <summary>Throws unless <paramref name="batch"/> is positive.</summary>
    public static void Batch(int batch)
    {
        if (batch <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must be positive.");
        }
    }

    /// <summary>Throws unless the span holds exactly <c>batch * perSample</c> elements.</summary>
    public static void Length(int actual, int batch, int perSample, string parameter)
    {
        long expected = (long)batch * perSample;
        if (expected > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, string.Create(CultureInfo.InvariantCulture,
                $"A batch of {batch} samples of {perSample} elements would hold {expected} elements, more than a span can."));
        }

        if (actual != expected)
        {
            throw WrongLength(parameter, expected, actual, batch == 1 ? null : $"{batch} samples of {perSample}");
        }
    }

    /// <summary>Throws unless the span holds exactly <paramref name="expected"/> elements.</summary>
    public static void Length(int actual, int expected, string parameter)
    {
        if (actual != expected)
        {
            throw WrongLength(parameter, expected, actual, null);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="packed"/> is not null and was packed for <paramref name="layout"/> (the layout the
    /// calling kernel reads) into <paramref name="length"/> floats.
    /// </summary>
    public static void Packed(PackedWeights? packed, string layout, int length, string parameter)
    {
        if (packed is null)
        {
            throw new ArgumentNullException(parameter);
        }

        if (!string.Equals(packed.Layout, layout, StringComparison.Ordinal) || packed.Length != length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The weights were packed for \"{packed.Layout}\" ({packed.Length} floats); this kernel reads \"{layout}\" ({length} floats). Pack them with this kernel's own packing method."), parameter);
        }
    }

    /// <summary>Throws unless the span is empty (meaning "absent") or holds exactly <paramref name="expected"/> elements.</summary>
    public static void OptionalLength(int actual, int expected, string parameter)
    {
        if (actual != 0 && actual != expected)
        {
            throw WrongLength(parameter, expected, actual, "or empty for none");
        }
    }

    /// <summary>Throws unless the value is a defined <see cref="Activation"/>.</summary>
    public static void Defined(Activation activation)
    {
        if (activation is < Activation.None or > Activation.Gelu)
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Not a defined Activation.");
        }
    }

    /// <summary>Throws unless the activation is defined and the LeakyReLU slope is a finite number.</summary>
    internal static void Defined(Activation activation, float leakyReluSlope)
    {
        Defined(activation);
        if (!float.IsFinite(leakyReluSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(leakyReluSlope), leakyReluSlope, "The LeakyReLU slope must be a finite number.");
        }
    }

    /// <summary>
    /// Throws unless the activation's derivative is a function of its output, as a backward pass from the output needs:
    /// not HardSwish, SiLU or GELU (not one-to-one), nor LeakyReLU with a negative slope (whose negative inputs give positive outputs).
    /// </summary>
    internal static void FromOutput(Activation activation, float leakyReluSlope)
    {
        if (activation is Activation.HardSwish or Activation.Silu or Activation.Gelu)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{activation}'s derivative is not a function of its output: use the backward pass from its input (Reference.ActivationBackwardFromInput)."), nameof(activation));
        }

        if (activation == Activation.LeakyRelu && leakyReluSlope < 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"LeakyReLU with the negative slope {leakyReluSlope} is not one-to-one, so its derivative needs its input (Reference.ActivationBackwardFromInput)."), nameof(leakyReluSlope));
        }
    }

    /// <summary>The checks of a convolution's forward pass, shared by the reference and the generic kernel.</summary>
    internal static void Conv2D(Conv2DGeometry geometry, int input, int weights, int bias, int output, int batch, Activation activation, float leakyReluSlope)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        Batch(batch);
        Length(input, batch, geometry.InputLength, nameof(input));
        Length(weights, geometry.WeightLength, nameof(weights));
        OptionalLength(bias, geometry.BiasLength, nameof(bias));
        Length(output, batch, geometry.OutputLength, nameof(output));
        Defined(activation, leakyReluSlope);
    }

    /// <summary>The checks of a dense layer's forward pass, shared by the reference and the generic kernel.</summary>
    internal static void Dense(DenseGeometry geometry, int input, int weights, int bias, int output, int batch, Activation activation, float leakyReluSlope)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        Batch(batch);
        Length(input, batch, geometry.InFeatures, nameof(input));
        Length(weights, geometry.WeightLength, nameof(weights));
        OptionalLength(bias, geometry.BiasLength, nameof(bias));
        Length(output, batch, geometry.OutFeatures, nameof(output));
        Defined(activation, leakyReluSlope);
    }

    /// <summary>
    /// The checks of batch normalisation, shared by its reference forms and the generic kernel: the batch, the input, an
    /// output of the input's length, and ε; returns the plane's size.
    /// </summary>
    internal static int BatchNorm2D(int channels, int height, int width, int input, int output, int batch, double epsilon, string outputName = "output")
    {
        // The checks of a global pool's shape, without making one (a geometry is an object, and a kernel call allocates nothing).
        if (channels <= 0 || height <= 0 || width <= 0 || ShapeMath.Product(channels, height, width) > int.MaxValue)
        {
            ShapeProblem problem = Conv2DGeometry.FirstNotPositive(("Channels", channels), ("Height", height), ("Width", width));
            throw (problem.IsProblem ? problem : Conv2DGeometry.FirstTooLarge(("channels", "input sample", ShapeMath.Product(channels, height, width)))).ToException();
        }

        Batch(batch);
        Length(input, batch, channels * height * width, nameof(input));
        Length(output, input, outputName);
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be positive and finite.");
        }

        return height * width;
    }

    /// <summary>The inference form's per-channel statistics and activation, after <see cref="BatchNorm2D(int, int, int, int, int, int, double, string)"/>.</summary>
    internal static void BatchNorm2DStatistics(int channels, int scale, int shift, int mean, int variance, Activation activation, float leakyReluSlope)
    {
        Defined(activation, leakyReluSlope);
        Length(scale, channels, nameof(scale));
        Length(shift, channels, nameof(shift));
        Length(mean, channels, nameof(mean));
        Length(variance, channels, nameof(variance));
    }

    private static ArgumentException WrongLength(string parameter, long expected, int actual, string? detail) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"Expected {expected} elements{(detail is null ? "" : $" ({detail})")}, but the span holds {actual}."), parameter);
}
