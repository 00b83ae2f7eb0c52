using System.Collections.Generic;

namespace KernelGen.Onnx.Lowering;

/// <summary>
/// A tensor flowing through the network during import: which layer writes it (null: the network's input), its
/// shape per sample, and whether it is flat (features, after <c>Flatten</c>, <c>Reshape</c>, a dense layer or a global pool).
/// </summary>
internal sealed record TensorValue(ImportedLayer? Producer, int Channels, int Height, int Width, bool Flat)
{
    public int Length => Channels * Height * Width;

    public string Describe() => Flat ? OnnxFormat.Invariant($"{Length}") : OnnxFormat.Invariant($"{Channels}×{Height}×{Width}");
}

/// <summary>A constant of the graph: an initializer, a <c>Constant</c> node's value, or a shape computed from known shapes.</summary>
internal sealed record ConstantValue(int[] Shape, float[] Floats, long[] Integers);

/// <summary>
/// One layer of the imported network: its attribute and properties as the class will declare them, the ONNX nodes it
/// stands for, what it reads, its output, and its parameters (already in KernelGen's layouts, folded where asked).
/// </summary>
internal sealed class ImportedLayer(string attribute, string method, string prefix)
{
    /// <summary>The attribute: <c>Conv2D</c>, <c>BatchNorm2D</c>, <c>Dense</c>, <c>MaxPool2D</c>, …</summary>
    public string Attribute { get; } = attribute;

    /// <summary>The layer's method name (a C# identifier made from its ONNX node's name).</summary>
    public string Method { get; } = method;

    /// <summary>Its parameters' name prefix (<c>Name = "…"</c>): the initializer's own prefix for PyTorch exports, else the node's name.</summary>
    public string Prefix { get; } = prefix;

    /// <summary>The properties in the order written, beside <c>Input</c>, <c>Activation</c> and <c>Name</c>.</summary>
    public List<(string Name, string Value)> Properties { get; } = [];

    /// <summary>The ONNX nodes it stands for, for the comment above it: <c>conv1 (Conv)</c>, <c>bn1 (BatchNormalization, folded)</c>.</summary>
    public List<string> Nodes { get; } = [];

    /// <summary>What it reads: its input, then for <c>[Add]</c> and <c>[Concat]</c> the other operands; null is the network's input.</summary>
    public List<ImportedLayer?> Inputs { get; } = [];

    /// <summary>The activation fused into it (<c>Activation.Relu</c>), or null.</summary>
    public string? Activation { get; set; }

    /// <summary>The leaky ReLU's slope, when it is not 0.01.</summary>
    public float? Slope { get; set; }

    public TensorValue? Output { get; set; }

    /// <summary>Its input's shape, for the comment.</summary>
    public TensorValue? In { get; set; }

    /// <summary>Its parameters by suffix (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, …) with their shapes.</summary>
    public Dictionary<string, (int[] Shape, float[] Values)> Parameters { get; } = [];

    /// <summary>Whether an activation may still be fused into it: a layer whose kernel applies one and that has none yet.</summary>
    public bool TakesActivation => Activation is null && Attribute is "Conv2D" or "Dense" or "Add" or "BatchNorm2D";
}
