using System;

namespace KernelGen;

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as a dense (fully
/// connected) layer: <c>output[n, o] = activation(bias[o] + Σ_i weights[o, i] · input[n, i])</c>.
/// </summary>
/// <remarks>
/// The method takes <c>(ReadOnlySpan&lt;float&gt; input, ReadOnlySpan&lt;float&gt; weights[, ReadOnlySpan&lt;float&gt; bias],
/// Span&lt;float&gt; output[, int batch])</c>; weights are <c>[OutFeatures, InFeatures]</c>, as in PyTorch and ONNX.
/// An NCHW activation is its own flattened input (<c>InFeatures = C * H * W</c>).
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class DenseAttribute : Attribute
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

    /// <summary>Input features per sample. Required.</summary>
    public int InFeatures { get; set; }

    /// <summary>Output features per sample. Required.</summary>
    public int OutFeatures { get; set; }

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
}
