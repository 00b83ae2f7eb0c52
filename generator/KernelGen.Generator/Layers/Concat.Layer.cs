using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[Concat]</c> in a network: the tensors it reads joined along channels, sample by sample. Its gradient with respect
/// to each operand is that operand's slice of its output gradient.
/// </summary>
internal sealed class ConcatLayer : LayerKind
{
    public static readonly ConcatLayer Instance = new();

    public override string Describe(NetworkLayer layer) =>
        Invariant($"{((ConcatSpec)layer.Spec).Channels.Count} tensors joined along channels");

    public override bool HasKernelFile => false;

    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) =>
        $"{c.Kernels}.{layer.Name}Forward({c.Sources(layer)}, {c.Start(target)}, batch);";

    public override void WriteInputGradient(CodeWriter w, NetworkCalls c, NetworkLayer layer, int operand, bool add)
    {
        var concat = (ConcatSpec)layer.Spec;
        int offset = concat.Channels.Take(operand).Sum() * concat.Plane;
        string target = c.Start($"buffers.{c.Spec.Layers[layer.Inputs[operand]].Name}Gradient");
        w.Line(Invariant($"{c.Kernels}.Slice({c.Start($"buffers.{layer.Name}Gradient")}, {target}, batch, {offset}, {concat.Channels[operand] * concat.Plane}, {layer.OutputLength}, {(add ? "true" : "false")});"));
    }

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer)
    {
        w.Line();
        new Kernels(w, paths).ConcatForward(layer.Name, (ConcatSpec)layer.Spec);
    }

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        /// <summary>The forward pass of a <c>[Concat]</c>: each sample's inputs copied one after another along channels.</summary>
        public void ConcatForward(string layer, ConcatSpec s)
        {
            int total = s.OutChannels * s.Plane;
            string[] names = [.. Enumerable.Range(0, s.Channels.Count).Select(k => Invariant($"x{k}"))];
            Doc(w, Invariant($"<c>{layer}</c>: its {s.Channels.Count} inputs joined along channels ({string.Join(" + ", s.Channels)} = {s.OutChannels}), sample by sample."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward({string.Join(", ", names.Select(n => $"ref float {n}"))}, ref float output, int batch)"))
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                int offset = 0;
                for (int k = 0; k < names.Length; k++)
                {
                    int length = s.Channels[k] * s.Plane;
                    w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At(names[k], Invariant($"n * {length}"))}, {length}).CopyTo({MemoryMarshal}.CreateSpan(ref {At("output", Offset(offset, ("n", total)))}, {length}));"));
                    offset += length;
                }
            }
        }
    }
}
