using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes an <c>[Add]</c> kernel: <c>output = activation(a + b)</c> over the whole batch, a few vectors per step.</summary>
internal static class AddEmitter
{
    public static string Emit(AddPlan plan)
    {
        AddSpec s = plan.Spec;
        MethodTarget m = s.Method;
        var spans = new List<SpanArgument>
        {
            new(m.Parameters[0], s.Length, true, "a"),
            new(m.Parameters[1], s.Length, true, "b"),
            new(m.Output, s.Length, true),
        };
        bool vectorActivation = s.Activation.Vectorised;
        string summary = Invariant($"Add {s.Channels}×{s.Height}×{s.Width}: output = {(s.Activation.IsNone ? "a + b" : $"{s.Activation}(a + b)")}, element by element.");
        string[] remarks =
        [
            Invariant($"Memory-bound: reads {Number(8L * s.Length)} bytes and writes {Number(4L * s.Length)} per sample."),
            Invariant($"Strategy: all batch × {s.Length} elements as one row: {AddPlan.Unroll} vectors per step (independent loads and stores), then one vector at a time, then the elements after the last whole vector.")
                + (vectorActivation ? "" : Invariant($" {s.Activation} is applied to the stored sums by a scalar loop after the vectors.")),
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

    /// <summary>
    /// A loop that adds <paramref name="vectors"/> vectors per step: the step's sums first (independent loads), then
    /// their stores, ReLU fused.
    /// </summary>
    private static void Step(CodeWriter w, SimdPath path, ActivationSpec activation, int vectors)
    {
        int step = vectors * path.Width;
        using (w.Block(Invariant($"for (; i <= length - {step}; i += {step})")))
        {
            w.Line($"ref float x = ref {At("a", "i")}, y = ref {At("b", "i")}, z = ref {At("output", "i")};");
            VectorGroup.Write(w, path, activation, "s", vectors,
                k => $"{path.Load("x", k * path.Width)} + {path.Load("y", k * path.Width)}", "z", k => Invariant($"{k * path.Width}"));
        }
    }

    private static void WritePath(CodeWriter w, AddSpec s, SimdPath path)
    {
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Name}({PathParameters(["a", "b", "output"])})"))
        {
            w.Line(Invariant($"int length = batch * {s.Length};"));
            w.Line("int i = 0;");
            if (!path.IsScalar)
            {
                bool fused = s.Activation.Vectorised;
                Step(w, path, s.Activation, AddPlan.Unroll);
                Step(w, path, s.Activation, 1);
                if (!fused)
                {
                    w.Line(Invariant($"// {s.Activation} of the sums the vectors stored."));
                    using (w.Block("for (int j = 0; j < i; j++)"))
                    {
                        w.Line($"{At("output", "j")} = {ActivationText.Apply(s.Activation, At("output", "j"))};");
                    }
                }
            }

            using (w.Block("for (; i < length; i++)"))
            {
                w.Line($"{At("output", "i")} = {ActivationText.Apply(s.Activation, $"({At("a", "i")} + {At("b", "i")})")};");
            }
        }
    }
}
