using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[Dense]</c> in a network: its forward pass a <c>[Dense]</c> kernel file over the whole batch (with the packed
/// overload, which inference runs when the weights are fixed); in the network's kernel class, its weight gradient as a
/// matrix product and its input gradient as the product with the weights spread back.
/// </summary>
internal sealed class DenseLayer : WeightedLayer
{
    public static readonly DenseLayer Instance = new();

    protected override string Layout => " ([out, in])";

    public override string Describe(NetworkLayer layer) =>
        "dense" + (Activation(layer.Spec).IsNone ? "" : ", " + Activation(layer.Spec));

    public override bool FlatOutput => true;

    /// <summary>Its forward pass is a <c>[Dense]</c> kernel file, with the packed overload inference runs when the weights are fixed.</summary>
    public override IPlan Plan(ISpec spec, bool legacyIntrinsics) => DensePlan.Plan((DenseSpec)spec, legacyIntrinsics);

    public override ActivationSpec Activation(ISpec spec) => ((DenseSpec)spec).Activation;

    public override NetworkLayer Unfused(NetworkLayer layer) =>
        layer with { Spec = (DenseSpec)layer.Spec with { Activation = ActivationSpec.None }, Separate = Activation(layer.Spec) };

    public override (int[] Shape, int FanIn, int FanOut) WeightShape(NetworkLayer layer) => layer.Spec is DenseSpec d
        ? (new[] { d.OutFeatures, d.InFeatures }, d.InFeatures, d.OutFeatures)
        : (Array.Empty<int>(), 0, 0);

    /// <summary>The product over its weights as stored.</summary>
    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) => Call(c, layer, target, $"{layer.Owner}Weight.Values");

    /// <summary>
    /// At inference with <c>FixedWeights</c>, the packed overload over weights packed once per change: output features in
    /// panels, the micro-kernel of BLIS and MLAS.
    /// </summary>
    public override void WriteForward(CodeWriter w, NetworkCalls c, NetworkLayer layer, string target)
    {
        if (!c.Inference || !NetworkPacked.Keeps(c.Spec, layer))
        {
            base.WriteForward(w, c, layer, target);
            return;
        }

        WriteFixedOrPlain(w, "// With FixedWeights, the product over weights packed once in panels of output features, made again when the weights change.",
            Call(c, layer, target, NetworkPacked.Weights(layer, layer.Spec.Method, $"{layer.Owner}Weight.Values", $"{layer.Owner}Weight.Version")),
            Forward(c, layer, target));
    }

    private static string Call(NetworkCalls c, NetworkLayer layer, string target, string weights) => Call(c, layer, target, weights, "");

    protected override string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput) =>
        $"{c.Kernels}.{layer.Name}InputGradient({c.Start($"buffers.{layer.Name}Gradient")}, {c.Start($"{layer.Owner}Weight.Values")}, {gradInput}, batch);";

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer) =>
        new Kernels(w, paths).Write(layer, (DenseSpec)layer.Spec);

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        public void Write(NetworkLayer layer, DenseSpec dense)
        {
            w.Line();
            DenseWeightGradient(layer.Name, dense);
            w.Line();
            if (layer.HasBias)
            {
                BiasGradient(layer.Name, dense.OutFeatures, 1);
                w.Line();
            }

            DenseInputGradient(layer.Name, dense);
        }

        /// <summary>
        /// dW[o, i] = Σₙ dY[n, o] · X[n, i]: a tile of four outputs × two vectors of inputs stays in registers over the
        /// whole batch, so every weight gradient is written once and the batch's input columns stay in L1 across all outputs.
        /// </summary>
        public void DenseWeightGradient(string layer, DenseSpec d)
        {
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s weights [{d.OutFeatures}, {d.InFeatures}]: each output gradient times the input, summed over the batch in register tiles of four outputs × two vectors of inputs."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}WeightGradient(ref float input, ref float gradOutput, ref float gradWeights, int batch)"))
            {
                Product(d.InFeatures, d.OutFeatures, accumulate: false);
            }
        }

        /// <summary>dX[n, i] = Σₒ dY[n, o] · W[o, i]: a tile of four samples × two vectors of inputs stays in registers over all outputs.</summary>
        public void DenseInputGradient(string layer, DenseSpec d)
        {
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each sample's output gradients times the weights [{d.OutFeatures}, {d.InFeatures}], in register tiles of four samples × two vectors of inputs."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float weights, ref float gradInput, int batch)"))
            {
                Spread(d.InFeatures, d.OutFeatures);
            }
        }
    }
}
