using System;
using System.Collections.Generic;

namespace KernelGen;

/// <summary>
/// A layer of a <c>[Network]</c> that joins its input and the named layers along channels, in that order (ONNX's
/// <c>Concat</c> on axis 1, PyTorch's <c>torch.cat(…, dim=1)</c>): <c>[Concat(nameof(Branch2), nameof(Branch3))]</c>. Every
/// joined tensor has the same height and width (or all are flat features, which are joined end to end). Networks only.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ConcatAttribute : Attribute
{
    /// <summary>Joins the layer's input and <paramref name="layers"/> along channels.</summary>
    /// <param name="layers">The <c>nameof</c>s of the layers joined after the input.</param>
    public ConcatAttribute(params string[] layers) => Layers = layers ?? [];

    /// <summary>The layers joined after the input.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>
    /// The <c>nameof</c> of the layer this one reads first, or <see cref="NetworkAttribute.Input"/>. Default: the layer
    /// declared just before.
    /// </summary>
    public string? Input { get; set; }

    /// <summary>
    /// Inside a <c>[Network]</c>: the prefix of this layer's parameter names in <c>Parameters</c>, <c>Save</c> and <c>Load</c>
    /// (<c>{Name}.weight</c>, <c>{Name}.bias</c>), dots allowed — <c>"layer1.0.conv1"</c> — so that a PyTorch state dict loads as it
    /// is. Default: the method's name.
    /// </summary>
    public string? Name { get; set; }
}
