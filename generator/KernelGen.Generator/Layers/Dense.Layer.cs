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
        /// Y[n, o] = act(b[o] + Σᵢ X[n, i] · W[o, i]) for a batch: a tile of three samples × four outputs keeps twelve dot
        /// products in registers, so each weight row is read once per three samples instead of once per sample.
        /// </summary>
        public void DenseForward(string layer, DenseSpec d)
        {
            int inputs = d.InFeatures, outputs = d.OutFeatures;
            Doc(w, Invariant($"<c>{layer}</c> forward for a batch: dense {inputs} → {outputs}, {(d.Method.HasBias ? "bias" : "no bias")}, activation {d.Activation}, in tiles of three samples × four outputs."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward(ref float input, ref float weights, {(d.Method.HasBias ? "ref float bias, " : "")}ref float output, int batch)"))
            {
                w.Line("int n = 0;");
                BlockedOverBatch("n", 3, samples =>
                {
                    for (int k = 0; k < samples; k++)
                    {
                        w.Line(Invariant($"ref float x{k} = ref {At("input", Row("n", k, inputs))};"));
                        w.Line(Invariant($"ref float y{k} = ref {At("output", Row("n", k, outputs))};"));
                    }

                    w.Line("int o = 0;");
                    BlockedOverConstant("o", outputs, 4, block =>
                    {
                        DenseForwardTile(d, samples, block);
                    });
                });
            }
        }

        private void DenseForwardTile(DenseSpec d, int samples, int block)
        {
            int inputs = d.InFeatures;
            var tile = (from k in Enumerable.Range(0, samples) from j in Enumerable.Range(0, block) select (k, j)).ToArray();
            for (int j = 0; j < block; j++)
            {
                w.Line(Invariant($"ref float w{j} = ref {At("weights", Row("o", j, inputs))};"));
            }

            w.Line($"float {string.Join(", ", tile.Select(t => Invariant($"t{t.k}{t.j} = 0f")))};");
            w.Line("int i = 0;");
            VectorPaths(inputs, v =>
            {
                w.Line($"{v.Type} {string.Join(", ", tile.Select(t => Invariant($"a{t.k}{t.j} = {v.Zero}")))};");
                using (w.Block(Invariant($"for (; i <= {inputs - v.Width}; i += {v.Width})")))
                {
                    for (int k = 0; k < samples; k++)
                    {
                        w.Line(Invariant($"{v.Type} v{k} = {v.Load($"x{k}", "i")};"));
                    }

                    for (int j = 0; j < block; j++)
                    {
                        w.Line(Invariant($"{v.Type} u{j} = {v.Load($"w{j}", "i")};"));
                        for (int k = 0; k < samples; k++)
                        {
                            w.Line(Invariant($"a{k}{j} = {v.MultiplyAdd($"v{k}", $"u{j}", $"a{k}{j}")};"));
                        }
                    }
                }

                foreach ((int k, int j) in tile)
                {
                    w.Line(Invariant($"t{k}{j} = {v.Sum(Invariant($"a{k}{j}"))};"));
                }
            });

            using (w.Block(Invariant($"for (; i < {inputs}; i++)")))
            {
                for (int j = 0; j < block; j++)
                {
                    w.Line(Invariant($"float u{j} = {At($"w{j}", "i")};"));
                }

                foreach ((int k, int j) in tile)
                {
                    w.Line(Invariant($"t{k}{j} += {At($"x{k}", "i")} * u{j};"));
                }
            }

            foreach ((int k, int j) in tile)
            {
                if (d.Method.HasBias)
                {
                    w.Line(Invariant($"t{k}{j} += {At("bias", Plus("o", j))};"));
                }

                w.Line(Invariant($"{At($"y{k}", Plus("o", j))} = {ActivationText.Apply(d.Activation, Invariant($"t{k}{j}"))};"));
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
