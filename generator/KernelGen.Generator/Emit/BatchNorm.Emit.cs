using System.Collections.Generic;
using System.Globalization;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes a <c>[BatchNorm2D]</c> kernel (inference form): per plane, the channel's factor <c>scale / √(variance + ε)</c>
/// once, then <c>(x − mean) · factor + shift</c> a few vectors at a time.
/// </summary>
internal static class BatchNormEmitter
{
    public static string Emit(BatchNormPlan plan)
    {
        BatchNormSpec s = plan.Spec;
        MethodTarget m = s.Method;
        var spans = new List<SpanArgument>
        {
            new(m.Parameters[0], s.Length, true, "input"),
            new(m.Parameters[1], s.Channels, false, "scale"),
            new(m.Parameters[2], s.Channels, false, "shift"),
            new(m.Parameters[3], s.Channels, false, "mean"),
            new(m.Parameters[4], s.Channels, false, "variance"),
            new(m.Output, s.Length, true, "output"),
        };
        string summary = Invariant($"BatchNorm2D {s.Channels}×{s.Height}×{s.Width}, inference: y = (x − mean) / √(variance + {Epsilon(s)}) · scale + shift{(s.Activation.IsNone ? "" : $", then {s.Activation}")}.");
        string[] remarks =
        [
            Invariant($"Memory-bound: reads {Number(4L * s.Length)} bytes and writes as many per sample."),
            Invariant($"Strategy: per plane, the channel's factor scale / √(variance + ε) once; then (x − mean) · factor + shift (one subtraction and one fused multiply-add, so no cancellation between x·factor and the shift), {BatchNormPlan.Unroll} vectors per step, then one vector at a time, then the elements after the last whole vector.")
                + (s.Activation.Vectorised ? "" : Invariant($" {s.Activation} is applied to the stored values by a scalar loop after the vectors.")),
        ];
        return Write(m, summary, remarks, spans, plan.Paths, w =>
        {
            foreach (SimdPath path in plan.Paths)
            {
                WritePath(w, s, path);
                w.Line();
            }
        });
    }

    private static string Epsilon(BatchNormSpec s) => s.Epsilon.ToString("R", CultureInfo.InvariantCulture);

    private static void WritePath(CodeWriter w, BatchNormSpec s, SimdPath path)
    {
        int plane = s.Height * s.Width;
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Name}({PathParameters(["input", "scale", "shift", "mean", "variance", "output"])})"))
        using (w.Block("for (int n = 0; n < batch; n++)"))
        using (s.Channels > 1 ? w.Block(Invariant($"for (int c = 0; c < {s.Channels}; c++)")) : default(CodeWriter.Scope?))
        {
            string c = s.Channels > 1 ? "c" : "0";
            w.Line($"float factor = {At("scale", c)} / KgMathF.Sqrt({At("variance", c)} + {Epsilon(s)}f);");
            w.Line($"float m = {At("mean", c)}, s = {At("shift", c)};");
            string planeStart = Offset(0, ("n", (long)s.Channels * plane), (c, plane));
            w.Line($"ref float x = ref {At("input", planeStart)}, y = ref {At("output", planeStart)};");
            int done = 0;
            if (!path.IsScalar)
            {
                w.Line($"{path.Type} vm = {path.Broadcast("m")}, vf = {path.Broadcast("factor")}, vs = {path.Broadcast("s")};");
                int step = BatchNormPlan.Unroll * path.Width, blocked = plane / step * step;
                if (blocked == step)
                {
                    Vectors(w, s, path, BatchNormPlan.Unroll, "0");
                }
                else if (blocked > 0)
                {
                    using (w.Block(Invariant($"for (int i = 0; i < {blocked}; i += {step})")))
                    {
                        Vectors(w, s, path, BatchNormPlan.Unroll, "i");
                    }
                }

                done = plane / path.Width * path.Width;
                if (done > blocked)
                {
                    w.Line(Invariant($"// The last {(done - blocked) / path.Width} whole vector(s)."));
                    Vectors(w, s, path, (done - blocked) / path.Width, Invariant($"{blocked}"));
                }

                if (done > 0 && !s.Activation.Vectorised)
                {
                    w.Line(Invariant($"// {s.Activation} of the values the vectors stored."));
                    using (w.Block(Invariant($"for (int j = 0; j < {done}; j++)")))
                    {
                        w.Line($"{At("y", "j")} = {ActivationText.Apply(s.Activation, At("y", "j"))};");
                    }
                }
            }

            if (done < plane)
            {
                using (plane - done > 1 ? w.Block(Invariant($"for (int i = {done}; i < {plane}; i++)")) : default(CodeWriter.Scope?))
                {
                    string i = plane - done > 1 ? "i" : Invariant($"{done}");
                    w.Line($"{At("y", i)} = {ActivationText.Apply(s.Activation, $"((({At("x", i)} - m) * factor) + s)")};");
                }
            }
        }
    }

    /// <summary>
    /// <paramref name="vectors"/> vectors from offset <paramref name="start"/> (a variable or a literal): the values
    /// first (independent loads), then their stores, ReLU fused.
    /// </summary>
    private static void Vectors(CodeWriter w, BatchNormSpec s, SimdPath path, int vectors, string start)
    {
        bool literal = int.TryParse(start, out int first);
        string At(int k) => literal ? Invariant($"{first + (k * path.Width)}") : k == 0 ? start : Invariant($"{start} + {k * path.Width}");

        // Outside a loop, a block of its own keeps the names v0… apart from the next group's.
        using var scope = literal ? w.Block("") : default(CodeWriter.Scope?);
        VectorGroup.Write(w, path, s.Activation, "v", vectors, k => path.MultiplyAdd($"{path.Load("x", At(k))} - vm", "vf", "vs"), "y", At);
    }
}
