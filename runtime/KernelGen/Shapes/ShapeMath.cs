// The shape arithmetic of every KernelGen layer, written once.
//
// This file is self-contained on purpose: the runtime compiles it, and the generator compiles the
// same file as linked source (netstandard2.0), so the reference, the generic kernels and the
// generated kernels can never disagree on an output size, a padding split or a FLOP count.
// Keep it free of anything but System.

using System;
using System.Globalization;

namespace KernelGen;

/// <summary>Output sizes, "same" padding, element and FLOP counts, computed without overflow.</summary>
public static class ShapeMath
{
    /// <summary>
    /// The output size along one spatial axis:
    /// <c>floor((input + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1</c>.
    /// </summary>
    /// <returns>The output size; zero or less when the dilated kernel does not fit in the padded input.</returns>
    public static int OutputSize(int input, int kernel, int stride = 1, int padBefore = 0, int padAfter = 0, int dilation = 1)
    {
        long span = (long)input + padBefore + padAfter - EffectiveKernel(kernel, dilation);
        if (span < 0 || stride <= 0)
        {
            return 0;
        }

        long size = (span / stride) + 1;
        return size > int.MaxValue ? int.MaxValue : (int)size;
    }

    /// <summary>
    /// A pool's output size on one axis (a dilated window spans <see cref="EffectiveKernel"/>): as <see cref="OutputSize"/>, or with <paramref name="ceilMode"/> the division
    /// rounded up — less one where the last window would start in the padding after the input (PyTorch's and ONNX's rule).
    /// </summary>
    public static int PoolOutputSize(int input, int kernel, int stride, int padBefore, int padAfter, bool ceilMode, int dilation = 1)
    {
        long span = (long)input + padBefore + padAfter - EffectiveKernel(kernel, dilation);
        if (span < 0 || stride <= 0)
        {
            return 0;
        }

        long size = ((ceilMode ? span + stride - 1 : span) / stride) + 1;
        if (ceilMode && (size - 1) * stride >= (long)input + padBefore)
        {
            size--;
        }

        return size > int.MaxValue ? int.MaxValue : (int)size;
    }

    /// <summary>The extent of a dilated kernel: <c>dilation * (kernel - 1) + 1</c>.</summary>
    public static long EffectiveKernel(int kernel, int dilation = 1) => ((long)dilation * (kernel - 1)) + 1;

    /// <summary>
    /// The padding of Keras / TensorFlow "same": the output has <c>ceil(input / stride)</c> elements,
    /// and when the total padding is odd the extra element goes after.
    /// </summary>
    /// <returns>The padding before and after; (0, 0) for non-positive arguments.</returns>
    public static (int Before, int After) SamePadding(int input, int kernel, int stride = 1, int dilation = 1)
    {
        if (input <= 0 || kernel <= 0 || stride <= 0 || dilation <= 0)
        {
            return (0, 0);
        }

        long output = ((long)input + stride - 1) / stride;
        long total = Math.Max(((output - 1) * stride) + EffectiveKernel(kernel, dilation) - input, 0);
        long before = total / 2;
        long after = total - before;
        return (Saturate(before), Saturate(after));
    }

    /// <summary>Floats of input band a convolution or pool keeps on the stack (64 KB): a tuning value of the kernels.</summary>
    [Obsolete("A tuning value of the kernels, not shape arithmetic; it stays only for compatibility and may change.")]
    public const int BandLimitFloats = Tuning.BandLimitFloats;

    /// <summary>Floats of band per chunk of input channels when the band is refilled for each output row: a tuning value of the kernels.</summary>
    [Obsolete("A tuning value of the kernels, not shape arithmetic; it stays only for compatibility and may change.")]
    public const int BandChunkFloats = Tuning.BandChunkFloats;

    /// <summary>
    /// In an input row padded by <paramref name="padBefore"/> and split into <paramref name="phases"/> stride phases
    /// (phase p holds padded columns p, p + phases, …), the columns <c>[Start, End)</c> of phase
    /// <paramref name="phase"/>, at most <paramref name="rowLength"/> long, that hold input rather than padding.
    /// </summary>
    public static (int Start, int End) PhaseInputColumns(int width, int padBefore, int phase, int phases, int rowLength)
    {
        int first = padBefore - phase;
        int start = first <= 0 ? 0 : (first + phases - 1) / phases;
        int last = width - 1 + padBefore - phase;
        int end = last < 0 ? 0 : Math.Min(rowLength, (last / phases) + 1);
        return (start, Math.Max(start, end));
    }

    /// <summary>The product of sizes, saturating at <see cref="long.MaxValue"/> instead of overflowing.</summary>
    public static long Product(long a, long b)
    {
        if (a <= 0 || b <= 0)
        {
            return a == 0 || b == 0 ? 0 : -1;
        }

        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    /// <summary>The product of four sizes, saturating at <see cref="long.MaxValue"/>.</summary>
    public static long Product(long a, long b, long c, long d = 1) => Product(Product(Product(a, b), c), d);

    internal static int Saturate(long value) => value > int.MaxValue ? int.MaxValue : value < int.MinValue ? int.MinValue : (int)value;
}

/// <summary>What is wrong with a shape, as found by <c>TryCreate</c> on a geometry.</summary>
public enum ShapeProblemKind
{
    /// <summary>The shape is valid.</summary>
    None,

    /// <summary>A size, stride, dilation or group count is zero or negative.</summary>
    NotPositive,

    /// <summary>A padding is negative.</summary>
    Negative,

    /// <summary>The input or output channels are not a multiple of the groups.</summary>
    NotDivisibleByGroups,

    /// <summary>The (dilated) kernel is larger than the padded input, so there would be no output.</summary>
    KernelLargerThanInput,

    /// <summary>A pooling padding is not smaller than the kernel, so a window could hold padding only.</summary>
    PaddingNotSmallerThanKernel,

    /// <summary>An element count does not fit in a span (more than <see cref="int.MaxValue"/> elements).</summary>
    TooLarge,
}

/// <summary>A problem with a shape: its kind, the parameter at fault and a sentence that explains it.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Parameter">The constructor parameter at fault (camelCase), or empty when there is no problem.</param>
/// <param name="Message">A sentence that states the problem with the numbers involved.</param>
public readonly record struct ShapeProblem(ShapeProblemKind Kind, string Parameter, string Message)
{
    /// <summary>No problem.</summary>
    public static ShapeProblem None => new(ShapeProblemKind.None, string.Empty, string.Empty);

    /// <summary>Whether this is a real problem.</summary>
    public bool IsProblem => Kind != ShapeProblemKind.None;

    internal static ShapeProblem Positive(string parameter, int value) =>
        new(ShapeProblemKind.NotPositive, parameter, Invariant($"{parameter} must be positive, but is {value}."));

    internal static ShapeProblem NonNegative(string parameter, int value) =>
        new(ShapeProblemKind.Negative, parameter, Invariant($"{parameter} must be zero or positive, but is {value}."));

    internal static ShapeProblem TooLarge(string parameter, string what, long count) =>
        new(ShapeProblemKind.TooLarge, parameter, Invariant($"The {what} would hold {count} elements, more than a span can ({int.MaxValue})."));

    internal static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>The exception a constructor throws for this problem.</summary>
    public ArgumentException ToException() => Kind switch
    {
        ShapeProblemKind.NotPositive or ShapeProblemKind.Negative => new ArgumentOutOfRangeException(Parameter, Message),
        _ => new ArgumentException(Message, Parameter),
    };
}

/// <summary>
/// The shape of a 2-D convolution over NCHW activations with OIHW weights: everything but the batch.
/// Construction validates it; an instance is always a shape that has at least one output element.
/// </summary>
public sealed record Conv2DGeometry
{
    /// <summary>Creates a convolution shape with explicit (possibly asymmetric) padding.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride, dilation or group count is not positive, or a padding is negative.</exception>
    /// <exception cref="ArgumentException">The channels are not divisible by the groups, the kernel is larger than the padded input, or an element count overflows.</exception>
    public Conv2DGeometry(
        int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight = 1, int strideWidth = 1,
        int padTop = 0, int padBottom = 0, int padLeft = 0, int padRight = 0,
        int dilationHeight = 1, int dilationWidth = 1, int groups = 1)
        : this(inChannels, height, width, outChannels, kernelHeight, kernelWidth, strideHeight, strideWidth,
            padTop, padBottom, padLeft, padRight, dilationHeight, dilationWidth, groups, validate: true)
    {
    }

    private Conv2DGeometry(
        int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight,
        int dilationHeight, int dilationWidth, int groups, bool validate)
    {
        InChannels = inChannels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PadTop = padTop;
        PadBottom = padBottom;
        PadLeft = padLeft;
        PadRight = padRight;
        DilationHeight = dilationHeight;
        DilationWidth = dilationWidth;
        Groups = groups;
        OutputHeight = ShapeMath.OutputSize(height, kernelHeight, strideHeight, padTop, padBottom, dilationHeight);
        OutputWidth = ShapeMath.OutputSize(width, kernelWidth, strideWidth, padLeft, padRight, dilationWidth);

        ShapeProblem problem = validate ? FindProblem() : ShapeProblem.None;
        if (problem.IsProblem)
        {
            throw problem.ToException();
        }
    }

    /// <summary>Creates a convolution shape with Keras / TensorFlow "same" padding (output = ceil(input / stride)).</summary>
    public static Conv2DGeometry Same(
        int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight = 1, int strideWidth = 1, int dilationHeight = 1, int dilationWidth = 1, int groups = 1)
    {
        (int top, int bottom) = ShapeMath.SamePadding(height, kernelHeight, strideHeight, dilationHeight);
        (int left, int right) = ShapeMath.SamePadding(width, kernelWidth, strideWidth, dilationWidth);
        return new Conv2DGeometry(inChannels, height, width, outChannels, kernelHeight, kernelWidth,
            strideHeight, strideWidth, top, bottom, left, right, dilationHeight, dilationWidth, groups);
    }

    /// <summary>
    /// Validates a shape without throwing: the geometry, or <see langword="null"/> and the problem found.
    /// The arguments mean what they mean in the constructor.
    /// </summary>
    public static Conv2DGeometry? TryCreate(
        int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight,
        int dilationHeight, int dilationWidth, int groups, out ShapeProblem problem)
    {
        var geometry = new Conv2DGeometry(inChannels, height, width, outChannels, kernelHeight, kernelWidth,
            strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, dilationHeight, dilationWidth, groups, validate: false);
        problem = geometry.FindProblem();
        return problem.IsProblem ? null : geometry;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Input height.</summary>
    public int Height { get; }

    /// <summary>Input width.</summary>
    public int Width { get; }

    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; }

    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; }

    /// <summary>Zero rows added above the input.</summary>
    public int PadTop { get; }

    /// <summary>Zero rows added below the input.</summary>
    public int PadBottom { get; }

    /// <summary>Zero columns added left of the input.</summary>
    public int PadLeft { get; }

    /// <summary>Zero columns added right of the input.</summary>
    public int PadRight { get; }

    /// <summary>Vertical dilation: the distance between kernel taps.</summary>
    public int DilationHeight { get; }

    /// <summary>Horizontal dilation: the distance between kernel taps.</summary>
    public int DilationWidth { get; }

    /// <summary>Groups: input and output channels are split into this many independent convolutions.</summary>
    public int Groups { get; }

    /// <summary>Output height, by the formula of <see cref="ShapeMath.OutputSize"/>.</summary>
    public int OutputHeight { get; }

    /// <summary>
    /// The input rows the output rows reach, padding included: <c>(outH − 1)·strideH + (kH − 1)·dilationH + 1</c>,
    /// the height of the whole padded plane a kernel copies when it fits on the stack.
    /// </summary>
    public int PlaneRows => ((OutputHeight - 1) * StrideHeight) + ((KernelHeight - 1) * DilationHeight) + 1;

    /// <summary>Output width, by the formula of <see cref="ShapeMath.OutputSize"/>.</summary>
    public int OutputWidth { get; }

    /// <summary>Input channels each output channel reads: <c>InChannels / Groups</c>.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels each group writes: <c>OutChannels / Groups</c>.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Whether every channel is convolved on its own (<c>Groups == InChannels == OutChannels</c>).</summary>
    public bool IsDepthwise => Groups == InChannels && Groups == OutChannels;

    /// <summary>Elements of one input sample: <c>InChannels * Height * Width</c>.</summary>
    public int InputLength => (int)ShapeMath.Product(InChannels, Height, Width);

    /// <summary>Elements of one output sample: <c>OutChannels * OutputHeight * OutputWidth</c>.</summary>
    public int OutputLength => (int)ShapeMath.Product(OutChannels, OutputHeight, OutputWidth);

    /// <summary>Elements of the OIHW weights: <c>OutChannels * InChannelsPerGroup * KernelHeight * KernelWidth</c>.</summary>
    public int WeightLength => (int)ShapeMath.Product(OutChannels, InChannelsPerGroup, KernelHeight, KernelWidth);

    /// <summary>Elements of the bias: <c>OutChannels</c>.</summary>
    public int BiasLength => OutChannels;

    /// <summary>Trainable parameters: weights plus bias.</summary>
    public long ParameterCount => (long)WeightLength + BiasLength;

    /// <summary>Floating-point operations for one sample, a multiply-add counted as 2 (bias and activation not counted).</summary>
    public long Flops => ShapeMath.Product(2 * (long)OutputLength, InChannelsPerGroup, KernelHeight, KernelWidth);

    /// <inheritdoc/>
    public override string ToString() => ShapeProblem.Invariant(
        $"conv {InChannels}x{Height}x{Width} -> {OutChannels}x{OutputHeight}x{OutputWidth}, kernel {KernelHeight}x{KernelWidth}, stride {StrideHeight}x{StrideWidth}, pad {PadTop},{PadBottom},{PadLeft},{PadRight}, dilation {DilationHeight}x{DilationWidth}, groups {Groups}");

    private ShapeProblem FindProblem()
    {
        ShapeProblem problem =
            FirstNotPositive(
                (nameof(InChannels), InChannels), (nameof(Height), Height), (nameof(Width), Width),
                (nameof(OutChannels), OutChannels), (nameof(KernelHeight), KernelHeight), (nameof(KernelWidth), KernelWidth),
                (nameof(StrideHeight), StrideHeight), (nameof(StrideWidth), StrideWidth),
                (nameof(DilationHeight), DilationHeight), (nameof(DilationWidth), DilationWidth), (nameof(Groups), Groups));
        if (problem.IsProblem)
        {
            return problem;
        }

        problem = FirstNegative((nameof(PadTop), PadTop), (nameof(PadBottom), PadBottom), (nameof(PadLeft), PadLeft), (nameof(PadRight), PadRight));
        if (problem.IsProblem)
        {
            return problem;
        }

        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
        {
            string parameter = InChannels % Groups != 0 ? nameof(InChannels) : nameof(OutChannels);
            return new ShapeProblem(ShapeProblemKind.NotDivisibleByGroups, Camel(parameter), ShapeProblem.Invariant(
                $"InChannels ({InChannels}) and OutChannels ({OutChannels}) must both be divisible by Groups ({Groups})."));
        }

        if (OutputHeight <= 0 || OutputWidth <= 0)
        {
            bool tall = OutputHeight <= 0;
            return new ShapeProblem(ShapeProblemKind.KernelLargerThanInput, tall ? "kernelHeight" : "kernelWidth", tall
                ? ShapeProblem.Invariant($"The kernel spans {ShapeMath.EffectiveKernel(KernelHeight, DilationHeight)} rows (height {KernelHeight}, dilation {DilationHeight}) but the padded input has only {(long)Height + PadTop + PadBottom}.")
                : ShapeProblem.Invariant($"The kernel spans {ShapeMath.EffectiveKernel(KernelWidth, DilationWidth)} columns (width {KernelWidth}, dilation {DilationWidth}) but the padded input has only {(long)Width + PadLeft + PadRight}."));
        }

        return FirstTooLarge(
            ("inChannels", "input sample", ShapeMath.Product(InChannels, Height, Width)),
            ("outChannels", "output sample", ShapeMath.Product(OutChannels, OutputHeight, OutputWidth)),
            ("outChannels", "weight tensor", ShapeMath.Product(OutChannels, InChannels / Groups, KernelHeight, KernelWidth)));
    }

    internal static ShapeProblem FirstNotPositive(params (string Name, int Value)[] values)
    {
        foreach ((string name, int value) in values)
        {
            if (value <= 0)
            {
                return ShapeProblem.Positive(Camel(name), value);
            }
        }

        return ShapeProblem.None;
    }

    internal static ShapeProblem FirstNegative(params (string Name, int Value)[] values)
    {
        foreach ((string name, int value) in values)
        {
            if (value < 0)
            {
                return ShapeProblem.NonNegative(Camel(name), value);
            }
        }

        return ShapeProblem.None;
    }

    internal static ShapeProblem FirstTooLarge(params (string Parameter, string What, long Count)[] counts)
    {
        foreach ((string parameter, string what, long count) in counts)
        {
            if (count > int.MaxValue)
            {
                return ShapeProblem.TooLarge(parameter, what, count);
            }
        }

        return ShapeProblem.None;
    }

    internal static string Camel(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);
}

/// <summary>
/// The shape of a 2-D max or average pool over NCHW activations: everything but the batch.
/// Each side's padding is smaller than the kernel on its axis, so every window holds at least one input element.
/// </summary>
public sealed record Pool2DGeometry
{
    /// <summary>Creates a pooling shape with symmetric padding. The stride defaults to the kernel size (non-overlapping windows).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, or a padding is negative.</exception>
    /// <exception cref="ArgumentException">A padding is not smaller than the kernel, the kernel is larger than the padded input, or an element count overflows.</exception>
    public Pool2DGeometry(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int? strideHeight = null, int? strideWidth = null, int padHeight = 0, int padWidth = 0)
        : this(channels, height, width, kernelHeight, kernelWidth, strideHeight ?? kernelHeight, strideWidth ?? kernelWidth, padHeight, padHeight, padWidth, padWidth, ceilMode: false, 1, 1, validate: true)
    {
    }

    /// <summary>
    /// Creates a pooling shape with each side's padding (ONNX's <c>pads</c> = [top, left, bottom, right]), and with
    /// <paramref name="ceilMode"/> the output size rounded up (ONNX's <c>ceil_mode</c>, PyTorch's <c>ceil_mode=True</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, or a padding is negative.</exception>
    /// <exception cref="ArgumentException">A padding is not smaller than the kernel, the kernel is larger than the padded input, or an element count overflows.</exception>
    /// <remarks>
    /// <paramref name="dilationHeight"/> and <paramref name="dilationWidth"/> space a max pool's window taps (ONNX's
    /// <c>dilations</c>, PyTorch's <c>dilation</c>); the reference and the generated kernels average undilated windows only.
    /// </remarks>
    public Pool2DGeometry(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, bool ceilMode = false,
        int dilationHeight = 1, int dilationWidth = 1)
        : this(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, ceilMode, dilationHeight, dilationWidth, validate: true)
    {
    }

    private Pool2DGeometry(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, bool ceilMode,
        int dilationHeight, int dilationWidth, bool validate)
    {
        DilationHeight = dilationHeight;
        DilationWidth = dilationWidth;
        Channels = channels;
        Height = height;
        Width = width;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PadTop = padTop;
        PadBottom = padBottom;
        PadLeft = padLeft;
        PadRight = padRight;
        CeilMode = ceilMode;
        OutputHeight = ShapeMath.PoolOutputSize(height, kernelHeight, strideHeight, padTop, padBottom, ceilMode, Math.Max(dilationHeight, 1));
        OutputWidth = ShapeMath.PoolOutputSize(width, kernelWidth, strideWidth, padLeft, padRight, ceilMode, Math.Max(dilationWidth, 1));

        ShapeProblem problem = validate ? FindProblem() : ShapeProblem.None;
        if (problem.IsProblem)
        {
            throw problem.ToException();
        }
    }

    /// <summary>The pool that averages or maximises each whole channel plane to one value.</summary>
    public static Pool2DGeometry Global(int channels, int height, int width) => new(channels, height, width, height, width);

    /// <summary>
    /// Keras / TensorFlow "same" padding for a pool: <c>ceil(in / stride)</c> outputs per axis, the odd extra row or
    /// column of padding after (as <see cref="ShapeMath.SamePadding"/> computes it).
    /// </summary>
    public static Pool2DGeometry Same(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth)
    {
        (int top, int bottom) = ShapeMath.SamePadding(height, kernelHeight, strideHeight, 1);
        (int left, int right) = ShapeMath.SamePadding(width, kernelWidth, strideWidth, 1);
        return new(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, top, bottom, left, right);
    }

    /// <summary>
    /// Validates a shape with symmetric padding without throwing: the geometry, or <see langword="null"/> and the
    /// problem found. The arguments mean what they mean in the constructor.
    /// </summary>
    public static Pool2DGeometry? TryCreate(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padHeight, int padWidth, out ShapeProblem problem) =>
        TryCreate(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padHeight, padHeight, padWidth, padWidth, out problem);

    /// <summary>Validates a shape with each side's padding without throwing: the geometry, or <see langword="null"/> and the problem found.</summary>
    public static Pool2DGeometry? TryCreate(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, out ShapeProblem problem) =>
        TryCreate(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, ceilMode: false, out problem);

    /// <summary>As the other <c>TryCreate</c>, with <paramref name="ceilMode"/> as in the constructor.</summary>
    public static Pool2DGeometry? TryCreate(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, bool ceilMode, out ShapeProblem problem) =>
        TryCreate(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, ceilMode, 1, 1, out problem);

    /// <summary>As the other <c>TryCreate</c>, with <paramref name="ceilMode"/> and the dilations as in the constructor.</summary>
    public static Pool2DGeometry? TryCreate(
        int channels, int height, int width, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, bool ceilMode,
        int dilationHeight, int dilationWidth, out ShapeProblem problem)
    {
        var geometry = new Pool2DGeometry(channels, height, width, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, ceilMode, dilationHeight, dilationWidth, validate: false);
        problem = geometry.FindProblem();
        return problem.IsProblem ? null : geometry;
    }

    /// <summary>Channels (the pool keeps them).</summary>
    public int Channels { get; }

    /// <summary>Input height.</summary>
    public int Height { get; }

    /// <summary>Input width.</summary>
    public int Width { get; }

    /// <summary>Window height.</summary>
    public int KernelHeight { get; }

    /// <summary>Window width.</summary>
    public int KernelWidth { get; }

    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; }

    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; }

    /// <summary>Rows between a max pool window's taps (1: adjacent rows).</summary>
    public int DilationHeight { get; }

    /// <summary>Columns between a max pool window's taps (1: adjacent columns).</summary>
    public int DilationWidth { get; }

    /// <summary>Whether the window's taps are spaced (a dilated max pool).</summary>
    public bool IsDilated => DilationHeight > 1 || DilationWidth > 1;

    /// <summary>Padding above.</summary>
    public int PadTop { get; }

    /// <summary>Padding below.</summary>
    public int PadBottom { get; }

    /// <summary>Padding on the left.</summary>
    public int PadLeft { get; }

    /// <summary>Padding on the right.</summary>
    public int PadRight { get; }

    /// <summary>
    /// Whether the output size is rounded up: a last window may then reach past the padding, which counts as more
    /// padding — except that, as in PyTorch and ONNX, no window starts in the padding after the input.
    /// </summary>
    public bool CeilMode { get; }

    /// <summary>
    /// The rows of output row <paramref name="y"/>'s window that an average divides by: the input rows it covers, or
    /// with <paramref name="countIncludePad"/> every row within the padded input (PyTorch's rule: a ceil-mode window is
    /// clipped at the end of the padding).
    /// </summary>
    public int DivisorRows(int y, bool countIncludePad) =>
        Counted(y * StrideHeight - PadTop, KernelHeight, Height, PadBottom, countIncludePad);

    /// <summary>The columns of output column <paramref name="x"/>'s window that an average divides by; see <see cref="DivisorRows"/>.</summary>
    public int DivisorColumns(int x, bool countIncludePad) =>
        Counted(x * StrideWidth - PadLeft, KernelWidth, Width, PadRight, countIncludePad);

    // In long: a window may be far larger than its input (KernelHeight = int.MaxValue with SAME padding).
    private static int Counted(int start, int kernel, int size, int padAfter, bool countIncludePad) => (int)(countIncludePad
        ? Math.Min((long)start + kernel, (long)size + padAfter) - start
        : Math.Min((long)start + kernel, size) - Math.Max(start, 0));

    /// <summary>Padding above and below, when they are equal: <see cref="PadTop"/>.</summary>
    [Obsolete("Pools pad each side on its own: use PadTop and PadBottom.")]
    public int PadHeight => PadTop;

    /// <summary>Padding left and right, when they are equal: <see cref="PadLeft"/>.</summary>
    [Obsolete("Pools pad each side on its own: use PadLeft and PadRight.")]
    public int PadWidth => PadLeft;

    /// <summary>Output height, by the formula of <see cref="ShapeMath.OutputSize"/>.</summary>
    public int OutputHeight { get; }

    /// <summary>Output width, by the formula of <see cref="ShapeMath.OutputSize"/>.</summary>
    public int OutputWidth { get; }

    /// <summary>Elements of one input sample: <c>Channels * Height * Width</c>.</summary>
    public int InputLength => (int)ShapeMath.Product(Channels, Height, Width);

    /// <summary>Elements of one output sample: <c>Channels * OutputHeight * OutputWidth</c>.</summary>
    public int OutputLength => (int)ShapeMath.Product(Channels, OutputHeight, OutputWidth);

    /// <inheritdoc/>
    public override string ToString() => ShapeProblem.Invariant(
        $"pool {Channels}x{Height}x{Width} -> {Channels}x{OutputHeight}x{OutputWidth}, kernel {KernelHeight}x{KernelWidth}, stride {StrideHeight}x{StrideWidth}, pad {PadTop},{PadBottom},{PadLeft},{PadRight}{(IsDilated ? $", dilation {DilationHeight}x{DilationWidth}" : "")}{(CeilMode ? ", ceil mode" : "")}");

    private ShapeProblem FindProblem()
    {
        ShapeProblem problem = Conv2DGeometry.FirstNotPositive(
            (nameof(Channels), Channels), (nameof(Height), Height), (nameof(Width), Width),
            (nameof(KernelHeight), KernelHeight), (nameof(KernelWidth), KernelWidth),
            (nameof(StrideHeight), StrideHeight), (nameof(StrideWidth), StrideWidth),
            (nameof(DilationHeight), DilationHeight), (nameof(DilationWidth), DilationWidth));
        if (problem.IsProblem)
        {
            return problem;
        }

        problem = Conv2DGeometry.FirstNegative((nameof(PadTop), PadTop), (nameof(PadBottom), PadBottom), (nameof(PadLeft), PadLeft), (nameof(PadRight), PadRight));
        if (problem.IsProblem)
        {
            return problem;
        }

        if (OutputHeight <= 0 || OutputWidth <= 0)
        {
            bool tall = OutputHeight <= 0;
            return new ShapeProblem(ShapeProblemKind.KernelLargerThanInput, tall ? "kernelHeight" : "kernelWidth", tall
                ? ShapeProblem.Invariant($"The kernel height ({KernelHeight}{Spanning(KernelHeight, DilationHeight, "rows")}) is larger than the padded input height ({(long)Height + PadTop + PadBottom}).")
                : ShapeProblem.Invariant($"The kernel width ({KernelWidth}{Spanning(KernelWidth, DilationWidth, "columns")}) is larger than the padded input width ({(long)Width + PadLeft + PadRight})."));
        }

        problem = PaddingOnly(Height, KernelHeight, StrideHeight, DilationHeight, PadTop, PadBottom, OutputHeight, "row", "above", "below", "padTop", "padBottom");
        problem = problem.IsProblem ? problem
            : PaddingOnly(Width, KernelWidth, StrideWidth, DilationWidth, PadLeft, PadRight, OutputWidth, "column", "on the left", "on the right", "padLeft", "padRight");
        if (problem.IsProblem)
        {
            return problem;
        }

        return Conv2DGeometry.FirstTooLarge(
            ("channels", "input sample", ShapeMath.Product(Channels, Height, Width)),
            ("channels", "output sample", ShapeMath.Product(Channels, OutputHeight, OutputWidth)));
    }

    /// <summary>How far a dilated window reaches, for a message: <c>, spanning 4 rows with dilation 3</c>, or nothing.</summary>
    private static string Spanning(int kernel, int dilation, string unit) =>
        dilation > 1 ? ShapeProblem.Invariant($", spanning {ShapeMath.EffectiveKernel(kernel, dilation)} {unit} with dilation {dilation}") : "";

    /// <summary>
    /// The first window on one axis whose taps all fall in the padding (ONNX allows any padding, but such a window has
    /// no maximum and no mean), reported on the side whose padding put it there; or no problem.
    /// </summary>
    private static ShapeProblem PaddingOnly(
        int size, int kernel, int stride, int dilation, int padBefore, int padAfter, int outputs, string unit, string before, string after, string beforeName, string afterName)
    {
        for (int o = 0; o < outputs; o++)
        {
            long start = ((long)o * stride) - padBefore;
            long first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
            if (first < kernel && start + (first * dilation) < size)
            {
                continue;
            }

            bool early = start < 0;
            long last = start + ((long)(kernel - 1) * dilation);
            string taps = dilation > 1 ? ShapeProblem.Invariant($", every {dilation}") : "";
            return new ShapeProblem(ShapeProblemKind.PaddingNotSmallerThanKernel, early ? beforeName : afterName, ShapeProblem.Invariant(
                $"Output {unit} {o}'s window ({unit}s {start} to {last}{taps}) covers only the padding {(early ? before : after)} ({(early ? padBefore : padAfter)}) of an input of {size} {unit}s, and a window must cover at least one input element."));
        }

        return ShapeProblem.None;
    }
}

/// <summary>The shape of a dense (fully connected) layer with <c>[OutFeatures, InFeatures]</c> weights.</summary>
public sealed record DenseGeometry
{
    /// <summary>Creates a dense shape.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is not positive.</exception>
    /// <exception cref="ArgumentException">The weight matrix would hold more elements than a span can.</exception>
    public DenseGeometry(int inFeatures, int outFeatures)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        ShapeProblem problem = FindProblem(inFeatures, outFeatures);
        if (problem.IsProblem)
        {
            throw problem.ToException();
        }
    }

    /// <summary>Validates a shape without throwing: the geometry, or <see langword="null"/> and the problem found.</summary>
    public static DenseGeometry? TryCreate(int inFeatures, int outFeatures, out ShapeProblem problem)
    {
        problem = FindProblem(inFeatures, outFeatures);
        return problem.IsProblem ? null : new DenseGeometry(inFeatures, outFeatures);
    }

    /// <summary>Input features per sample.</summary>
    public int InFeatures { get; }

    /// <summary>Output features per sample.</summary>
    public int OutFeatures { get; }

    /// <summary>Elements of the weights: <c>OutFeatures * InFeatures</c>.</summary>
    public int WeightLength => (int)ShapeMath.Product(OutFeatures, InFeatures);

    /// <summary>Elements of the bias: <c>OutFeatures</c>.</summary>
    public int BiasLength => OutFeatures;

    /// <summary>Trainable parameters: weights plus bias.</summary>
    public long ParameterCount => (long)WeightLength + BiasLength;

    /// <summary>Floating-point operations for one sample, a multiply-add counted as 2.</summary>
    public long Flops => ShapeMath.Product(2, InFeatures, OutFeatures);

    /// <inheritdoc/>
    public override string ToString() => ShapeProblem.Invariant($"dense {InFeatures} -> {OutFeatures}");

    private static ShapeProblem FindProblem(int inFeatures, int outFeatures)
    {
        ShapeProblem problem = Conv2DGeometry.FirstNotPositive((nameof(InFeatures), inFeatures), (nameof(OutFeatures), outFeatures));
        return problem.IsProblem
            ? problem
            : Conv2DGeometry.FirstTooLarge(("inFeatures", "weight matrix", ShapeMath.Product(inFeatures, outFeatures)));
    }
}
