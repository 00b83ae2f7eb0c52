using System;

namespace KernelGen;

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as 2-D batch normalisation in inference
/// form (ONNX's <c>BatchNormalization</c>, PyTorch's <c>BatchNorm2d</c> in <c>eval()</c>):
/// <c>y = (x − mean) / √(variance + Epsilon) · scale + shift</c> per channel, then <see cref="Activation"/>.
/// </summary>
/// <remarks>
/// The method takes <c>(ReadOnlySpan&lt;float&gt; input, ReadOnlySpan&lt;float&gt; scale, ReadOnlySpan&lt;float&gt; shift,
/// ReadOnlySpan&lt;float&gt; mean, ReadOnlySpan&lt;float&gt; variance, Span&lt;float&gt; output[, int batch])</c>: NCHW activations and
/// four <c>[Channels]</c> vectors (PyTorch's <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>).
/// The training form, with batch statistics, is <see cref="Reference.BatchNorm2DTraining"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class BatchNorm2DAttribute : Attribute
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

    /// <summary>Channels. Required for a stand-alone kernel.</summary>
    public int Channels { get; set; }

    /// <summary>Height. Required for a stand-alone kernel.</summary>
    public int Height { get; set; }

    /// <summary>Width. Required for a stand-alone kernel.</summary>
    public int Width { get; set; }

    /// <summary>Added to the variance before its square root. Default 1e-5, PyTorch's and ONNX's; must be positive.</summary>
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>
    /// How far one training batch moves the running statistics, PyTorch's convention:
    /// <c>running = (1 − Momentum) · running + Momentum · batch</c>. Default 0.1; from 0 to 1. (ONNX's <c>momentum</c> is 1 minus this.)
    /// </summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>The activation applied to each output, fused into the store. Default <see cref="KernelGen.Activation.None"/>.</summary>
    public Activation Activation { get; set; }

    /// <summary>
    /// The slope of <see cref="KernelGen.Activation.LeakyRelu"/> for values that are not positive. Default 0.01 (PyTorch's
    /// <c>negative_slope</c>, ONNX's <c>alpha</c>); only with <c>Activation = Activation.LeakyRelu</c>, and finite.
    /// </summary>
    public float LeakyReluSlope { get; set; } = ActivationFunctions.DefaultLeakyReluSlope;
}
