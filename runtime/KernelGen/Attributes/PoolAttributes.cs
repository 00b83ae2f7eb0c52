using System;

namespace KernelGen;

/// <summary>The shape of a 2-D pooling window, shared by <see cref="MaxPool2DAttribute"/> and <see cref="AvgPool2DAttribute"/>.</summary>
/// <remarks>
/// Output size per spatial axis: <c>floor((in + padBefore + padAfter - kernel) / stride) + 1</c>; with
/// <see cref="SamePadding"/>, <c>ceil(in / stride)</c>.
/// Required: <see cref="Channels"/>, <see cref="Height"/>, <see cref="Width"/>, and <see cref="Kernel"/>
/// or both <see cref="KernelHeight"/> and <see cref="KernelWidth"/>.
/// </remarks>
public abstract class Pool2DAttribute : Attribute
{
    /// <summary>
    /// Inside a <c>[Network]</c>: the <c>nameof</c> of the layer this one reads, or <see cref="NetworkAttribute.Input"/> for the
    /// network's input. Default: the layer declared just before (the network's input for the first).
    /// </summary>
    public string? Input { get; set; }

    /// <summary>
    /// Inside a <c>[Network]</c>: the prefix of this layer's parameter names in <c>Parameters</c>, <c>Save</c> and <c>Load</c>
    /// (<c>{Name}.weight</c>, <c>{Name}.bias</c>), dots allowed — <c>"layer1.0.conv1"</c> — so that a PyTorch state dict loads as it
    /// is. Default: the method's name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Channels (kept by the pool). Required.</summary>
    public int Channels { get; set; }

    /// <summary>Input height. Required.</summary>
    public int Height { get; set; }

    /// <summary>Input width. Required.</summary>
    public int Width { get; set; }

    /// <summary>Window height and width. Required unless both <see cref="KernelHeight"/> and <see cref="KernelWidth"/> are set.</summary>
    public int Kernel { get; set; }

    /// <summary>Window height, for a rectangular window.</summary>
    public int KernelHeight { get; set; }

    /// <summary>Window width, for a rectangular window.</summary>
    public int KernelWidth { get; set; }

    /// <summary>Stride on both axes. Default: the window size (non-overlapping windows).</summary>
    public int Stride { get; set; }

    /// <summary>Vertical stride. Default: <see cref="Stride"/>, else the window height.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Horizontal stride. Default: <see cref="Stride"/>, else the window width.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Padding on all four sides. Default 0; must be smaller than the window, so that every window covers an input element.</summary>
    public int Padding { get; set; }

    /// <summary>Padding above and below. Default: <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Padding left and right. Default: <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }

    /// <summary>Padding rows above: ONNX's <c>pads[0]</c>. Default: <see cref="PaddingHeight"/>. Not together with <see cref="SamePadding"/>.</summary>
    public int PaddingTop { get; set; }

    /// <summary>Padding rows below: ONNX's <c>pads[2]</c>. Default: <see cref="PaddingHeight"/>. Not together with <see cref="SamePadding"/>.</summary>
    public int PaddingBottom { get; set; }

    /// <summary>Padding columns on the left: ONNX's <c>pads[1]</c>. Default: <see cref="PaddingWidth"/>. Not together with <see cref="SamePadding"/>.</summary>
    public int PaddingLeft { get; set; }

    /// <summary>Padding columns on the right: ONNX's <c>pads[3]</c>. Default: <see cref="PaddingWidth"/>. Not together with <see cref="SamePadding"/>.</summary>
    public int PaddingRight { get; set; }

    /// <summary>
    /// Keras / TensorFlow "same" padding (<c>MaxPooling2D(padding='same')</c>): <c>ceil(in / stride)</c> outputs per axis,
    /// the odd extra row or column of padding after. Default <see langword="false"/>.
    /// </summary>
    public bool SamePadding { get; set; }

    /// <summary>
    /// Round the output size up (ONNX's <c>ceil_mode</c>, PyTorch's <c>ceil_mode=True</c>): a last window may reach past
    /// the padding, except that none starts in the padding after the input. Default <see langword="false"/>; not
    /// together with <see cref="SamePadding"/>. An average that counts the padding divides such a window by its part
    /// within the padded input, as PyTorch does.
    /// </summary>
    public bool CeilMode { get; set; }

    /// <summary>
    /// Rows and columns between the window's taps (ONNX's <c>dilations</c>, PyTorch's <c>dilation</c>); default 1. Max pools
    /// only: on <see cref="AvgPool2DAttribute"/> it is reported (KGEN004), as PyTorch's <c>AvgPool2d</c> has none.
    /// </summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Rows between the window's taps; overrides <see cref="Dilation"/> vertically. Max pools only.</summary>
    public int DilationHeight { get; set; }

    /// <summary>Columns between the window's taps; overrides <see cref="Dilation"/> horizontally. Max pools only.</summary>
    public int DilationWidth { get; set; }
}

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as a 2-D max pool.
/// </summary>
/// <remarks>
/// The method takes <c>(ReadOnlySpan&lt;float&gt; input, Span&lt;float&gt; output[, int batch])</c>, NCHW.
/// Padding never wins the maximum, as in PyTorch and ONNX.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class MaxPool2DAttribute : Pool2DAttribute
{
}

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as a 2-D average pool.
/// </summary>
/// <remarks>
/// The method takes <c>(ReadOnlySpan&lt;float&gt; input, Span&lt;float&gt; output[, int batch])</c>, NCHW.
/// Padding adds zeros to a window's sum; whether it counts in the divisor is <see cref="CountIncludePad"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class AvgPool2DAttribute : Pool2DAttribute
{
    /// <summary>
    /// Divide by the whole window, padding included (<see langword="true"/>), or only by the input
    /// elements the window covers (<see langword="false"/>, the default).
    /// </summary>
    public bool CountIncludePad { get; set; }
}

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as a global average pool:
/// each <c>Height × Width</c> channel plane becomes its mean, so the output is <c>[batch, Channels]</c>.
/// </summary>
/// <remarks>The method takes <c>(ReadOnlySpan&lt;float&gt; input, Span&lt;float&gt; output[, int batch])</c>. All three properties are required.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class GlobalAvgPool2DAttribute : Attribute
{
    /// <summary>
    /// Inside a <c>[Network]</c>: the <c>nameof</c> of the layer this one reads, or <see cref="NetworkAttribute.Input"/> for the
    /// network's input. Default: the layer declared just before (the network's input for the first).
    /// </summary>
    public string? Input { get; set; }

    /// <summary>
    /// Inside a <c>[Network]</c>: the prefix of this layer's parameter names in <c>Parameters</c>, <c>Save</c> and <c>Load</c>
    /// (<c>{Name}.weight</c>, <c>{Name}.bias</c>), dots allowed — <c>"layer1.0.conv1"</c> — so that a PyTorch state dict loads as it
    /// is. Default: the method's name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Channels. Required.</summary>
    public int Channels { get; set; }

    /// <summary>Input height. Required.</summary>
    public int Height { get; set; }

    /// <summary>Input width. Required.</summary>
    public int Width { get; set; }
}

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as a global max pool (ONNX's
/// <c>GlobalMaxPool</c>, PyTorch's <c>AdaptiveMaxPool2d(1)</c>): each <c>Height × Width</c> channel plane becomes its
/// largest element, so the output is <c>[batch, Channels]</c>. A NaN in a plane makes its result NaN.
/// </summary>
/// <remarks>The method takes <c>(ReadOnlySpan&lt;float&gt; input, Span&lt;float&gt; output[, int batch])</c>. All three properties are required.</remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class GlobalMaxPool2DAttribute : Attribute
{
    /// <summary>
    /// Inside a <c>[Network]</c>: the <c>nameof</c> of the layer this one reads, or <see cref="NetworkAttribute.Input"/> for the
    /// network's input. Default: the layer declared just before (the network's input for the first).
    /// </summary>
    public string? Input { get; set; }

    /// <summary>
    /// Inside a <c>[Network]</c>: the prefix of this layer's parameter names in <c>Parameters</c>, <c>Save</c> and <c>Load</c>
    /// (<c>{Name}.weight</c>, <c>{Name}.bias</c>), dots allowed — <c>"layer1.0.conv1"</c> — so that a PyTorch state dict loads as it
    /// is. Default: the method's name.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>Channels. Required.</summary>
    public int Channels { get; set; }

    /// <summary>Input height. Required.</summary>
    public int Height { get; set; }

    /// <summary>Input width. Required.</summary>
    public int Width { get; set; }
}
