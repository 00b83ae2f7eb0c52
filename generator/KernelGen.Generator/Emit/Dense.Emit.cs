using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes a <c>[Dense]</c> kernel: on each path the matrix product of <see cref="DenseProduct"/>.</summary>
internal static class DenseEmitter
{
    public static string Emit(DensePlan plan)
    {
        DenseSpec s = plan.Spec;
        MethodTarget m = s.Method;
        var geometry = new DenseGeometry(s.InFeatures, s.OutFeatures);
        var spans = new List<SpanArgument> { new(m.Parameters[0], s.InFeatures, true), new(m.Parameters[1], geometry.WeightLength, false) };
        if (m.HasBias)
        {
            spans.Add(new SpanArgument(m.Parameters[2], s.OutFeatures, false));
        }

        spans.Add(new SpanArgument(m.Output, s.OutFeatures, true));
        string summary = Invariant($"Dense {s.InFeatures} → {s.OutFeatures}, {(m.HasBias ? "bias" : "no bias")}, activation {s.Activation}.");
        var remarks = new List<string>
        {
            Invariant($"{Number(geometry.Flops)} FLOPs per sample (a multiply-add counts 2). Weights [{s.OutFeatures}, {s.InFeatures}], row-major."),
            "Strategy: a matrix product over the batch. A tile of samples × output features keeps one dot product per pair in its own vector accumulator, sharing each load of an input row and of a weight row, and reduces them once per block of input features; blocks of input features and panels of samples keep the panel's inputs in L1 while the weights stream past from L2. Bias and activation are applied after the last block; samples left over from whole tiles take a block of output features one sample at a time.",
        };
        remarks.AddRange(plan.Paths.Select(p => DenseProduct.Describe(s, p.Path, p.Blocking)));
        bool packed = DensePacked.Applies(s);
        if (packed)
        {
            remarks.Add(Invariant($"Packed overload: {m.Name}PackWeights rearranges the weights once into panels of {DensePacking.Panel} output features, input feature by input feature; the overload that takes them broadcasts each input once per step against vectors of output features (BLIS's and MLAS's micro-kernel): no sums across lanes, every accumulator stored once. Faster wherever several samples share the weights; pack when the weights are loaded or changed. A sample alone (a batch of one, or an odd batch's last) passes over its inputs of exactly zero without reading their weights, where every weight is finite: the same values (a product of ±0 leaves a sum as it is, but for the sign of a sum of only underflowed products), and less of the weights read where ReLU left zeros."));
            remarks.AddRange(plan.Paths.Select(p => DensePacked.Describe(p.Path, p.Packing)));
        }

        return Write(m, summary, remarks, spans, plan.Paths.Select(p => p.Path), w => WriteKernel(w, plan, packed), packed ? (w, kernel) => DensePacked.WriteMembers(w, plan, kernel) : null);
    }

    private static void WriteKernel(CodeWriter w, DensePlan plan, bool packed)
    {
        foreach (DensePathPlan path in plan.Paths)
        {
            DenseProduct.Write(w, plan.Spec, path.Path, path.Blocking, path.Path.Name, "public");
            w.Line();
        }

        if (packed)
        {
            DensePacked.WriteKernel(w, plan);
            w.Line();
        }
    }
}
