using System.Collections.Generic;
using System.Linq;
using System.Text;
using static KernelGen.Onnx.OnnxFormat;

namespace KernelGen.Onnx.Lowering;

/// <summary>
/// Writes the imported layers as a <c>[Network]</c> class a person can read and edit: one attribute per layer in graph
/// order, each with a comment naming the ONNX nodes it stands for and its shapes, <c>Input</c> only where a layer does not
/// read the one declared before it, and only the properties that differ from the defaults.
/// </summary>
internal static class NetworkWriter
{
    public static string Write(OnnxImportOptions options, string header, TensorValue input, IReadOnlyList<ImportedLayer> layers, bool softmax)
    {
        var s = new StringBuilder();
        s.Append(header).Append('\n');
        s.Append("using KernelGen;\n\n");
        string indent = "";
        if (options.Namespace is not null)
        {
            s.Append(Invariant($"namespace {options.Namespace};\n\n"));
        }

        TensorValue output = layers[^1].Output!;
        s.Append(Invariant($"/// <summary>The imported model as a KernelGen network: {layers.Count} layers from {input.Describe()} inputs to {output.Length} outputs per sample.</summary>\n"));
        s.Append(input.Flat
            ? Invariant($"[Network(InputChannels = {input.Channels}, InputHeight = 1, InputWidth = 1)]\n")
            : Invariant($"[Network(InputChannels = {input.Channels}, InputHeight = {input.Height}, InputWidth = {input.Width})]\n"));
        s.Append(Invariant($"public sealed partial class {options.ClassName}\n{{\n"));
        indent = "    ";
        ImportedLayer? previous = null;
        foreach (ImportedLayer layer in layers)
        {
            if (previous is not null)
            {
                s.Append('\n');
            }

            s.Append(Invariant($"{indent}// {string.Join(" + ", layer.Nodes)}: {layer.In!.Describe()} → {layer.Output!.Describe()}.\n"));
            s.Append(indent).Append(Attribute(layer, previous)).Append('\n');
            s.Append(Invariant($"{indent}partial void {layer.Method}();\n"));
            previous = layer;
        }

        if (softmax)
        {
            s.Append('\n');
            s.Append(Invariant($$"""
                {{indent}}/// <summary>
                {{indent}}/// <see cref="Forward(System.ReadOnlySpan{float}, System.Span{float}, int)"/>, then the model's final Softmax over each sample's
                {{indent}}/// {{output.Length}} outputs: the ONNX model's output.
                {{indent}}/// </summary>
                {{indent}}public void Probabilities(System.ReadOnlySpan<float> input, System.Span<float> probabilities, int batch = 1)
                {{indent}}{
                {{indent}}    Forward(input, probabilities, batch);
                {{indent}}    for (int n = 0; n < batch; n++)
                {{indent}}    {
                {{indent}}        System.Span<float> row = probabilities.Slice(n * OutputSize, OutputSize);
                {{indent}}        float max = float.NegativeInfinity, sum = 0;
                {{indent}}        foreach (float score in row)
                {{indent}}        {
                {{indent}}            max = System.MathF.Max(max, score);
                {{indent}}        }

                {{indent}}        for (int k = 0; k < row.Length; k++)
                {{indent}}        {
                {{indent}}            row[k] = System.MathF.Exp(row[k] - max);
                {{indent}}            sum += row[k];
                {{indent}}        }

                {{indent}}        for (int k = 0; k < row.Length; k++)
                {{indent}}        {
                {{indent}}            row[k] /= sum;
                {{indent}}        }
                {{indent}}    }
                {{indent}}}

                """));
        }

        s.Append("}\n");
        return s.ToString();
    }

    private static string Attribute(ImportedLayer layer, ImportedLayer? previous)
    {
        var arguments = new List<string>();
        if (layer.Attribute is "Add" or "Concat")
        {
            arguments.AddRange(layer.Inputs.Skip(1).Select(Reference));
        }

        arguments.AddRange(layer.Properties.Select(p => $"{p.Name} = {p.Value}"));
        if (layer.Inputs[0] != previous && !(previous is null && layer.Inputs[0] is null))
        {
            arguments.Add($"Input = {Reference(layer.Inputs[0])}");
        }

        if (layer.Attribute is "Conv2D" or "Dense" && !layer.Parameters.ContainsKey("bias"))
        {
            arguments.Add("Bias = false");
        }

        if (layer.Activation is not null)
        {
            arguments.Add($"Activation = Activation.{layer.Activation}");
        }

        if (layer.Slope is { } slope)
        {
            arguments.Add($"LeakyReluSlope = {Float(slope)}");
        }

        if (layer.Parameters.Count > 0 && layer.Prefix != layer.Method)
        {
            arguments.Add($"Name = \"{layer.Prefix}\"");
        }

        return arguments.Count == 0 ? $"[{layer.Attribute}]" : $"[{layer.Attribute}({string.Join(", ", arguments)})]";
    }

    private static string Reference(ImportedLayer? layer) => layer is null ? "NetworkAttribute.Input" : $"nameof({layer.Method})";
}
