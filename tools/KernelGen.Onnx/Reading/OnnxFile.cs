using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Google.Protobuf;
using KernelGen.Onnx.Protos;
using static KernelGen.Onnx.OnnxFormat;

namespace KernelGen.Onnx.Reading;

/// <summary>
/// Reads an ONNX file into its protobuf messages, and its tensors into arrays, trusting nothing in it: the whole file is
/// read into memory first, so that no length field can make the parser read or allocate past it, and a tensor's
/// dimensions must agree with the data it actually holds before anything is allocated for it.
/// </summary>
internal static class OnnxFile
{
    /// <summary>The largest model file read: protobuf's own limit on a message (2 GB).</summary>
    public const long MaxFileBytes = int.MaxValue;

    public static ModelProto Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"There is no ONNX model at '{path}'.", path);
        }

        if (info.Length > MaxFileBytes)
        {
            throw new OnnxImportException($"'{path}' is {info.Length:N0} bytes; models of 2 GB or more keep their weights in external data, which the importer does not read.");
        }

        return Parse(File.ReadAllBytes(path), Path.GetFileName(path));
    }

    public static ModelProto Parse(byte[] bytes, string source)
    {
        ModelProto model;
        try
        {
            // A message nested deeper than protobuf's default limit (100) is refused by the parser itself.
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxImportException($"'{source}' is not a well-formed ONNX model (protobuf: {e.Message}).", e);
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            throw new OnnxImportException($"'{source}' holds no graph (an ONNX model is a ModelProto with a graph of nodes); is it an ONNX file?");
        }

        if (model.IrVersion is < 3 or > 10)
        {
            throw new OnnxImportException(Invariant($"'{source}' is ONNX IR version {model.IrVersion}; the importer reads versions 3 to 10."));
        }

        long opset = Opset(model);
        if (opset is < 7 or > 21)
        {
            throw new OnnxImportException(Invariant($"'{source}' uses opset {opset} of the default ONNX domain; the importer reads opsets 7 to 21."));
        }

        return model;
    }

    /// <summary>The version of the default ("" or "ai.onnx") operator set the model imports.</summary>
    public static long Opset(ModelProto model) =>
        model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    /// <summary>A tensor's dimensions, each checked to be a non-negative size, and its element count.</summary>
    public static (int[] Shape, int Count) Shape(TensorProto tensor)
    {
        var shape = new int[tensor.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = tensor.Dims[i];
            if (d < 0 || d > int.MaxValue)
            {
                throw new OnnxImportException(Invariant($"Tensor '{tensor.Name}' has dimension {i} of size {d}."));
            }

            shape[i] = (int)d;
            count *= d;
            if (count > int.MaxValue / sizeof(float))
            {
                throw new OnnxImportException($"Tensor '{tensor.Name}' claims [{string.Join(", ", tensor.Dims)}] elements, more than any layer holds (2³¹ bytes).");
            }
        }

        return (shape, (int)count);
    }

    /// <summary>
    /// A float tensor's values (float32, float64 or float16 data converted), after checking that the data holds exactly as
    /// many values as the dimensions say.
    /// </summary>
    public static float[] Floats(TensorProto tensor)
    {
        (_, int count) = Shape(tensor);
        var type = (TensorProto.Types.DataType)tensor.DataType;
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new OnnxImportException($"Tensor '{tensor.Name}' keeps its values in an external file; save the model with its weights inside (onnx.save(model, path, save_as_external_data=False)).");
        }

        switch (type)
        {
            case TensorProto.Types.DataType.Float:
                if (!tensor.RawData.IsEmpty)
                {
                    Expect(tensor, count, tensor.RawData.Length, sizeof(float));
                    var values = new float[count];
                    tensor.RawData.Span.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
                    if (!BitConverter.IsLittleEndian)
                    {
                        throw new PlatformNotSupportedException("ONNX raw data is little-endian; this machine is not.");
                    }

                    return values;
                }

                Expect(tensor, count, tensor.FloatData.Count, 1);
                return [.. tensor.FloatData];
            case TensorProto.Types.DataType.Double:
                if (!tensor.RawData.IsEmpty)
                {
                    Expect(tensor, count, tensor.RawData.Length, sizeof(double));
                    return [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(tensor.RawData.Span).ToArray().Select(d => (float)d)];
                }

                Expect(tensor, count, tensor.DoubleData.Count, 1);
                return [.. tensor.DoubleData.Select(d => (float)d)];
            case TensorProto.Types.DataType.Float16:
                if (!tensor.RawData.IsEmpty)
                {
                    Expect(tensor, count, tensor.RawData.Length, 2);
                    return [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(tensor.RawData.Span).ToArray().Select(h => (float)h)];
                }

                // float16 values sit in int32_data, one 16-bit pattern each.
                Expect(tensor, count, tensor.Int32Data.Count, 1);
                return [.. tensor.Int32Data.Select(bits => (float)BitConverter.UInt16BitsToHalf((ushort)bits))];
            default:
                return [.. Integers(tensor).Select(v => (float)v)];
        }
    }

    /// <summary>An integer tensor's values (int64, int32 and the smaller integer types), checked as <see cref="Floats"/> is.</summary>
    public static long[] Integers(TensorProto tensor)
    {
        (_, int count) = Shape(tensor);
        var type = (TensorProto.Types.DataType)tensor.DataType;
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        switch (type)
        {
            case TensorProto.Types.DataType.Int64:
                if (!raw.IsEmpty)
                {
                    Expect(tensor, count, raw.Length, sizeof(long));
                    return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray();
                }

                Expect(tensor, count, tensor.Int64Data.Count, 1);
                return [.. tensor.Int64Data];
            case TensorProto.Types.DataType.Int32:
                if (!raw.IsEmpty)
                {
                    Expect(tensor, count, raw.Length, sizeof(int));
                    return [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v)];
                }

                Expect(tensor, count, tensor.Int32Data.Count, 1);
                return [.. tensor.Int32Data.Select(v => (long)v)];
            case TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool:
                if (!raw.IsEmpty)
                {
                    Expect(tensor, count, raw.Length, 1);
                    return [.. raw.ToArray().Select(b => type == TensorProto.Types.DataType.Int8 ? (long)(sbyte)b : b)];
                }

                Expect(tensor, count, tensor.Int32Data.Count, 1);
                return [.. tensor.Int32Data.Select(v => (long)v)];
            case TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Float16:
                return [.. Floats(tensor).Select(f => (long)f)];
            default:
                throw new OnnxImportException($"Tensor '{tensor.Name}' is of type {type}; the importer reads float32, float64, float16 and integer tensors.");
        }
    }

    private static void Expect(TensorProto tensor, int count, int available, int size)
    {
        if ((long)count * size != available)
        {
            throw new OnnxImportException(Invariant(
                $"Tensor '{tensor.Name}' claims [{string.Join(", ", tensor.Dims)}] = {count} values but holds {available / size} ({available} {(size == 1 ? "values" : "bytes")}): the file is damaged."));
        }
    }
}
