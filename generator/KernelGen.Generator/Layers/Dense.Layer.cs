using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[Dense]</c> in a network: its forward pass over the whole batch in register tiles of samples × outputs, its weight
/// gradient as a matrix product, its input gradient as the product with the weights spread back — all in the network's
/// kernel class, since across a batch a dense layer is a matrix product rather than a per-sample kernel.
/// </summary>
internal sealed class DenseLayer : WeightedLayer
{
    public static readonly DenseLayer Instance = new();

    protected override string Layout => " ([out, in])";

    public override string Describe(NetworkLayer layer) =>
        "dense" + (Activation(layer.Spec).IsNone ? "" : ", " + Activation(layer.Spec));

    public override bool FlatOutput => true;

    public override bool HasKernelFile => false;

    public override ActivationSpec Activation(ISpec spec) => ((DenseSpec)spec).Activation;

    public override NetworkLayer Unfused(NetworkLayer layer) =>
        layer with { Spec = (DenseSpec)layer.Spec with { Activation = ActivationSpec.None }, Separate = Activation(layer.Spec) };

    public override (int[] Shape, int FanIn, int FanOut) WeightShape(NetworkLayer layer) => layer.Spec is DenseSpec d
        ? (new[] { d.OutFeatures, d.InFeatures }, d.InFeatures, d.OutFeatures)
        : (Array.Empty<int>(), 0, 0);

    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) =>
        $"{c.Kernels}.{layer.Name}Forward({c.Sources(layer)}, {c.Start($"{layer.Owner}Weight.Values")}, {(layer.HasBias ? $"{c.Start($"{layer.Owner}Bias.Values")}, " : "")}{c.Start(target)}, batch);";

    protected override string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput) =>
        $"{c.Kernels}.{layer.Name}InputGradient({c.Start($"buffers.{layer.Name}Gradient")}, {c.Start($"{layer.Owner}Weight.Values")}, {gradInput}, batch);";

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer) =>
        new Kernels(w, paths).Write(layer, (DenseSpec)layer.Spec);

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        public void Write(NetworkLayer layer, DenseSpec dense)
        {
            w.Line();
            DenseForward(layer.Name, dense);
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
        /// Y[n, o] = act(b[o] + Σᵢ X[n, i] · W[o, i]) for a batch: the matrix product of <see cref="DenseProduct"/> on each
        /// path, the widest the hardware accelerates taken at the call.
        /// </summary>
        public void DenseForward(string layer, DenseSpec d)
        {
            bool bias = d.Method.HasBias;
            string arguments = bias ? "ref input, ref weights, ref bias, ref output, batch" : "ref input, ref weights, ref output, batch";
            Doc(w, Invariant($"<c>{layer}</c> forward for a batch: dense {d.InFeatures} → {d.OutFeatures}, {(bias ? "bias" : "no bias")}, activation {d.Activation}, as a matrix product blocked for registers and L1."));
            using (w.Block($"public static void {layer}Forward(ref float input, ref float weights, {(bias ? "ref float bias, " : "")}ref float output, int batch)"))
            {
                WriteDispatch(w, Paths, path => $"{layer}Forward{path.Name}({arguments});");
            }

            foreach (SimdPath path in Paths)
            {
                w.Line();
                DenseBlocking blocking = DenseBlocking.For(d, path);
                w.Line($"// {DenseProduct.Describe(d, path, blocking)}");
                DenseProduct.Write(w, d, path, blocking, $"{layer}Forward{path.Name}", "private");
            }
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
