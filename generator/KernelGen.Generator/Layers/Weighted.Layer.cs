using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A layer with weights and, unless <c>Bias = false</c>, a bias — a convolution or a dense layer — which another layer
/// may share (<c>SharesWeightsWith</c>): their parameters, and their gradients in the backward pass.
/// </summary>
internal abstract class WeightedLayer : LayerKind
{
    public override bool HasParameters => true;

    public override bool HasWeights => true;

    public override bool HasBias(NetworkLayer layer) => layer.Spec.Method.HasBias;

    /// <summary>How its weights are laid out, for their documentation: " (OIHW)".</summary>
    protected abstract string Layout { get; }

    public override IReadOnlyList<ParameterTensor> Tensors(NetworkLayer layer, bool he)
    {
        (int[] shape, int fanIn, int fanOut) = WeightShape(layer);
        var weight = new ParameterTensor("Weight", "weight", shape, he ? "He" : "Glorot", false, fanIn, fanOut, "The weights", Layout);
        return layer.HasBias ? [weight, new("Bias", "bias", [shape[0]], "Zeros", false, fanIn, fanOut, "The bias")] : [weight];
    }

    /// <summary>Floats in a layer's weights: the product of <see cref="LayerKind.WeightShape"/>'s dimensions.</summary>
    public int WeightLength(NetworkLayer layer) => WeightShape(layer).Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The call of the layer's kernel over <paramref name="weights"/>, with <paramref name="threads"/> after the batch (", Parallelism" or "").</summary>
    protected static string Call(NetworkCalls c, NetworkLayer layer, string target, string weights, string threads) =>
        $"{layer.Spec.Method.Name}({c.Read(layer.Inputs[0])}, {weights}, {(layer.HasBias ? $"{layer.Owner}Bias.Values, " : "")}{NetworkCalls.Written(layer, target)}, batch{threads});";

    /// <summary>A call over packed weights with <c>FixedWeights</c>, else the call over the weights as stored.</summary>
    protected static void WriteFixedOrPlain(CodeWriter w, string comment, string packedCall, string plainCall)
    {
        w.Line(comment);
        using (w.Block("if (FixedWeights)"))
        {
            w.Line(packedCall);
        }

        using (w.Block("else"))
        {
            w.Line(plainCall);
        }
    }

    public override string Declaration(NetworkLayer layer) =>
        $"private static partial void {layer.Spec.Method.Name}({NetworkCalls.ReadOnlySpan} input, {NetworkCalls.ReadOnlySpan} weights, {(layer.HasBias ? $"{NetworkCalls.ReadOnlySpan} bias, " : "")}{NetworkCalls.Span} output, int batch);";

    /// <summary>
    /// Its weight gradient (<c>{Layer}WeightGradient</c>) and bias gradient (<c>{Layer}BiasGradient</c>), each unless frozen, into
    /// the gradients of the layer that owns the parameters — through the scratch buffer, and added, when they are shared and
    /// another layer has written them.
    /// </summary>
    public override void WriteParameterGradients(CodeWriter w, NetworkCalls c, NetworkLayer layer, bool accumulate)
    {
        NetworkLayer owner = c.Layer(layer.Owner);
        int index = c.ParameterIndex(owner);
        string gradOut = c.Start($"buffers.{layer.Name}Gradient");
        (string Parameter, string Kernel, int Index, int Length)[] gradients = owner.HasBias
            ? [("Weight", "WeightGradient", index, WeightLength(owner)), ("Bias", "BiasGradient", index + 1, WeightShape(owner).Shape[0])]
            : [("Weight", "WeightGradient", index, WeightLength(owner))];
        foreach ((string parameter, string kernel, int slot, int length) in gradients)
        {
            using (w.Block($"if (!{owner.Name}{parameter}.Frozen)"))
            {
                string target = c.Start(Invariant($"buffers.Gradients[{slot}]"));
                string arguments = kernel == "WeightGradient" ? $"{c.Start(c.Tensor(layer.Inputs[0]))}, {gradOut}" : gradOut;
                string columns = kernel == "WeightGradient" && layer.WeightGradientByProduct ? $", {c.Start($"buffers.{layer.Name}Columns")}" : "";
                w.Line($"{c.Kernels}.{layer.Name}{kernel}({arguments}, {(accumulate ? c.Start("buffers.ParameterScratch") : target)}{columns}, batch);");
                if (accumulate)
                {
                    w.Line(Invariant($"{c.Kernels}.Accumulate({c.Start("buffers.ParameterScratch")}, {target}, {length});"));
                }
            }
        }
    }
}
