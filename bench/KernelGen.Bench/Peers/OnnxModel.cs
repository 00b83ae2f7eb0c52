using Google.Protobuf;
using KernelGen.Onnx.Protos;

namespace KernelGen.Bench.Peers;

/// <summary>
/// Builds a one-layer ONNX model in memory with ONNX's own messages (the importer's protobuf classes, generated from
/// onnx.proto by protoc): a graph of Conv, Gemm, pools, BatchNormalization, Add and an activation node (Relu, Sigmoid,
/// Tanh, HardSwish — the last since opset 14), IR version 8, opset 17, weights as initializers.
/// </summary>
public sealed class OnnxModel
{
    private readonly GraphProto _graph = new() { Name = "layer" };

    /// <summary>Declares the float input <paramref name="name"/> of the given shape.</summary>
    public OnnxModel Input(string name, long[] shape)
    {
        _graph.Input.Add(ValueInfo(name, shape));
        return this;
    }

    /// <summary>Declares the float output <paramref name="name"/> of the given shape.</summary>
    public OnnxModel Output(string name, long[] shape)
    {
        _graph.Output.Add(ValueInfo(name, shape));
        return this;
    }

    /// <summary>A constant float tensor (weights, bias).</summary>
    public OnnxModel Initializer(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(shape);
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>A node; attribute values are <see cref="long"/> (INT) or <see cref="long"/>[] (INTS).</summary>
    public OnnxModel Node(string opType, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{_graph.Node.Count}", Input = { inputs }, Output = { output } };
        foreach ((string name, object value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                long single => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = single },
                long[] many => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { many } },
                _ => throw new ArgumentException($"Attribute {name}: unsupported value type {value.GetType().Name}.", nameof(attributes)),
            });
        }

        _graph.Node.Add(node);
        return this;
    }

    /// <summary>The serialized ModelProto.</summary>
    public byte[] ToArray()
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "KernelGen.Bench", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = new TensorShapeProto() };
        tensor.Shape.Dim.AddRange(shape.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
