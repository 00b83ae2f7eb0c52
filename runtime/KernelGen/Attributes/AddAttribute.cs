using System;
using System.Collections.Generic;

namespace KernelGen;

/// <summary>
/// Asks the generator to write the body of a <c>static partial void</c> method as an element-wise sum of two tensors of
/// one shape, with a fused activation: <c>output = activation(a + b)</c> — a residual connection's <c>relu(x + f(x))</c>.
/// </summary>
/// <remarks>
/// <para>
/// Stand-alone, the method takes <c>(ReadOnlySpan&lt;float&gt; a, ReadOnlySpan&lt;float&gt; b, Span&lt;float&gt; output[, int batch])</c>,
/// each <c>[batch, Channels, Height, Width]</c>, and <see cref="Channels"/>, <see cref="Height"/> and <see cref="Width"/> are
/// required.
/// </para>
/// <para>
/// Inside a <c>[Network]</c>, the constructor's arguments name the layers added to the layer's input:
/// <c>[Add(nameof(Conv2))]</c>; a stand-alone kernel names none.
/// </para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class AddAttribute : Attribute
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

    /// <summary>An element-wise sum of the method's two spans (stand-alone), or of the layer's input and <paramref name="layers"/> (in a network).</summary>
    /// <param name="layers">In a <c>[Network]</c>: the <c>nameof</c>s of the layers added to the input.</param>
    public AddAttribute(params string[] layers) => Layers = layers ?? [];

    /// <summary>The layers added to the input, in a network; empty for a stand-alone kernel.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>Channels. Required for a stand-alone kernel.</summary>
    public int Channels { get; set; }

    /// <summary>Height. Required for a stand-alone kernel.</summary>
    public int Height { get; set; }

    /// <summary>Width. Required for a stand-alone kernel.</summary>
    public int Width { get; set; }

    /// <summary>The activation applied to each sum, fused into the store. Default <see cref="KernelGen.Activation.None"/>.</summary>
    public Activation Activation { get; set; }

    /// <summary>
    /// The slope of <see cref="KernelGen.Activation.LeakyRelu"/> for values that are not positive. Default 0.01 (PyTorch's
    /// <c>negative_slope</c>, ONNX's <c>alpha</c>); only with <c>Activation = Activation.LeakyRelu</c>, and finite.
    /// </summary>
    public float LeakyReluSlope { get; set; } = ActivationFunctions.DefaultLeakyReluSlope;
}
