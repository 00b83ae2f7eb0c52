using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// An <c>[Add]</c> in a network: the sum of the tensors it reads, with its activation fused where it is vectorised. Its
/// gradient with respect to each operand is its own output gradient, copied to (or added into) the operand's.
/// </summary>
internal sealed class AddLayer : LayerKind
{
    public static readonly AddLayer Instance = new();

    public override string Describe(NetworkLayer layer) =>
        Invariant($"sum of {layer.Inputs.Count} tensors{(layer.Activation.IsNone ? "" : ", " + layer.Activation)}");

    public override bool HasKernelFile => false;

    public override ActivationSpec Activation(ISpec spec) => ((AddSpec)spec).Activation;

    public override NetworkLayer Unfused(NetworkLayer layer) =>
        layer with { Spec = (AddSpec)layer.Spec with { Activation = ActivationSpec.None }, Separate = Activation(layer.Spec) };

    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) =>
        $"{c.Kernels}.{layer.Name}Forward({c.Sources(layer)}, {c.Start(target)}, batch);";

    public override void WriteInputGradient(CodeWriter w, NetworkCalls c, NetworkLayer layer, int operand, bool add)
    {
        NetworkLayer source = c.Spec.Layers[layer.Inputs[operand]];
        string length = Invariant($"batch * {source.OutputLength}");
        w.Line(add
            ? $"{c.Kernels}.Accumulate({c.Start($"buffers.{layer.Name}Gradient")}, {c.Start($"buffers.{source.Name}Gradient")}, {length});"
            : $"new {NetworkCalls.ReadOnlySpan}(buffers.{layer.Name}Gradient, 0, {length}).CopyTo(buffers.{source.Name}Gradient);");
    }

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer)
    {
        w.Line();
        new Kernels(w, paths).AddForward(layer.Name, (AddSpec)layer.Spec, layer.Inputs.Count);
    }

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        /// <summary>
        /// The forward pass of an <c>[Add]</c> of <paramref name="operands"/> tensors: their sum, element by element, with the
        /// activation fused where it is vectorised (the others are applied after the kernel by the network).
        /// </summary>
        public void AddForward(string layer, AddSpec s, int operands)
        {
            string[] names = [.. Enumerable.Range(0, operands).Select(k => Invariant($"x{k}"))];
            Doc(w, Invariant($"<c>{layer}</c>: the sum of its {operands} inputs{(s.Activation.IsNone ? "" : $", then {s.Activation}")}, {s.Length} floats per sample."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward({string.Join(", ", names.Select(n => $"ref float {n}"))}, ref float output, int batch)"))
            {
                w.Line(Invariant($"int length = batch * {s.Length}, i = 0;"));
                VectorPaths(int.MaxValue, v =>
                {
                    using (w.Block(Invariant($"for (; i <= length - {v.Width}; i += {v.Width})")))
                    {
                        w.Line($"{v.Type} sum = {string.Join(" + ", names.Select(n => v.Load(n, "i")))};");
                        w.Line(v.Store(s.Activation.Vectorised ? ActivationText.Apply(v, s.Activation, "sum") : "sum", "output", "i"));
                    }
                });

                using (w.Block("for (; i < length; i++)"))
                {
                    w.Line($"float sum = {string.Join(" + ", names.Select(n => At(n, "i")))};");
                    w.Line($"{At("output", "i")} = {(s.Activation.Vectorised ? ActivationText.Apply(s.Activation, "sum") : "sum")};");
                }

                if (!s.Activation.Vectorised)
                {
                    using (w.Block("for (int j = 0; j < length; j++)"))
                    {
                        w.Line($"{At("output", "j")} = {ActivationText.Apply(s.Activation, At("output", "j"))};");
                    }
                }
            }
        }
    }
}
