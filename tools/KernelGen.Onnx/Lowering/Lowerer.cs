using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Onnx.Protos;
using KernelGen.Onnx.Reading;
using static KernelGen.Onnx.OnnxFormat;

namespace KernelGen.Onnx.Lowering;

/// <summary>
/// Turns an ONNX graph into KernelGen layers, node by node in graph order: a <c>Conv</c> becomes a <c>[Conv2D]</c>, a
/// <c>BatchNormalization</c> after it is folded into its weights (or kept as <c>[BatchNorm2D]</c>), an activation after a
/// layer whose kernel can apply it becomes that layer's <c>Activation</c>, a <c>Gemm</c> or <c>MatMul</c> (+ <c>Add</c>) a
/// <c>[Dense]</c>, shape arithmetic (<c>Shape → Gather → Unsqueeze → Concat → Reshape</c>) is evaluated, and
/// <c>Flatten</c>, <c>Dropout</c> and <c>Identity</c> disappear. Anything else stops the import with the node, what about it
/// cannot be expressed, and the list of what can.
/// </summary>
internal sealed class Lowerer
{
    /// <summary>Every operator the importer reads, for the messages that refuse one.</summary>
    public static readonly string[] Supported =
    [
        "Conv", "BatchNormalization", "Gemm", "MatMul (+ Add)", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
        "Add", "Sum", "Concat", "Relu", "LeakyRelu", "Clip (0, 6)", "Sigmoid", "Tanh", "HardSigmoid (α = 1/6, β = 0.5)", "HardSwish",
        "x · Sigmoid(x)", "Flatten", "Reshape (to [N, -1])", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat (of shapes)",
        "Cast", "Constant", "Dropout", "Identity", "Softmax (last)",
    ];

    private readonly OnnxGraph _graph;
    private readonly bool _keepBatchNorm;
    private readonly Dictionary<string, TensorValue> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConstantValue> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _readers;
    private readonly HashSet<string> _methods = new(StringComparer.Ordinal);
    private readonly string _className;

    /// <summary>The value name each layer's output goes by now (an activation folded in renames it).</summary>
    private readonly Dictionary<ImportedLayer, string> _outputNames = [];

    private Lowerer(OnnxGraph graph, bool keepBatchNorm, string className, TensorValue input)
    {
        _graph = graph;
        _keepBatchNorm = keepBatchNorm;
        _className = className;
        _readers = graph.Readers();
        _tensors[graph.Input.Name] = input;
    }

    public List<ImportedLayer> Layers { get; } = [];

    /// <summary>Whether the model ends in a Softmax, which the class applies as an output transform.</summary>
    public bool Softmax { get; private set; }

    public static Lowerer Lower(OnnxGraph graph, TensorValue input, bool keepBatchNorm, string className)
    {
        var lowerer = new Lowerer(graph, keepBatchNorm, className, input);
        lowerer.Run();
        return lowerer;
    }

    private void Run()
    {
        foreach ((string name, TensorProto tensor) in _graph.Initializers)
        {
            _constants[name] = Constant(tensor);
        }

        IReadOnlyList<OnnxNode> nodes = SiluPatterns(_graph.Nodes);
        for (int i = 0; i < nodes.Count; i++)
        {
            Lower(nodes[i], last: i == nodes.Count - 1);
        }

        if (!_tensors.TryGetValue(_graph.Output, out TensorValue? output) || output.Producer is null)
        {
            throw new OnnxImportException($"The graph's output '{_graph.Output}' is not the output of a layer: the model computes nothing KernelGen runs.");
        }

        if (output.Producer != Layers[^1])
        {
            throw new OnnxImportException($"The graph's output '{_graph.Output}' is written by {output.Producer.Method}, not by the last layer.");
        }

        if (!Layers.Any(l => l.Parameters.Count > 0))
        {
            throw new OnnxImportException("The model has no convolution, dense layer or batch norm: a KernelGen network has at least one layer with parameters.");
        }

        if (!output.Flat && (output.Height != 1 || output.Width != 1))
        {
            throw new OnnxImportException($"The model's output is {output.Describe()} per sample; a KernelGen network ends in one value per output (a dense layer or a global pool).");
        }
    }

    private static ConstantValue Constant(TensorProto tensor)
    {
        (int[] shape, _) = OnnxFile.Shape(tensor);
        var type = (TensorProto.Types.DataType)tensor.DataType;
        bool integer = type is TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Int8
            or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool;
        if (!integer)
        {
            return new ConstantValue(shape, OnnxFile.Floats(tensor), []);
        }

        long[] values = OnnxFile.Integers(tensor);
        return new ConstantValue(shape, [.. values.Select(v => (float)v)], values);
    }

    /// <summary><c>Mul(x, Sigmoid(x))</c>, the sigmoid read by nothing else, as one node <c>Silu</c> (PyTorch exports <c>nn.SiLU</c> so).</summary>
    private IReadOnlyList<OnnxNode> SiluPatterns(IReadOnlyList<OnnxNode> nodes)
    {
        var sigmoids = nodes.Where(n => n.OpType == "Sigmoid" && n.Inputs.Count == 1).ToDictionary(n => n.Outputs[0], StringComparer.Ordinal);
        var result = new List<OnnxNode>();
        var dropped = new HashSet<OnnxNode>();
        foreach (OnnxNode node in nodes)
        {
            if (node.OpType == "Mul" && node.Inputs.Count == 2)
            {
                for (int k = 0; k < 2; k++)
                {
                    if (sigmoids.TryGetValue(node.Inputs[k], out OnnxNode? sigmoid) && sigmoid.Inputs[0] == node.Inputs[1 - k]
                        && _readers.GetValueOrDefault(node.Inputs[k]) == 1)
                    {
                        dropped.Add(sigmoid);
                        _readers[sigmoid.Inputs[0]]--;
                        result.Add(node with { OpType = "Silu", Inputs = [node.Inputs[1 - k]], Attributes = new Dictionary<string, AttributeProto>() });
                        goto next;
                    }
                }
            }

            result.Add(node);
        next:;
        }

        return [.. result.Where(n => !dropped.Contains(n))];
    }

    private void Lower(OnnxNode node, bool last)
    {
        switch (node.OpType)
        {
            case "Conv":
                Conv(node);
                break;
            case "BatchNormalization":
                BatchNorm(node);
                break;
            case "Relu":
                Known(node);
                Activate(node, "Relu", null);
                break;
            case "LeakyRelu":
                Known(node, "alpha");
                Activate(node, "LeakyRelu", Float(node, "alpha", 0.01f));
                break;
            case "Sigmoid":
                Known(node);
                Activate(node, "Sigmoid", null);
                break;
            case "Tanh":
                Known(node);
                Activate(node, "Tanh", null);
                break;
            case "HardSwish":
                Known(node);
                Activate(node, "HardSwish", null);
                break;
            case "Silu":
                Known(node);
                Activate(node, "Silu", null);
                break;
            case "HardSigmoid":
                Known(node, "alpha", "beta");
                float alpha = Float(node, "alpha", 0.2f), beta = Float(node, "beta", 0.5f);
                if (Math.Abs(alpha - (1f / 6)) > 1e-6f || Math.Abs(beta - 0.5f) > 1e-6f)
                {
                    Refuse(node, Invariant($"alpha = {alpha}, beta = {beta}: KernelGen's HardSigmoid is PyTorch's, relu6(x + 3) / 6 (alpha = 1/6, beta = 0.5)"));
                }

                Activate(node, "HardSigmoid", null);
                break;
            case "Clip":
                Clip(node);
                break;
            case "MaxPool" or "AveragePool":
                Pool(node);
                break;
            case "GlobalAveragePool" or "GlobalMaxPool":
                GlobalPool(node);
                break;
            case "Gemm":
                Gemm(node);
                break;
            case "MatMul":
                MatMul(node);
                break;
            case "Add" or "Sum":
                Add(node);
                break;
            case "Concat":
                Concat(node);
                break;
            case "Flatten":
                Flatten(node);
                break;
            case "Reshape":
                Reshape(node);
                break;
            case "Dropout" or "Identity":
                if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0 && _readers.GetValueOrDefault(node.Outputs[1]) > 0)
                {
                    Refuse(node, "its mask output is read: inference has no dropout mask");
                }

                Alias(node, Tensor(node, 0));
                break;
            case "Constant":
                ConstantNode(node);
                break;
            case "Shape" or "Gather" or "Unsqueeze" or "Squeeze" or "Cast":
                ShapeArithmetic(node);
                break;
            case "Softmax":
                if (!last)
                {
                    Refuse(node, "a Softmax inside the network: only a final Softmax is supported, as the class's output transform");
                }

                TensorValue scores = Tensor(node, 0);
                long axis = Int(node, "axis", _graph.Opset >= 13 ? -1 : 1);
                if (!(axis is 1 or -1) || !(scores.Flat || (scores.Height == 1 && scores.Width == 1)))
                {
                    Refuse(node, Invariant($"axis = {axis} over {scores.Describe()}: the output transform is a softmax over each sample's outputs"));
                }

                Softmax = true;
                _tensors[node.Outputs[0]] = scores;
                break;
            default:
                throw new OnnxImportException($"Node {node.Label}: the operator {node.OpType} is not supported. Supported: {string.Join(", ", Supported)}.");
        }
    }

    // ----- Layers -----

    private void Conv(OnnxNode node)
    {
        Known(node, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad");
        TensorValue x = Spatial(node, 0);
        ConstantValue w = Const(node, 1);
        if (w.Shape.Length != 4)
        {
            Refuse(node, Invariant($"weights of rank {w.Shape.Length}: only 2-D convolutions (weights [out, in / groups, kh, kw]) are supported"));
        }

        if (w.Shape.Any(d => d == 0))
        {
            Refuse(node, $"weights [{string.Join(", ", w.Shape)}] are empty");
        }

        int groups = (int)Math.Clamp(Int(node, "group", 1), 0, int.MaxValue), outChannels = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        if (groups < 1 || x.Channels % groups != 0 || w.Shape[1] * groups != x.Channels || outChannels % groups != 0)
        {
            Refuse(node, Invariant($"weights [{string.Join(", ", w.Shape)}] with group = {groups} do not fit an input of {x.Channels} channels"));
        }

        if (Ints(node, "kernel_shape") is { } kernel && !kernel.SequenceEqual(new long[] { kh, kw }))
        {
            Refuse(node, $"kernel_shape [{string.Join(", ", kernel)}] differs from the weights' [{kh}, {kw}]");
        }

        (int sh, int sw) = Pair(node, "strides", 1);
        (int dh, int dw) = Pair(node, "dilations", 1);
        (int top, int left, int bottom, int right) = Pads(node, x, kh, kw, sh, sw, dh, dw);
        int oh = ((x.Height + top + bottom - (dh * (kh - 1)) - 1) / sh) + 1, ow = ((x.Width + left + right - (dw * (kw - 1)) - 1) / sw) + 1;
        if (oh < 1 || ow < 1)
        {
            Refuse(node, Invariant($"a {kh}×{kw} window does not fit the padded {x.Height}×{x.Width} input"));
        }

        ImportedLayer layer = NewLayer("Conv2D", node, x, prefixFrom: node.Inputs[1]);
        layer.Properties.Add(("OutChannels", Invariant($"{outChannels}")));
        AddPair(layer, "Kernel", kh, kw, 0);
        AddPair(layer, "Stride", sh, sw, 1);
        AddPadding(layer, top, left, bottom, right);
        AddPair(layer, "Dilation", dh, dw, 1);
        if (groups != 1)
        {
            layer.Properties.Add(("Groups", Invariant($"{groups}")));
        }

        layer.Parameters["weight"] = (w.Shape, w.Floats);
        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
        {
            ConstantValue b = Const(node, 2);
            if (b.Floats.Length != outChannels)
            {
                Refuse(node, Invariant($"a bias of {b.Floats.Length} values for {outChannels} output channels"));
            }

            layer.Parameters["bias"] = ([outChannels], b.Floats);
        }

        Produce(node, layer, new TensorValue(layer, outChannels, oh, ow, false));
    }

    private void BatchNorm(OnnxNode node)
    {
        Known(node, "epsilon", "momentum", "spatial", "training_mode", "is_test", "consumed_inputs");
        if (Int(node, "spatial", 1) != 1)
        {
            Refuse(node, "spatial = 0 (statistics per position rather than per channel)");
        }

        if (Int(node, "training_mode", 0) != 0 || node.Outputs.Skip(1).Any(o => o.Length > 0 && _readers.GetValueOrDefault(o) > 0))
        {
            Refuse(node, "it is in training mode (its running statistics or batch statistics are outputs read by the graph)");
        }

        TensorValue x = Spatial(node, 0);
        float epsilon = Float(node, "epsilon", 1e-5f), momentum = Float(node, "momentum", 0.9f);
        float[][] p = [.. Enumerable.Range(1, 4).Select(k => Const(node, k).Floats)];
        if (p.Any(v => v.Length != x.Channels))
        {
            Refuse(node, Invariant($"scale, bias, mean and variance of {string.Join(", ", p.Select(v => v.Length))} values for {x.Channels} channels"));
        }

        ImportedLayer? conv = x.Producer;
        if (!_keepBatchNorm && conv is { Attribute: "Conv2D", Activation: null } && SoleReader(conv, node.Inputs[0]))
        {
            // y = (W·x + b − mean) · s / √(var + ε) + shift: the weights of each output channel scaled, the bias moved.
            (int[] shape, float[] weights) = conv.Parameters["weight"];
            int perChannel = weights.Length / x.Channels;
            float[] folded = new float[weights.Length], bias = new float[x.Channels];
            float[]? oldBias = conv.Parameters.TryGetValue("bias", out var b) ? b.Values : null;
            for (int c = 0; c < x.Channels; c++)
            {
                double factor = p[0][c] / Math.Sqrt((double)p[3][c] + epsilon);
                for (int i = 0; i < perChannel; i++)
                {
                    folded[(c * perChannel) + i] = (float)(weights[(c * perChannel) + i] * factor);
                }

                bias[c] = (float)((((oldBias?[c] ?? 0) - (double)p[2][c]) * factor) + p[1][c]);
            }

            conv.Parameters["weight"] = (shape, folded);
            conv.Parameters["bias"] = ([x.Channels], bias);
            conv.Nodes.Add($"{node.Name} (BatchNormalization, folded)");
            Rename(conv, node.Outputs[0]);
            return;
        }

        ImportedLayer layer = NewLayer("BatchNorm2D", node, x, prefixFrom: node.Inputs[1]);
        if (epsilon != 1e-5f)
        {
            layer.Properties.Add(("Epsilon", OnnxFormat.Float(epsilon)));
        }

        // ONNX's momentum weighs the running value (0.9); PyTorch's and KernelGen's weigh the batch's (0.1).
        if (Math.Abs((1 - momentum) - 0.1f) > 1e-6f)
        {
            layer.Properties.Add(("Momentum", OnnxFormat.Float(1 - momentum)));
        }

        layer.Parameters["weight"] = ([x.Channels], p[0]);
        layer.Parameters["bias"] = ([x.Channels], p[1]);
        layer.Parameters["running_mean"] = ([x.Channels], p[2]);
        layer.Parameters["running_var"] = ([x.Channels], p[3]);
        Produce(node, layer, x with { Producer = layer });
    }

    private void Pool(OnnxNode node)
    {
        bool max = node.OpType == "MaxPool";
        Known(node, max ? ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"] : ["kernel_shape", "strides", "pads", "ceil_mode", "auto_pad", "count_include_pad"]);
        if (node.Outputs.Count > 1 && node.Outputs[1].Length > 0)
        {
            Refuse(node, "its second output, Indices, is asked for: no layer produces the positions of the maxima");
        }

        TensorValue x = Spatial(node, 0);
        long[] kernel = Ints(node, "kernel_shape") ?? throw Refusal(node, "it has no kernel_shape");
        if (kernel.Length != 2)
        {
            Refuse(node, Invariant($"a {kernel.Length}-D window: only 2-D pools are supported"));
        }

        if (kernel.Any(k => k < 1 || k > 1 << 16))
        {
            Refuse(node, $"kernel_shape [{string.Join(", ", kernel)}]: a window is at least 1×1");
        }

        int kh = (int)kernel[0], kw = (int)kernel[1];
        (int sh, int sw) = Pair(node, "strides", 1);
        (int dh, int dw) = Pair(node, "dilations", 1);
        bool ceil = Int(node, "ceil_mode", 0) != 0, includePad = Int(node, "count_include_pad", 0) != 0;
        (int top, int left, int bottom, int right) = Pads(node, x, kh, kw, sh, sw, dh, dw);
        if (!max && kh == x.Height && kw == x.Width && top + left + bottom + right == 0)
        {
            // A window the size of the plane: the global average pool, whatever the stride.
            ImportedLayer global = NewLayer("GlobalAvgPool2D", node, x, prefixFrom: null);
            Produce(node, global, new TensorValue(global, x.Channels, 1, 1, true));
            return;
        }

        int oh = Output(x.Height, kh, sh, top, bottom, dh, ceil), ow = Output(x.Width, kw, sw, left, right, dw, ceil);
        if (oh < 1 || ow < 1)
        {
            Refuse(node, Invariant($"a {kh}×{kw} window does not fit the padded {x.Height}×{x.Width} input"));
        }

        ImportedLayer layer = NewLayer(max ? "MaxPool2D" : "AvgPool2D", node, x, prefixFrom: null);
        AddPair(layer, "Kernel", kh, kw, 0);
        AddPair(layer, "Stride", sh, sw, 0);
        AddPadding(layer, top, left, bottom, right);
        AddPair(layer, "Dilation", dh, dw, 1);
        if (ceil)
        {
            layer.Properties.Add(("CeilMode", "true"));
        }

        if (includePad)
        {
            layer.Properties.Add(("CountIncludePad", "true"));
        }

        Produce(node, layer, new TensorValue(layer, x.Channels, oh, ow, false));
    }

    private static int Output(int size, int kernel, int stride, int before, int after, int dilation, bool ceil)
    {
        int span = size + before + after - (dilation * (kernel - 1)) - 1;
        if (span < 0)
        {
            return 0;
        }

        int outputs = (ceil ? (span + stride - 1) / stride : span / stride) + 1;

        // With ceil_mode a last window that would start in the padding after the input is dropped (ONNX, PyTorch).
        return ceil && (outputs - 1) * stride >= size + before ? outputs - 1 : outputs;
    }

    private void GlobalPool(OnnxNode node)
    {
        Known(node);
        TensorValue x = Spatial(node, 0);
        ImportedLayer layer = NewLayer(node.OpType == "GlobalMaxPool" ? "GlobalMaxPool2D" : "GlobalAvgPool2D", node, x, prefixFrom: null);
        Produce(node, layer, new TensorValue(layer, x.Channels, 1, 1, true));
    }

    private void Gemm(OnnxNode node)
    {
        Known(node, "alpha", "beta", "transA", "transB", "broadcast");
        if (Int(node, "transA", 0) != 0)
        {
            Refuse(node, "transA = 1: the activations would be transposed, [features, samples]; a layer reads samples one after another");
        }

        TensorValue a = Flat(node, 0);
        ConstantValue b = Const(node, 1);
        if (b.Shape.Length != 2)
        {
            Refuse(node, Invariant($"B of rank {b.Shape.Length}: a dense layer's weights are a matrix"));
        }

        bool transB = Int(node, "transB", 0) != 0;
        int outputs = transB ? b.Shape[0] : b.Shape[1], inputs = transB ? b.Shape[1] : b.Shape[0];
        if (inputs != a.Length)
        {
            Refuse(node, Invariant($"B [{string.Join(", ", b.Shape)}]{(transB ? " (transposed)" : "")} takes {inputs} features, and its input has {a.Length}"));
        }

        float alpha = Float(node, "alpha", 1f), beta = Float(node, "beta", 1f);
        float[] weights = transB ? b.Floats : Transpose(b.Floats, inputs, outputs);
        if (alpha != 1f)
        {
            weights = [.. weights.Select(v => v * alpha)];
        }

        ImportedLayer layer = Dense(node, a, outputs, weights);
        if (node.Inputs.Count > 2 && node.Inputs[2].Length > 0)
        {
            layer.Parameters["bias"] = ([outputs], [.. Bias(node, Const(node, 2), outputs).Select(v => v * beta)]);
        }

        Produce(node, layer, new TensorValue(layer, outputs, 1, 1, true));
    }

    private void MatMul(OnnxNode node)
    {
        Known(node);
        TensorValue a = Flat(node, 0);
        ConstantValue b = Const(node, 1);
        if (b.Shape.Length != 2 || b.Shape[0] != a.Length)
        {
            Refuse(node, Invariant($"B [{string.Join(", ", b.Shape)}] against an input of {a.Length} features: a dense layer multiplies by a [{a.Length}, outputs] matrix"));
        }

        ImportedLayer layer = Dense(node, a, b.Shape[1], Transpose(b.Floats, b.Shape[0], b.Shape[1]));
        Produce(node, layer, new TensorValue(layer, b.Shape[1], 1, 1, true));
    }

    private ImportedLayer Dense(OnnxNode node, TensorValue input, int outputs, float[] weights)
    {
        ImportedLayer layer = NewLayer("Dense", node, input, prefixFrom: node.Inputs[1]);
        layer.Properties.Add(("OutFeatures", Invariant($"{outputs}")));
        layer.Parameters["weight"] = ([outputs, input.Length], weights);
        return layer;
    }

    private static float[] Bias(OnnxNode node, ConstantValue c, int outputs)
    {
        if (c.Floats.Length == outputs && (c.Shape.Length == 1 || (c.Shape.Length == 2 && c.Shape[0] == 1)))
        {
            return c.Floats;
        }

        if (c.Floats.Length == 1)
        {
            return [.. Enumerable.Repeat(c.Floats[0], outputs)];
        }

        throw Refusal(node, $"a bias of shape [{string.Join(", ", c.Shape)}] for {outputs} outputs: a dense layer's bias is one value per output, the same for every sample");
    }

    private void Add(OnnxNode node)
    {
        Known(node, "broadcast", "axis");
        if (node.OpType == "Add" && node.Inputs.Count == 2)
        {
            // A constant added to a dense layer's or convolution's output is its bias (MatMul + Add, a Conv's bias added apart).
            for (int k = 0; k < 2; k++)
            {
                if (_constants.TryGetValue(node.Inputs[k], out ConstantValue? c) && _tensors.TryGetValue(node.Inputs[1 - k], out TensorValue? t)
                    && t.Producer is { Attribute: "Dense" or "Conv2D", Activation: null } biased && SoleReader(biased, node.Inputs[1 - k])
                    && c.Floats.Length == t.Channels && PerChannel(c.Shape, t.Channels, dense: biased.Attribute == "Dense"))
                {
                    float[] bias = biased.Parameters.TryGetValue("bias", out var b) ? [.. b.Values.Zip(c.Floats, (x, y) => x + y)] : c.Floats;
                    biased.Parameters["bias"] = ([t.Channels], bias);
                    biased.Nodes.Add($"{node.Name} (Add, the bias)");
                    Rename(biased, node.Outputs[0]);
                    return;
                }
            }
        }

        TensorValue[] operands = [.. Enumerable.Range(0, node.Inputs.Count).Select(k => Tensor(node, k))];
        if (operands.Length < 2)
        {
            Alias(node, operands[0]);
            return;
        }

        if (operands.Any(o => o.Length != operands[0].Length || o.Flat != operands[0].Flat || o.Channels != operands[0].Channels))
        {
            Refuse(node, $"operands of {string.Join(", ", operands.Select(o => o.Describe()))}: an [Add] sums tensors of one shape (no broadcasting)");
        }

        ImportedLayer layer = NewLayer("Add", node, operands[0], prefixFrom: null);
        layer.Inputs.AddRange(operands.Skip(1).Select(o => o.Producer));
        Produce(node, layer, operands[0] with { Producer = layer });
    }

    /// <summary>
    /// Whether a constant of <paramref name="shape"/> broadcasts as one value per channel: <c>[C]</c> or <c>[1, C]</c> added to a
    /// dense layer's <c>[N, C]</c>; <c>[C, 1, 1]</c> or <c>[1, C, 1, 1]</c> added to a convolution's <c>[N, C, H, W]</c>.
    /// </summary>
    private static bool PerChannel(int[] shape, int channels, bool dense) => dense
        ? shape is [var c] && c == channels || shape is [1, var d] && d == channels
        : shape is [var e, 1, 1] && e == channels || shape is [1, var f, 1, 1] && f == channels;

    private void Concat(OnnxNode node)
    {
        Known(node, "axis");
        if (node.Inputs.All(_constants.ContainsKey))
        {
            ShapeArithmetic(node);
            return;
        }

        TensorValue[] operands = [.. Enumerable.Range(0, node.Inputs.Count).Select(k => Tensor(node, k))];
        long axis = Int(node, "axis", 1);
        if (axis is not (1 or -3) && !(axis == -1 && operands.All(o => o.Flat)))
        {
            Refuse(node, Invariant($"axis = {axis}: tensors are joined along channels (axis 1)"));
        }

        if (operands.Any(o => o.Height != operands[0].Height || o.Width != operands[0].Width || o.Flat != operands[0].Flat))
        {
            Refuse(node, $"operands of {string.Join(", ", operands.Select(o => o.Describe()))}: joined along channels, their planes must match");
        }

        ImportedLayer layer = NewLayer("Concat", node, operands[0], prefixFrom: null);
        layer.Inputs.AddRange(operands.Skip(1).Select(o => o.Producer));
        Produce(node, layer, operands[0] with { Producer = layer, Channels = operands.Sum(o => o.Channels) });
    }

    private void Clip(OnnxNode node)
    {
        Known(node, "min", "max");
        float min = _graph.Opset >= 11 ? OptionalScalar(node, 1, float.NegativeInfinity) : Float(node, "min", float.NegativeInfinity);
        float max = _graph.Opset >= 11 ? OptionalScalar(node, 2, float.PositiveInfinity) : Float(node, "max", float.PositiveInfinity);
        string activation = (min, max) switch
        {
            (0, 6) => "Relu6",
            (0, float.PositiveInfinity) => "Relu",
            _ => throw Refusal(node, Invariant($"Clip({min}, {max}): only Clip(0, 6) (ReLU6) and Clip(0, ∞) (ReLU) are activations of a layer")),
        };
        Activate(node, activation, null);
    }

    private float OptionalScalar(OnnxNode node, int index, float otherwise) =>
        node.Inputs.Count > index && node.Inputs[index].Length > 0 ? Const(node, index) is { Floats: [float v] } ? v
            : throw Refusal(node, Invariant($"input {index} is not a single constant")) : otherwise;

    /// <summary>
    /// An activation fused into the layer that writes its input, when that layer's kernel applies one and nothing else reads
    /// it. The caller has checked the node's attributes.
    /// </summary>
    private void Activate(OnnxNode node, string activation, float? slope)
    {
        TensorValue x = Tensor(node, 0);
        if (x.Producer is not { TakesActivation: true } || !SoleReader(x.Producer, node.Inputs[0]))
        {
            string what = x.Producer is null ? "the network's input"
                : !x.Producer.TakesActivation ? $"{x.Producer.Method} ([{x.Producer.Attribute}]{(x.Producer.Activation is null ? "" : $", already with {x.Producer.Activation}")})"
                : $"{x.Producer.Method}, whose output other nodes read too";
            Refuse(node, $"it follows {what}: KernelGen applies an activation inside a convolution, dense layer, batch norm or [Add], to an output nothing else reads");
        }

        ImportedLayer layer = x.Producer!;
        layer.Activation = activation;
        layer.Slope = slope is { } s && s != 0.01f ? s : null;
        layer.Nodes.Add($"{node.Name} ({node.OpType})");
        Rename(layer, node.Outputs[0]);
    }

    // ----- Values that are not layers -----

    private void Flatten(OnnxNode node)
    {
        Known(node, "axis");
        TensorValue x = Tensor(node, 0);
        if (Int(node, "axis", 1) != 1)
        {
            Refuse(node, Invariant($"axis = {Int(node, "axis", 1)}: a network flattens each sample (axis 1)"));
        }

        Alias(node, x with { Flat = true });
    }

    private void Reshape(OnnxNode node)
    {
        Known(node, "allowzero", "shape");
        TensorValue x = Tensor(node, 0);
        long[] shape = node.Inputs.Count > 1 ? Const(node, 1).Integers : Ints(node, "shape") ?? throw Refusal(node, "it has no target shape");
        long batch = Batch;
        bool sampleAxis = shape.Length > 0 && (shape[0] == batch || shape[0] == 0 || shape[0] == -1);
        if (sampleAxis && shape.Length == 2 && (shape[1] == -1 || shape[1] == x.Length) && !(shape[0] == -1 && shape[1] == -1))
        {
            Alias(node, x with { Flat = true });
            return;
        }

        if (sampleAxis && shape.Length == 4 && !x.Flat && shape.Skip(1).SequenceEqual(new long[] { x.Channels, x.Height, x.Width }))
        {
            Alias(node, x);
            return;
        }

        Refuse(node, $"to [{string.Join(", ", shape)}] from {x.Describe()} per sample: a reshape is supported to [N, -1] or [N, {x.Length}] (flattening each sample), or to the shape it has");
    }

    /// <summary>The batch size the model's input declares (1 when it is symbolic), as <c>Shape</c> reports it.</summary>
    private long Batch => _graph.Input.Type?.TensorType?.Shape?.Dim is { Count: > 0 } dims && dims[0].DimValue > 0 ? dims[0].DimValue : 1;

    private void ConstantNode(OnnxNode node)
    {
        Known(node, "value", "value_float", "value_floats", "value_int", "value_ints");
        if (node.Attributes.Count != 1)
        {
            Refuse(node, Invariant($"{node.Attributes.Count} values given; a Constant has one"));
        }

        AttributeProto a = node.Attributes.Values.Single();
        _constants[node.Outputs[0]] = a.Name switch
        {
            "value" when a.T is not null => Constant(a.T),
            "value_float" => new ConstantValue([], [a.F], [(long)a.F]),
            "value_floats" => new ConstantValue([a.Floats.Count], [.. a.Floats], [.. a.Floats.Select(f => (long)f)]),
            "value_int" => new ConstantValue([], [a.I], [a.I]),
            "value_ints" => new ConstantValue([a.Ints.Count], [.. a.Ints.Select(i => (float)i)], [.. a.Ints]),
            _ => throw Refusal(node, $"its value is given as '{a.Name}'"),
        };
    }

    /// <summary><c>Shape</c>, <c>Gather</c>, <c>Unsqueeze</c>, <c>Squeeze</c>, <c>Concat</c> and <c>Cast</c> on known shapes and constants: evaluated here.</summary>
    private void ShapeArithmetic(OnnxNode node)
    {
        ConstantValue Of(long[] values, int[] shape) => new(shape, [.. values.Select(v => (float)v)], values);
        switch (node.OpType)
        {
            case "Shape":
            {
                Known(node, "start", "end");
                TensorValue x = Tensor(node, 0);
                long[] full = x.Flat ? [Batch, x.Length] : [Batch, x.Channels, x.Height, x.Width];
                _constants[node.Outputs[0]] = Of(full, [full.Length]);
                return;
            }

            case "Gather":
            {
                Known(node, "axis");
                ConstantValue data = Const(node, 0), indices = Const(node, 1);
                if (data.Shape.Length != 1 || Int(node, "axis", 0) != 0)
                {
                    Refuse(node, "a gather from anything but a 1-D constant (a shape)");
                }

                long[] picked = [.. indices.Integers.Select(i => i < 0 ? i + data.Integers.Length : i)];
                if (picked.Any(i => i < 0 || i >= data.Integers.Length))
                {
                    Refuse(node, "an index out of range");
                }

                _constants[node.Outputs[0]] = Of([.. picked.Select(i => data.Integers[i])], indices.Shape);
                return;
            }

            case "Unsqueeze" or "Squeeze":
            {
                Known(node, "axes");
                ConstantValue data = Const(node, 0);
                int[] shape = node.OpType == "Unsqueeze" ? (data.Shape.Length == 0 ? [1] : [1, .. data.Shape]) : [.. data.Shape.Where(d => d != 1)];
                _constants[node.Outputs[0]] = data with { Shape = data.Integers.Length == 1 && node.OpType == "Unsqueeze" ? [1] : shape };
                return;
            }

            case "Concat":
            {
                ConstantValue[] parts = [.. Enumerable.Range(0, node.Inputs.Count).Select(k => Const(node, k))];
                long[] joined = [.. parts.SelectMany(p => p.Integers.Length == p.Floats.Length ? p.Integers : p.Floats.Select(f => (long)f))];
                _constants[node.Outputs[0]] = new ConstantValue([joined.Length], [.. parts.SelectMany(p => p.Floats)], joined);
                return;
            }

            default: // Cast
                Known(node, "to", "saturate");
                _constants[node.Outputs[0]] = Const(node, 0);
                return;
        }
    }

    // ----- Helpers -----

    private ImportedLayer NewLayer(string attribute, OnnxNode node, TensorValue input, string? prefixFrom)
    {
        var layer = new ImportedLayer(attribute, MethodName(node.Name), ParameterPrefix(node.Name, prefixFrom)) { In = input };
        layer.Nodes.Add($"{node.Name} ({node.OpType})");
        layer.Inputs.Add(input.Producer);
        Layers.Add(layer);
        return layer;
    }

    private void Produce(OnnxNode node, ImportedLayer layer, TensorValue output)
    {
        layer.Output = output;
        _tensors[node.Outputs[0]] = output;
        _outputNames[layer] = node.Outputs[0];
    }

    /// <summary>A node that folds into the layer before it: the layer's output now goes by the node's output's name.</summary>
    private void Rename(ImportedLayer layer, string output)
    {
        _tensors[output] = layer.Output!;
        _outputNames[layer] = output;
    }

    private void Alias(OnnxNode node, TensorValue value)
    {
        _tensors[node.Outputs[0]] = value;
        if (value.Producer is { } layer && _outputNames.TryGetValue(layer, out string? name) && name == node.Inputs[0] && _readers.GetValueOrDefault(name) == 1)
        {
            _outputNames[layer] = node.Outputs[0];
        }
    }

    /// <summary>Whether <paramref name="value"/> is the layer's output under its current name and nothing but one node reads it.</summary>
    private bool SoleReader(ImportedLayer layer, string value) =>
        _outputNames.TryGetValue(layer, out string? name) && name == value && _readers.GetValueOrDefault(value) == 1;

    private TensorValue Tensor(OnnxNode node, int index)
    {
        if (index >= node.Inputs.Count || node.Inputs[index].Length == 0)
        {
            throw Refusal(node, Invariant($"input {index} is missing"));
        }

        return _tensors.TryGetValue(node.Inputs[index], out TensorValue? value) ? value
            : throw Refusal(node, $"input '{node.Inputs[index]}' is a constant where a layer's output is expected");
    }

    private TensorValue Spatial(OnnxNode node, int index)
    {
        TensorValue value = Tensor(node, index);
        return value.Flat ? throw Refusal(node, $"it reads flat features ({value.Describe()}), where an image (channels × height × width) is expected") : value;
    }

    private TensorValue Flat(OnnxNode node, int index)
    {
        TensorValue value = Tensor(node, index);
        return value.Flat || (value.Height == 1 && value.Width == 1) ? value with { Flat = true }
            : throw Refusal(node, $"it reads {value.Describe()} per sample where a matrix [N, features] is expected: flatten it first");
    }

    private ConstantValue Const(OnnxNode node, int index)
    {
        if (index >= node.Inputs.Count || node.Inputs[index].Length == 0)
        {
            throw Refusal(node, Invariant($"input {index} is missing"));
        }

        return _constants.TryGetValue(node.Inputs[index], out ConstantValue? value) ? value
            : throw Refusal(node, $"input '{node.Inputs[index]}' is computed by the graph; it must be a constant (an initializer)");
    }

    private static void Known(OnnxNode node, params string[] names)
    {
        foreach (string name in node.Attributes.Keys)
        {
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                throw Refusal(node, $"the attribute '{name}' is not supported{(names.Length == 0 ? "" : $" (supported: {string.Join(", ", names)})")}");
            }
        }
    }

    private static long Int(OnnxNode node, string name, long otherwise) => node.Attributes.TryGetValue(name, out AttributeProto? a) ? a.I : otherwise;

    private static float Float(OnnxNode node, string name, float otherwise) => node.Attributes.TryGetValue(name, out AttributeProto? a) ? a.F : otherwise;

    private static long[]? Ints(OnnxNode node, string name) => node.Attributes.TryGetValue(name, out AttributeProto? a) ? [.. a.Ints] : null;

    private static (int, int) Pair(OnnxNode node, string name, int otherwise)
    {
        long[]? values = Ints(node, name);
        if (values is null)
        {
            return (otherwise, otherwise);
        }

        if (values.Length != 2 || values.Any(v => v < 1 || v > 1 << 16))
        {
            throw Refusal(node, $"{name} = [{string.Join(", ", values)}]: two positive values (height, width) are supported");
        }

        return ((int)values[0], (int)values[1]);
    }

    /// <summary>The four paddings, from <c>pads</c> ([top, left, bottom, right]) or <c>auto_pad</c>.</summary>
    private static (int Top, int Left, int Bottom, int Right) Pads(OnnxNode node, TensorValue x, int kh, int kw, int sh, int sw, int dh, int dw)
    {
        string autoPad = node.Attributes.TryGetValue("auto_pad", out AttributeProto? a) ? a.S.ToStringUtf8() : "NOTSET";
        switch (autoPad)
        {
            case "NOTSET" or "":
                long[] pads = Ints(node, "pads") ?? [0, 0, 0, 0];
                if (pads.Length != 4 || pads.Any(p => p < 0 || p > 1 << 16))
                {
                    throw Refusal(node, $"pads = [{string.Join(", ", pads)}]: four non-negative values [top, left, bottom, right] are supported");
                }

                return ((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]);
            case "VALID":
                return (0, 0, 0, 0);
            case "SAME_UPPER" or "SAME_LOWER":
                // Output ceil(in / stride); the odd padding after (SAME_UPPER) or before (SAME_LOWER).
                static (int, int) Same(int size, int kernel, int stride, int dilation, bool upper)
                {
                    int total = Math.Max(((((size + stride - 1) / stride) - 1) * stride) + ((kernel - 1) * dilation) + 1 - size, 0);
                    return upper ? (total / 2, total - (total / 2)) : (total - (total / 2), total / 2);
                }

                bool up = autoPad == "SAME_UPPER";
                (int top, int bottom) = Same(x.Height, kh, sh, dh, up);
                (int left, int right) = Same(x.Width, kw, sw, dw, up);
                return (top, left, bottom, right);
            default:
                throw Refusal(node, $"auto_pad = '{autoPad}' (supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER)");
        }
    }

    private static void AddPair(ImportedLayer layer, string name, int height, int width, int otherwise)
    {
        if (height == width)
        {
            if (height != otherwise)
            {
                layer.Properties.Add((name, Invariant($"{height}")));
            }
        }
        else
        {
            layer.Properties.Add((name + "Height", Invariant($"{height}")));
            layer.Properties.Add((name + "Width", Invariant($"{width}")));
        }
    }

    private static void AddPadding(ImportedLayer layer, int top, int left, int bottom, int right)
    {
        if (top == bottom && left == right)
        {
            AddPair(layer, "Padding", top, left, 0);
            return;
        }

        layer.Properties.Add(("PaddingTop", Invariant($"{top}")));
        layer.Properties.Add(("PaddingBottom", Invariant($"{bottom}")));
        layer.Properties.Add(("PaddingLeft", Invariant($"{left}")));
        layer.Properties.Add(("PaddingRight", Invariant($"{right}")));
    }

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = values[(r * columns) + c];
            }
        }

        return result;
    }

    /// <summary>A method name from a node's name: its letters and digits in PascalCase, unique, and clear of the class's own members.</summary>
    private string MethodName(string node)
    {
        var parts = new List<string>();
        var part = new System.Text.StringBuilder();
        foreach (char c in node)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                part.Append(part.Length == 0 ? char.ToUpperInvariant(c) : c);
            }
            else if (part.Length > 0)
            {
                parts.Add(part.ToString());
                part.Clear();
            }
        }

        parts.Add(part.ToString());
        string name = string.Concat(parts);
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            name = "Layer" + name;
        }

        // The members every generated network has (the generator refuses a layer named after one, KGEN014), and the class.
        string[] reserved =
        [
            "Forward", "Predict", "Evaluate", "Parameters", "Workspace", "Save", "Load", "InputSize", "OutputSize", "CreateWorkspace", "Probabilities",
            "InitializeParameters", "ForwardBackward", "RunForward", "RunInference", "ArgMax", "LowestTrainable", "Backward", "UpdateRunningStatistics",
            "Parallelism", "FixedWeights", "Profile", "ProfiledCalls", _className,
        ];
        string unique = name;
        for (int i = 2; _methods.Contains(unique) || reserved.Contains(unique, StringComparer.Ordinal); i++)
        {
            unique = Invariant($"{name}{i}");
        }

        _methods.Add(unique);
        return unique;
    }

    /// <summary>
    /// The parameters' name prefix: <c>layer1.0.conv1</c> when the weights are PyTorch's <c>layer1.0.conv1.weight</c>, else the
    /// node's name with what a prefix may not hold (anything but letters, digits, underscores and single dots) replaced.
    /// </summary>
    private static string ParameterPrefix(string node, string? weights)
    {
        if (weights is not null && weights.EndsWith(".weight", StringComparison.Ordinal) && Valid(weights[..^".weight".Length]))
        {
            return weights[..^".weight".Length];
        }

        string cleaned = string.Join(".", string.Concat(node.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.' ? c : '_'))
            .Split('.', StringSplitOptions.RemoveEmptyEntries));
        return Valid(cleaned) ? cleaned : "layer_" + cleaned.Replace(".", "_", StringComparison.Ordinal);

        static bool Valid(string prefix) => prefix.Length > 0 && prefix.Split('.').All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'));
    }

    private static void Refuse(OnnxNode node, string what) => throw Refusal(node, what);

    private static OnnxImportException Refusal(OnnxNode node, string what) =>
        new($"Node {node.Label}: {what}. Supported operators: {string.Join(", ", Supported)}.");
}
