using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes a <c>[Dense]</c> kernel: blocks of output features, each a dot product accumulated in its own register.</summary>
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
            "Strategy: a block of output features shares each load of the input; each feature's dot product runs in its own accumulator and is reduced once, then bias and activation are applied at the store.",
        };
        remarks.AddRange(plan.Paths.Select(p => Invariant($"{p.Path.Name}: {p.BlockOutputs} output features per block.")));
        return Write(m, summary, remarks, spans, plan.Paths.Select(p => p.Path), w => WriteKernel(w, plan));
    }

    private static void WriteKernel(CodeWriter w, DensePlan plan)
    {
        foreach (DensePathPlan path in plan.Paths)
        {
            WritePath(w, plan.Spec, path);
            w.Line();
            int remainder = plan.Spec.OutFeatures % path.BlockOutputs;
            foreach (int rows in new[] { path.BlockOutputs, remainder }.Where(r => r > 0).Distinct())
            {
                WriteBlock(w, plan.Spec, path.Path, rows);
                w.Line();
            }
        }
    }

    private static void WritePath(CodeWriter w, DenseSpec s, DensePathPlan path)
    {
        bool bias = s.Method.HasBias;
        int full = s.OutFeatures - (s.OutFeatures % path.BlockOutputs);
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Path.Name}({PathParameters(bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"])})"))
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line(Invariant($"ref float x = ref {At("input", Offset(0, ("n", s.InFeatures)))};"));
            w.Line(Invariant($"ref float y = ref {At("output", Offset(0, ("n", s.OutFeatures)))};"));
            string Call(int rows, string o) =>
                $"{Name(path.Path, rows)}(ref x, ref {At("weights", Offset(0, (o, s.InFeatures)))}, {(bias ? $"ref {At("bias", o)}, " : "")}ref {At("y", o)});";
            if (full == path.BlockOutputs)
            {
                w.Line(Call(path.BlockOutputs, "0"));
            }
            else if (full > 0)
            {
                using (w.Block(Invariant($"for (int o = 0; o < {full}; o += {path.BlockOutputs})")))
                {
                    w.Line(Call(path.BlockOutputs, "o"));
                }
            }

            if (full < s.OutFeatures)
            {
                w.Line(Invariant($"// the last {s.OutFeatures - full} output feature(s)"));
                w.Line(Call(s.OutFeatures - full, Invariant($"{full}")));
            }
        }
    }

    private static string Name(SimdPath path, int rows) => Invariant($"{path.Name}Block{rows}");

    private static void WriteBlock(CodeWriter w, DenseSpec s, SimdPath path, int rows)
    {
        int vectorsEnd = s.InFeatures / path.Width * path.Width;
        bool bias = s.Method.HasBias;
        w.Line(Invariant($"/// <summary>Output features o..o+{rows - 1}: {rows} dot products of length {s.InFeatures} sharing each input load.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {Name(path, rows)}(ref float x, ref float w, {(bias ? "ref float bias, " : "")}ref float y)"))
        {
            w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, rows).Select(j => $"a{j} = {path.Zero}"))};");
            if (vectorsEnd > 0)
            {
                // One vector of inputs is a step of its own, not a loop that runs once.
                bool once = vectorsEnd == path.Width;
                using (w.Block(once ? "" : Invariant($"for (int i = 0; i < {vectorsEnd}; i += {path.Width})")))
                {
                    w.Line($"{path.Type} xi = {path.Load("x", once ? "0" : "i")};");
                    for (int j = 0; j < rows; j++)
                    {
                        string offset = once ? Invariant($"{j * s.InFeatures}") : j == 0 ? "i" : Invariant($"{j * s.InFeatures} + i");
                        w.Line($"a{j} = {path.MultiplyAdd(path.Load("w", offset), "xi", $"a{j}")};");
                    }
                }
            }

            for (int j = 0; j < rows; j++)
            {
                w.Line($"float s{j} = {path.Sum($"a{j}")};");
            }

            if (vectorsEnd < s.InFeatures)
            {
                w.Line(Invariant($"// input features {vectorsEnd}..{s.InFeatures - 1}, fewer than a vector"));
                using (w.Block(Invariant($"for (int i = {vectorsEnd}; i < {s.InFeatures}; i++)")))
                {
                    w.Line($"float xi = {At("x", "i")};");
                    for (int j = 0; j < rows; j++)
                    {
                        w.Line(Invariant($"s{j} += {At("w", j == 0 ? "i" : Invariant($"{j * s.InFeatures} + i"))} * xi;"));
                    }
                }
            }

            for (int j = 0; j < rows; j++)
            {
                string value = bias ? Invariant($"s{j} + {At("bias", Invariant($"{j}"))}") : $"s{j}";
                w.Line(Invariant($"{At("y", Invariant($"{j}"))} = {ActivationText.Apply(s.Activation, s.Activation.IsNone ? value : $"({value})")};"));
            }
        }
    }
}
