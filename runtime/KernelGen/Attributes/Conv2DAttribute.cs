using System;

namespace KernelGen;

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as a 2-D convolution
/// (cross-correlation, as in PyTorch, ONNX and Keras) of the shape stated here.
/// </summary>
/// <remarks>
/// <para>
/// The method takes <c>(ReadOnlySpan&lt;float&gt; input, ReadOnlySpan&lt;float&gt; weights[, ReadOnlySpan&lt;float&gt; bias],
/// Span&lt;float&gt; output[, int batch])</c>. Activations are NCHW, weights OIHW
/// (<c>[OutChannels, InChannels / Groups, KernelHeight, KernelWidth]</c>), bias <c>[OutChannels]</c>.
/// </para>
/// <para>
/// Output size per spatial axis:
/// <c>floor((in + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1</c>
/// (see <see cref="ShapeMath.OutputSize"/>). With <see cref="SamePadding"/> it is <c>ceil(in / stride)</c>.
/// </para>
/// <para>
/// Required: <see cref="InChannels"/>, <see cref="Height"/>, <see cref="Width"/>, <see cref="OutChannels"/>,
/// and <see cref="Kernel"/> or both <see cref="KernelHeight"/> and <see cref="KernelWidth"/>.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
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

    /// <summary>Input channels. Required.</summary>
    public int InChannels { get; set; }

    /// <summary>Input height in pixels. Required.</summary>
    public int Height { get; set; }

    /// <summary>Input width in pixels. Required.</summary>
    public int Width { get; set; }

    /// <summary>Output channels: the number of filters. Required.</summary>
    public int OutChannels { get; set; }

    /// <summary>Kernel height and width, for a square kernel. Required unless both <see cref="KernelHeight"/> and <see cref="KernelWidth"/> are set; not together with them.</summary>
    public int Kernel { get; set; }

    /// <summary>Kernel height, for a rectangular kernel (with <see cref="KernelWidth"/>).</summary>
    public int KernelHeight { get; set; }

    /// <summary>Kernel width, for a rectangular kernel (with <see cref="KernelHeight"/>).</summary>
    public int KernelWidth { get; set; }

    /// <summary>Stride on both axes. Default 1.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Vertical stride. Default: <see cref="Stride"/>.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Horizontal stride. Default: <see cref="Stride"/>.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Zero padding added on all four sides. Default 0. Not together with <see cref="SamePadding"/>.</summary>
    public int Padding { get; set; }

    /// <summary>Zero rows added above and below. Default: <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Zero columns added left and right. Default: <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }

    /// <summary>
    /// Zero rows added above: ONNX's <c>pads[0]</c>. Default: <see cref="PaddingHeight"/>. Not together with <see cref="SamePadding"/>.
    /// </summary>
    public int PaddingTop { get; set; }

    /// <summary>
    /// Zero rows added below: ONNX's <c>pads[2]</c>. Default: <see cref="PaddingHeight"/>. Not together with <see cref="SamePadding"/>.
    /// </summary>
    public int PaddingBottom { get; set; }

    /// <summary>
    /// Zero columns added on the left: ONNX's <c>pads[1]</c>. Default: <see cref="PaddingWidth"/>. Not together with <see cref="SamePadding"/>.
    /// </summary>
    public int PaddingLeft { get; set; }

    /// <summary>
    /// Zero columns added on the right: ONNX's <c>pads[3]</c>. Default: <see cref="PaddingWidth"/>. Not together with <see cref="SamePadding"/>.
    /// </summary>
    public int PaddingRight { get; set; }

    /// <summary>
    /// Keras / TensorFlow "same" padding: the output has <c>ceil(in / stride)</c> elements per axis, and
    /// when the total padding is odd the extra row or column goes after. Default <see langword="false"/>.
    /// </summary>
    public bool SamePadding { get; set; }

    /// <summary>Distance between kernel taps on both axes. Default 1 (no dilation).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Vertical dilation. Default: <see cref="Dilation"/>.</summary>
    public int DilationHeight { get; set; }

    /// <summary>Horizontal dilation. Default: <see cref="Dilation"/>.</summary>
    public int DilationWidth { get; set; }

    /// <summary>
    /// Channel groups. Default 1. Both channel counts must be divisible by it;
    /// <c>Groups == InChannels == OutChannels</c> is a depthwise convolution.
    /// </summary>
    public int Groups { get; set; } = 1;

    /// <summary>The activation applied to each output, fused into the store. Default <see cref="KernelGen.Activation.None"/>.</summary>
    public Activation Activation { get; set; }

    /// <summary>
    /// Inside a <c>[Network]</c>: whether the layer has a bias (default true); <c>Bias = false</c> before a BatchNorm, as
    /// torchvision's ResNets do. A stand-alone kernel has a bias when its method takes a bias span.
    /// </summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// Inside a <c>[Network]</c>: the <c>nameof</c> of a layer of the same kind and shape whose weights (and bias) this one
    /// uses instead of its own — Keras's one layer applied twice; their gradients are summed.
    /// </summary>
    public string? SharesWeightsWith { get; set; }

    /// <summary>
    /// The slope of <see cref="KernelGen.Activation.LeakyRelu"/> for values that are not positive. Default 0.01 (PyTorch's
    /// <c>negative_slope</c>, ONNX's <c>alpha</c>); only with <c>Activation = Activation.LeakyRelu</c>, and finite.
    /// </summary>
    public float LeakyReluSlope { get; set; } = ActivationFunctions.DefaultLeakyReluSlope;

    /// <summary>
    /// How the layer is computed. Default <see cref="ConvAlgorithm.Auto"/>: the generator chooses per shape. The plain
    /// method is always direct; a Winograd or packed direct layer also gets <c>{Method}PackWeights(weights)</c> and an
    /// overload taking the <see cref="PackedWeights"/> it returns (the weights transformed or laid out once).
    /// <see cref="ConvAlgorithm.Direct"/> forces the direct algorithm over the weights as stored, with no packed overload.
    /// </summary>
    public ConvAlgorithm Algorithm { get; set; }

    /// <summary>
    /// Rotate the kernel by 180° before sliding it: the textbook convolution rather than
    /// cross-correlation. Default <see langword="false"/>.
    /// </summary>
    public bool FlipKernel { get; set; }
}
