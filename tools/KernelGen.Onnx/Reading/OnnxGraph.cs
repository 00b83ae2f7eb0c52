using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Onnx.Protos;
using static KernelGen.Onnx.OnnxFormat;

namespace KernelGen.Onnx.Reading;

/// <summary>One node of the graph as the importer sees it: ONNX's, or one made of a pattern (<c>x · Sigmoid(x)</c> → <c>Silu</c>).</summary>
internal sealed record OnnxNode(string Name, string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, AttributeProto> Attributes)
{
    /// <summary>How a message names the node: <c>'conv1' (Conv)</c>.</summary>
    public string Label => $"'{Name}' ({OpType})";

    public static OnnxNode From(NodeProto node, int index)
    {
        var attributes = new Dictionary<string, AttributeProto>(StringComparer.Ordinal);
        string name = string.IsNullOrEmpty(node.Name) ? Invariant($"{node.OpType}_{index}") : node.Name;
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (!attributes.TryAdd(attribute.Name, attribute))
            {
                throw new OnnxImportException($"Node '{name}' ({node.OpType}) has attribute '{attribute.Name}' twice.");
            }
        }

        if (!(node.Domain is "" or "ai.onnx"))
        {
            throw new OnnxImportException($"Node '{name}' ({node.OpType}) is from the operator domain '{node.Domain}'; the importer reads the default ONNX domain only.");
        }

        return new OnnxNode(name, node.OpType, [.. node.Input], [.. node.Output], attributes);
    }
}

/// <summary>
/// A model's graph made ready for lowering: its nodes in an order where each comes after the nodes it reads (or a clear
/// error for a cycle or a value nothing produces), the constants (initializers, minus those also listed as inputs before
/// IR 4), the network's one real input and its one output, and nodes that do not lead to the output left out.
/// </summary>
internal sealed class OnnxGraph
{
    private OnnxGraph(ModelProto model, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, TensorProto> constants, ValueInfoProto input, string output)
    {
        Model = model;
        Nodes = nodes;
        Initializers = constants;
        Input = input;
        Output = output;
    }

    public ModelProto Model { get; }

    public IReadOnlyList<OnnxNode> Nodes { get; }

    public IReadOnlyDictionary<string, TensorProto> Initializers { get; }

    public ValueInfoProto Input { get; }

    public string Output { get; }

    public long Opset => OnnxFile.Opset(Model);

    /// <summary>How many nodes read each value (the graph's output counting as one reader).</summary>
    public Dictionary<string, int> Readers()
    {
        var readers = new Dictionary<string, int>(StringComparer.Ordinal) { [Output] = 1 };
        foreach (string input in Nodes.SelectMany(n => n.Inputs).Where(i => i.Length > 0))
        {
            readers[input] = readers.GetValueOrDefault(input) + 1;
        }

        return readers;
    }

    public static OnnxGraph From(ModelProto model, string source)
    {
        GraphProto graph = model.Graph;
        var initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (TensorProto tensor in graph.Initializer)
        {
            if (!initializers.TryAdd(tensor.Name, tensor))
            {
                throw new OnnxImportException($"'{source}' has two initializers named '{tensor.Name}'.");
            }
        }

        // Before IR 4 every initializer is also listed as a graph input; those are constants, not inputs.
        ValueInfoProto[] inputs = [.. graph.Input.Where(i => !initializers.ContainsKey(i.Name))];
        if (inputs.Length != 1)
        {
            throw new OnnxImportException(inputs.Length == 0
                ? $"'{source}' has no graph input besides its initializers: a network reads one input tensor."
                : $"'{source}' has {inputs.Length} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); a KernelGen network reads one input tensor.");
        }

        if (graph.Output.Count != 1)
        {
            throw new OnnxImportException($"'{source}' has {graph.Output.Count} outputs ({string.Join(", ", graph.Output.Select(o => $"'{o.Name}'"))}); a KernelGen network gives one output tensor.");
        }

        OnnxNode[] all = [.. graph.Node.Select(OnnxNode.From)];
        string output = graph.Output[0].Name;

        // Producers, and every value a node reads known: the input, an initializer, or some node's output.
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < all.Length; i++)
        {
            foreach (string name in all[i].Outputs.Where(o => o.Length > 0))
            {
                if (name == inputs[0].Name || initializers.ContainsKey(name) || !producer.TryAdd(name, i))
                {
                    throw new OnnxImportException($"Node {all[i].Label} writes '{name}', which is already the graph's input, an initializer or another node's output.");
                }
            }
        }

        foreach (OnnxNode node in all)
        {
            foreach (string name in node.Inputs.Where(n => n.Length > 0))
            {
                if (name != inputs[0].Name && !initializers.ContainsKey(name) && !producer.ContainsKey(name))
                {
                    throw new OnnxImportException($"Node {node.Label} reads '{name}', which is neither the graph's input, an initializer nor any node's output.");
                }
            }
        }

        if (!producer.TryGetValue(output, out int last))
        {
            throw new OnnxImportException($"The graph's output '{output}' is not written by any node.");
        }

        // The nodes that lead to the output, in an order where each follows what it reads (depth first from the output,
        // with an explicit stack: a hostile file may chain a million nodes). A node met again while open is a cycle.
        var state = new byte[all.Length]; // 0 unseen, 1 open, 2 done
        var order = new List<OnnxNode>();
        var stack = new Stack<(int Node, int Next)>();
        stack.Push((last, 0));
        state[last] = 1;
        while (stack.Count > 0)
        {
            (int node, int next) = stack.Pop();
            IReadOnlyList<string> reads = all[node].Inputs;
            if (next < reads.Count)
            {
                stack.Push((node, next + 1));
                if (reads[next].Length > 0 && producer.TryGetValue(reads[next], out int p))
                {
                    if (state[p] == 1)
                    {
                        throw new OnnxImportException($"The graph has a cycle: node {all[p].Label} depends on its own output (through {all[node].Label}).");
                    }

                    if (state[p] == 0)
                    {
                        state[p] = 1;
                        stack.Push((p, 0));
                    }
                }

                continue;
            }

            state[node] = 2;
            order.Add(all[node]);
        }

        return new OnnxGraph(model, order, initializers, inputs[0], output);
    }
}
