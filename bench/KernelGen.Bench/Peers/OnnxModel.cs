using System.Buffers.Binary;
using System.Text;

namespace KernelGen.Bench.Peers;

/// <summary>
/// Builds a one-layer ONNX model in memory: the few protobuf messages of onnx.proto that a graph of Conv, Gemm, pools,
/// BatchNormalization, Add and an activation node (Relu, Sigmoid, Tanh, HardSwish — the last since opset 14) needs
/// (field numbers from onnx.proto, IR version 8, opset 17), weights as initializers.
/// </summary>
public sealed class OnnxModel
{
    private readonly ProtoWriter _graph = new();
    private int _nodes;

    /// <summary>Declares the float input <paramref name="name"/> of the given shape.</summary>
    public OnnxModel Input(string name, long[] shape)
    {
        _graph.Message(11, ValueInfo(name, shape));
        return this;
    }

    /// <summary>Declares the float output <paramref name="name"/> of the given shape.</summary>
    public OnnxModel Output(string name, long[] shape)
    {
        _graph.Message(12, ValueInfo(name, shape));
        return this;
    }

    /// <summary>A constant float tensor (weights, bias).</summary>
    public OnnxModel Initializer(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var tensor = new ProtoWriter();
        foreach (long dim in shape)
        {
            tensor.Varint(1, (ulong)dim);
        }

        tensor.Varint(2, 1); // FLOAT
        tensor.String(8, name);
        var raw = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * sizeof(float)), values[i]);
        }

        tensor.Bytes(9, raw);
        _graph.Message(5, tensor);
        return this;
    }

    /// <summary>A node; attribute values are <see cref="long"/> (INT) or <see cref="long"/>[] (INTS).</summary>
    public OnnxModel Node(string opType, string[] inputs, string output, params (string Name, object Value)[] attributes)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }

        node.String(2, output);
        node.String(3, $"{opType}_{_nodes++}");
        node.String(4, opType);
        foreach ((string name, object value) in attributes)
        {
            var attribute = new ProtoWriter();
            attribute.String(1, name);
            switch (value)
            {
                case long single:
                    attribute.Varint(3, (ulong)single);
                    attribute.Varint(20, 2); // INT
                    break;
                case long[] many:
                    foreach (long item in many)
                    {
                        attribute.Varint(8, (ulong)item);
                    }

                    attribute.Varint(20, 7); // INTS
                    break;
                default:
                    throw new ArgumentException($"Attribute {name}: unsupported value type {value.GetType().Name}.", nameof(attributes));
            }

            node.Message(5, attribute);
        }

        _graph.Message(1, node);
        return this;
    }

    /// <summary>The serialized ModelProto.</summary>
    public byte[] ToArray()
    {
        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Varint(2, 17);

        var model = new ProtoWriter();
        model.Varint(1, 8); // ir_version
        model.String(2, "KernelGen.Bench");
        model.Message(8, opset);
        var graph = new ProtoWriter();
        graph.String(2, "layer");
        graph.Raw(_graph);
        model.Message(7, graph);
        return model.ToArray();
    }

    private static ProtoWriter ValueInfo(string name, long[] shape)
    {
        var dims = new ProtoWriter();
        foreach (long dim in shape)
        {
            var dimension = new ProtoWriter();
            dimension.Varint(1, (ulong)dim);
            dims.Message(1, dimension);
        }

        var tensorType = new ProtoWriter();
        tensorType.Varint(1, 1); // FLOAT
        tensorType.Message(2, dims);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }

    /// <summary>Protobuf wire format: varints (type 0) and length-delimited fields (type 2), nothing else.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public void Varint(int field, ulong value)
        {
            Key(field, 0);
            Write(value);
        }

        public void Bytes(int field, ReadOnlySpan<byte> value)
        {
            Key(field, 2);
            Write((ulong)value.Length);
            _stream.Write(value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message._stream.ToArray());

        public void Raw(ProtoWriter other) => _stream.Write(other._stream.ToArray());

        public byte[] ToArray() => _stream.ToArray();

        private void Key(int field, int wireType) => Write(((ulong)field << 3) | (uint)wireType);

        private void Write(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _stream.WriteByte((byte)value);
        }
    }
}
