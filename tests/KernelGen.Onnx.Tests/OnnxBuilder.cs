using Google.Protobuf;
using KernelGen.Onnx.Protos;

namespace KernelGen.Onnx.Tests;

/// <summary>
/// Builds small ONNX models in C# with ONNX's own protobuf messages: an input <c>x</c>, random float initializers, nodes
/// with attributes, one output — written as any exporter writes them, at the IR version and opset asked for.
/// </summary>
internal sealed class OnnxBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly Random _random;
    private int _values;

    /// <param name="seed">Seeds the initializers' values.</param>
    /// <param name="input">The input's shape with its batch first; a batch of 0 is the symbolic "N".</param>
    public OnnxBuilder(int seed, params long[] input)
    {
        _random = new Random(seed);
        Input = input;
        _graph.Input.Add(Value("x", input));
    }

    public long[] Input { get; }

    public int Opset { get; init; } = 13;

    public long IrVersion { get; init; } = 7;

    /// <summary>A float initializer of random values in [-1, 1) (or [<paramref name="low"/>, <paramref name="low"/> + 1) when given).</summary>
    public string Weight(int[] shape, float? low = null)
    {
        string name = $"w{_graph.Initializer.Count}";
        int count = shape.Aggregate(1, (a, b) => a * b);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape.Select(d => (long)d));
        float[] values = [.. Enumerable.Range(0, count).Select(_ => low is { } l ? l + _random.NextSingle() : (_random.NextSingle() * 2) - 1)];
        tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 initializer (a shape, axes, indices).</summary>
    public string Integers(params long[] values)
    {
        string name = $"i{_graph.Initializer.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>An int64 scalar initializer (Gather's index).</summary>
    public string ScalarInteger(long value)
    {
        string name = $"i{_graph.Initializer.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Int64Data.Add(value);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A float scalar initializer (Clip's bounds).</summary>
    public string Scalar(float value)
    {
        string name = $"s{_graph.Initializer.Count}";
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        _graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds a node; returns the name of its (first) output.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attributes) => Node(op, inputs, 1, attributes)[0];

    public string[] Node(string op, string[] inputs, int outputs, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{_graph.Node.Count}" };
        node.Input.AddRange(inputs);
        string[] names = [.. Enumerable.Range(0, outputs).Select(_ => $"v{_values++}")];
        node.Output.AddRange(names);
        foreach ((string name, object value) in attributes)
        {
            node.Attribute.Add(Attribute(name, value));
        }

        _graph.Node.Add(node);
        return names;
    }

    public static AttributeProto Attribute(string name, object value) => value switch
    {
        int i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
        long l => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = l },
        float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
        string s => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(s) },
        long[] ints => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
        int[] ints => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints.Select(v => (long)v) } },
        TensorProto t => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = t },
        _ => throw new ArgumentException($"No attribute type for {value.GetType().Name}."),
    };

    /// <summary>The model, with <paramref name="output"/> as its output; before IR 4, every initializer is also listed as an input.</summary>
    public byte[] Build(string output)
    {
        var graph = _graph.Clone();
        graph.Output.Add(new ValueInfoProto { Name = output, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        if (IrVersion < 4)
        {
            graph.Input.AddRange(graph.Initializer.Select(t => Value(t.Name, [.. t.Dims], t.DataType)));
        }

        var model = new ModelProto { IrVersion = IrVersion, ProducerName = "KernelGen.Onnx.Tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model.ToByteArray();
    }

    private static ValueInfoProto Value(string name, long[] shape, int type = (int)TensorProto.Types.DataType.Float)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = type, Shape = new TensorShapeProto() };
        foreach (long d in shape)
        {
            tensor.Shape.Dim.Add(d > 0 ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
