using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes a <c>[GlobalAvgPool2D]</c> kernel: each plane summed with four independent accumulators.</summary>
internal static class GlobalPoolEmitter
{
    private const int Accumulators = 4;

    public static string Emit(GlobalPoolPlan plan)
    {
        GlobalPoolSpec s = plan.Spec;
        int plane = s.Height * s.Width;
        var spans = new List<SpanArgument> { new(s.Method.Input, s.Channels * plane, true), new(s.Method.Output, s.Channels, true) };
        string summary = Invariant($"GlobalAvgPool2D {s.Channels}×{s.Height}×{s.Width} → {s.Channels}: the mean of each {s.Height}×{s.Width} plane.");
        string[] remarks =
        [
            Invariant($"Memory-bound: reads {Number(4L * s.Channels * plane)} bytes per sample."),
            Invariant($"Strategy: each plane of {plane} floats is summed in {Accumulators} independent accumulators, then multiplied by 1/{plane}."),
        ];
        return Write(s.Method, summary, remarks, spans, plan.Paths, w =>
        {
            foreach (SimdPath path in plan.Paths)
            {
                WritePath(w, s, path);
                w.Line();
            }
        });
    }

    /// <summary>The sum of accumulators <c>a0…</c>, added in pairs: <c>(a0 + a1) + (a2 + a3)</c>.</summary>
    private static string Tree(int count) => count switch
    {
        1 => "a0",
        2 => "a0 + a1",
        3 => "(a0 + a1) + a2",
        _ => "(a0 + a1) + (a2 + a3)",
    };

    private static void WritePath(CodeWriter w, GlobalPoolSpec s, SimdPath path)
    {
        int plane = s.Height * s.Width;
        int step = Accumulators * path.Width;
        int blocked = plane / step * step;
        int vectorsEnd = plane / path.Width * path.Width;
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Name}({PathParameters(["input", "output"])})"))
        using (w.Block(Invariant($"for (int p = 0; p < batch * {s.Channels}; p++)")))
        {
            w.Line(Invariant($"ref float plane = ref {At("input", Offset(0, ("p", plane)))};"));
            int vectors = vectorsEnd / path.Width;
            string sum;
            if (vectors <= Accumulators)
            {
                // Few enough vectors to hold at once: each loaded into its own accumulator, no loop.
                string[] loads = [.. Enumerable.Range(0, vectors).Select(a => $"a{a} = {path.Load("plane", a * path.Width)}")];
                if (vectors > 0)
                {
                    w.Line($"{path.Type} {string.Join(", ", loads)};");
                }

                sum = vectors == 0 ? "0f" : path.Sum(Tree(vectors));
            }
            else
            {
                if (blocked == step)
                {
                    // One block: the accumulators start from its loads.
                    w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, Accumulators).Select(a => $"a{a} = {path.Load("plane", a * path.Width)}"))};");
                }
                else
                {
                    w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, Accumulators).Select(a => $"a{a} = {path.Zero}"))};");
                    using (w.Block(Invariant($"for (int i = 0; i < {blocked}; i += {step})")))
                    {
                        for (int a = 0; a < Accumulators; a++)
                        {
                            w.Line($"a{a} += {path.Load("plane", a == 0 ? "i" : Invariant($"i + {a * path.Width}"))};");
                        }
                    }
                }

                for (int i = blocked, a = 0; i < vectorsEnd; i += path.Width, a++)
                {
                    w.Line($"a{a} += {path.Load("plane", i)};");
                }

                sum = path.Sum(Tree(Accumulators));
            }

            // The floats after the last whole vector, added one at a time (the first with the vectors' sum).
            string mean = Invariant($"* (1f / {plane})");
            if (vectorsEnd < plane)
            {
                sum = Invariant($"{sum} + {At("plane", Invariant($"{vectorsEnd}"))}");
            }

            if (vectorsEnd + 1 >= plane)
            {
                w.Line(Invariant($"{At("output", "p")} = ({sum}) {mean};"));
                return;
            }

            w.Line($"float sum = {sum};");
            for (int i = vectorsEnd + 1; i < plane; i++)
            {
                w.Line(Invariant($"sum += {At("plane", Invariant($"{i}"))};"));
            }

            w.Line(Invariant($"{At("output", "p")} = sum {mean};"));
        }
    }
}
