using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes a <c>[GlobalAvgPool2D]</c> kernel (each plane summed with four independent accumulators) or a
/// <c>[GlobalMaxPool2D]</c> kernel (each plane's maximum, in four independent accumulators).
/// </summary>
internal static class GlobalPoolEmitter
{
    private const int Accumulators = 4;

    public static string Emit(GlobalPoolPlan plan)
    {
        GlobalPoolSpec s = plan.Spec;
        int plane = s.Height * s.Width;
        bool max = s.Kind == PoolKind.Max;
        var spans = new List<SpanArgument> { new(s.Method.Input, s.Channels * plane, true), new(s.Method.Output, s.Channels, true) };
        string summary = Invariant($"{s.Attribute} {s.Channels}×{s.Height}×{s.Width} → {s.Channels}: the {(max ? "largest element" : "mean")} of each {s.Height}×{s.Width} plane.");
        string[] remarks =
        [
            Invariant($"Memory-bound: reads {Number(4L * s.Channels * plane)} bytes per sample."),
            max
                ? Invariant($"Strategy: each plane of {plane} floats is reduced with Max in {Accumulators} independent accumulators, the last vector ending at the plane's end (a maximum may read an element twice), then across lanes. A NaN makes the result NaN.")
                : Invariant($"Strategy: each plane of {plane} floats is summed in {Accumulators} independent accumulators, then multiplied by 1/{plane}."),
        ];
        return Write(s.Method, summary, remarks, spans, plan.Paths, w =>
        {
            foreach (SimdPath path in plan.Paths)
            {
                if (max)
                {
                    WriteMaxPath(w, s, path);
                }
                else
                {
                    WritePath(w, s, path);
                }

                w.Line();
            }
        });
    }

    /// <summary>
    /// The maximum of each plane: whole vectors into up to four accumulators (a loop when there are more than
    /// four, a last vector that ends at the plane's end when the plane is not whole vectors), combined, then the
    /// lanes one by one; a plane narrower than a vector goes element by element.
    /// </summary>
    private static void WriteMaxPath(CodeWriter w, GlobalPoolSpec s, SimdPath path)
    {
        int plane = s.Height * s.Width, width = path.Width;
        int vectors = plane / width;
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Name}({PathParameters(["input", "output"])})"))
        using (w.Block(Invariant($"for (int p = 0; p < batch * {s.Channels}; p++)")))
        {
            w.Line(Invariant($"ref float plane = ref {At("input", Offset(0, ("p", plane)))};"));
            if (vectors == 0 || path.IsScalar && plane <= Accumulators)
            {
                w.Line("float max = plane;");
                using (w.Block(Invariant($"for (int i = 1; i < {plane}; i++)")))
                {
                    w.Line($"max = KgMathF.Max(max, {At("plane", "i")});");
                }

                w.Line($"{At("output", "p")} = max;");
                return;
            }

            int count = System.Math.Min(Accumulators, vectors);
            w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, count).Select(a => $"a{a} = {path.Load("plane", a * width)}"))};");
            int step = Accumulators * width, blockedEnd = vectors / Accumulators * step;
            if (vectors > Accumulators && blockedEnd > step)
            {
                using (w.Block(Invariant($"for (int i = {step}; i < {blockedEnd}; i += {step})")))
                {
                    for (int a = 0; a < Accumulators; a++)
                    {
                        w.Line($"a{a} = {path.MaxOrNaN($"a{a}", path.Load("plane", a == 0 ? "i" : Invariant($"i + {a * width}")))};");
                    }
                }
            }

            int done = System.Math.Max(count * width, vectors > Accumulators ? blockedEnd : 0);
            for (int i = done, a = 0; i < vectors * width; i += width, a++)
            {
                w.Line($"a{a % Accumulators} = {path.MaxOrNaN($"a{a % Accumulators}", path.Load("plane", i))};");
            }

            if (!path.IsScalar && plane % width != 0)
            {
                w.Line(Invariant($"// The last {plane % width} element(s): a vector that ends at the plane's end."));
                w.Line($"a0 = {path.MaxOrNaN("a0", path.Load("plane", plane - width))};");
            }

            string combined = count switch
            {
                1 => "a0",
                2 => path.MaxOrNaN("a0", "a1"),
                3 => path.MaxOrNaN(path.MaxOrNaN("a0", "a1"), "a2"),
                _ => path.MaxOrNaN(path.MaxOrNaN("a0", "a1"), path.MaxOrNaN("a2", "a3")),
            };
            if (path.IsScalar)
            {
                for (int i = vectors * width; i < plane; i++)
                {
                    combined = $"KgMathF.Max({combined}, {At("plane", Invariant($"{i}"))})";
                }

                w.Line($"{At("output", "p")} = {combined};");
                return;
            }

            w.Line($"{path.Type} m = {combined};");
            (string[] statements, string result) = path.MaxAcross("m");
            foreach (string statement in statements)
            {
                w.Line(statement);
            }

            w.Line($"{At("output", "p")} = {result};");
        }
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
