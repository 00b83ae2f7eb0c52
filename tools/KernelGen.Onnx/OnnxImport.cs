using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using KernelGen.Onnx.Lowering;
using KernelGen.Onnx.Protos;
using KernelGen.Onnx.Reading;
using static KernelGen.Onnx.OnnxFormat;

namespace KernelGen.Onnx;

/// <summary>How to import a model: the class to write, and the choices <c>kernelgen import</c> offers.</summary>
/// <param name="ClassName">The <c>[Network]</c> class's name (a C# identifier).</param>
public sealed record OnnxImportOptions(string ClassName)
{
    /// <summary>The class's namespace; none (the global namespace) when null.</summary>
    public string? Namespace { get; init; }

    /// <summary>One sample's shape [channels, height, width] when the model leaves it open (a symbolic or missing size); the model's own otherwise.</summary>
    public IReadOnlyList<int>? InputShape { get; init; }

    /// <summary>
    /// Keep every <c>BatchNormalization</c> as a <c>[BatchNorm2D]</c> layer (with its running statistics), so that the network
    /// can be trained or fine-tuned; by default each is folded into the convolution before it, for inference.
    /// </summary>
    public bool KeepBatchNorm { get; init; }
}

/// <summary>
/// An ONNX model imported as a KernelGen network: the C# of a <c>[Network]</c> class whose layers are the model's, each
/// named after the ONNX node it came from, and its weights under the names that class gives them. <see cref="Import(string, OnnxImportOptions)"/>
/// reads and checks everything first; <see cref="WriteTo"/> writes <c>{Class}.cs</c> and <c>{Class}.safetensors</c>.
/// </summary>
public sealed class OnnxImport
{
    private OnnxImport(string className, string source, IReadOnlyDictionary<string, Tensor> weights, bool softmax, int layers)
    {
        ClassName = className;
        Source = source;
        Weights = weights;
        Softmax = softmax;
        LayerCount = layers;
    }

    /// <summary>The class's name.</summary>
    public string ClassName { get; }

    /// <summary>The class, as C# source.</summary>
    public string Source { get; }

    /// <summary>The weights by the names the class's <c>Load</c> reads (<c>{Name}.weight</c>, <c>{Name}.bias</c>, <c>{Name}.running_mean</c>, …).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights { get; }

    /// <summary>Whether the model ends in a Softmax, which the class applies in its <c>Probabilities</c> method.</summary>
    public bool Softmax { get; }

    /// <summary>How many layers the class declares.</summary>
    public int LayerCount { get; }

    /// <summary>Imports the model in the file at <paramref name="path"/>.</summary>
    /// <exception cref="OnnxImportException">The file is not a well-formed ONNX model, or holds something KernelGen cannot express.</exception>
    public static OnnxImport Import(string path, OnnxImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Import(OnnxFile.Read(path), Path.GetFileName(path), options);
    }

    /// <summary>Imports the model in <paramref name="model"/> (an ONNX file's bytes); <paramref name="source"/> names it in messages and in the header.</summary>
    /// <exception cref="OnnxImportException">The bytes are not a well-formed ONNX model, or hold something KernelGen cannot express.</exception>
    public static OnnxImport Import(byte[] model, string source, OnnxImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Import(OnnxFile.Parse(model, source), source, options);
    }

    private static OnnxImport Import(ModelProto model, string source, OnnxImportOptions options)
    {
        try
        {
            return Lower(model, source, options);
        }
        catch (Exception e) when (e is not (OnnxImportException or ArgumentException or IOException or OutOfMemoryException))
        {
            // Every refusal is an OnnxImportException of its own; anything else is a bug of the importer's, reported as one.
            throw new OnnxImportException($"'{source}' could not be imported ({e.GetType().Name}: {e.Message}); this is a bug of the importer, please report it with the model.", e);
        }
    }

    private static OnnxImport Lower(ModelProto model, string source, OnnxImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!System.Text.RegularExpressions.Regex.IsMatch(options.ClassName, "^[A-Za-z_][A-Za-z0-9_]*$"))
        {
            throw new ArgumentException($"'{options.ClassName}' is not a C# class name.", nameof(options));
        }

        if (options.Namespace is { } ns && !System.Text.RegularExpressions.Regex.IsMatch(ns, @"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"))
        {
            throw new ArgumentException($"'{ns}' is not a C# namespace.", nameof(options));
        }

        OnnxGraph graph = OnnxGraph.From(model, source);
        TensorValue input = Input(graph, options);
        Lowerer lowered = Lowerer.Lower(graph, input, options.KeepBatchNorm, options.ClassName);
        var weights = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (ImportedLayer layer in lowered.Layers)
        {
            foreach ((string suffix, (int[] shape, float[] values)) in layer.Parameters)
            {
                if (!weights.TryAdd($"{layer.Prefix}.{suffix}", Tensor.FromArray(values, shape)))
                {
                    throw new OnnxImportException($"Two layers would save their parameters as '{layer.Prefix}.{suffix}'.");
                }
            }
        }

        string header = Header(model, source, options, graph);
        string code = NetworkWriter.Write(options, header, input, lowered.Layers, lowered.Softmax);
        return new OnnxImport(options.ClassName, code, weights, lowered.Softmax, lowered.Layers.Count);
    }

    /// <summary>
    /// Writes <c>{Class}.cs</c> and <c>{Class}.safetensors</c> into <paramref name="directory"/> (made if need be), each
    /// first to a temporary file beside it, so that a failure leaves no half-written file.
    /// </summary>
    public void WriteTo(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        string code = Path.Combine(directory, ClassName + ".cs"), weights = Path.Combine(directory, ClassName + ".safetensors");
        string codeTemp = code + ".tmp", weightsTemp = weights + ".tmp";
        try
        {
            File.WriteAllText(codeTemp, Source);
            Safetensors.Save(weightsTemp, Weights, new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "kernelgen import" });
            File.Move(codeTemp, code, overwrite: true);
            File.Move(weightsTemp, weights, overwrite: true);
        }
        finally
        {
            File.Delete(codeTemp);
            File.Delete(weightsTemp);
        }
    }

    private static TensorValue Input(OnnxGraph graph, OnnxImportOptions options)
    {
        var dims = graph.Input.Type?.TensorType?.Shape?.Dim;
        long[] shape = dims is null ? [] : [.. dims.Skip(1).Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : -1)];
        if (options.InputShape is { } given)
        {
            if (given.Count is not (1 or 3) || given.Any(d => d < 1))
            {
                throw new ArgumentException($"The input shape [{string.Join(", ", given)}] is not [channels, height, width] (or [features]) of positive sizes.", nameof(options));
            }

            if (shape.Length > 0 && (shape.Length != given.Count || shape.Zip(given).Any(p => p.First > 0 && p.First != p.Second)))
            {
                throw new OnnxImportException($"The input shape given, [{string.Join(", ", given)}], differs from the model's, [{string.Join(", ", shape.Select(d => d < 0 ? "?" : Invariant($"{d}")))}].");
            }

            shape = [.. given.Select(d => (long)d)];
        }

        if (shape.Length is not (1 or 3) || shape.Any(d => d < 1 || d > 1 << 20))
        {
            throw new OnnxImportException($"The model's input '{graph.Input.Name}' is [N, {string.Join(", ", shape.Select(d => d < 0 ? "?" : Invariant($"{d}")))}] per batch; "
                + "a network reads [N, channels, height, width] (or [N, features]) of known sizes: give them with --input-shape, e.g. 1x3x224x224.");
        }

        return shape.Length == 1 ? new TensorValue(null, (int)shape[0], 1, 1, true) : new TensorValue(null, (int)shape[0], (int)shape[1], (int)shape[2], false);
    }

    private static string Header(ModelProto model, string source, OnnxImportOptions options, OnnxGraph graph)
    {
        string version = typeof(OnnxImport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "";
        string producer = string.IsNullOrEmpty(model.ProducerName) ? "an unnamed producer" : $"{model.ProducerName} {model.ProducerVersion}".Trim();
        var command = new List<string> { "kernelgen import", source, "--class", options.ClassName };
        if (options.Namespace is not null)
        {
            command.AddRange(["--namespace", options.Namespace]);
        }

        if (options.InputShape is not null)
        {
            command.AddRange(["--input-shape", string.Join("x", options.InputShape.Prepend(1))]);
        }

        if (options.KeepBatchNorm)
        {
            command.Add("--keep-batchnorm");
        }

        return Invariant($"""
            // Imported by KernelGen.Onnx {version} from {source} ({producer}, IR version {model.IrVersion}, opset {graph.Opset}):
            //   {string.Join(" ", command)}
            // Each layer is named after the ONNX node it came from; the comment above it lists the nodes it stands for.
            // Batch norms are {(options.KeepBatchNorm ? "kept as [BatchNorm2D] layers, so that the network can be trained" : "folded into the convolutions before them (inference)")}.
            // The weights are in {options.ClassName}.safetensors, under the names this class gives its parameters: load them with Load.
            // This file is yours to read and edit; the attributes are what the KernelGen generator compiles.
            """);
    }
}
