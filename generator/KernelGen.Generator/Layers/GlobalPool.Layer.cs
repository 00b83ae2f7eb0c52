using System.Collections.Generic;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[GlobalAvgPool2D]</c> or <c>[GlobalMaxPool2D]</c> in a network. Forward: its kernel file (<see cref="GlobalPoolPlan"/>).
/// Backward: each channel's gradient spread over its plane (average) or given to the plane's first maximum (max).
/// </summary>
internal sealed class GlobalPoolLayer : LayerKind
{
    public static readonly GlobalPoolLayer Instance = new();

    public override string Describe(NetworkLayer layer) =>
        layer.Spec is GlobalPoolSpec { Kind: PoolKind.Max } ? "global max pool" : "global average pool";

    public override bool FlatOutput => true;

    public override IPlan Plan(ISpec spec, bool legacyIntrinsics) => GlobalPoolPlan.Plan((GlobalPoolSpec)spec, legacyIntrinsics);

    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) =>
        $"{layer.Spec.Method.Name}({c.Read(layer.Inputs[0])}, {NetworkCalls.Written(layer, target)}, batch);";

    /// <summary>A global max pool finds each plane's maximum again in the input; the average needs only the gradient.</summary>
    protected override string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput) => layer.Spec is GlobalPoolSpec { Kind: PoolKind.Max }
        ? $"{c.Kernels}.{layer.Name}InputGradient({c.Start(c.Tensor(layer.Inputs[0]))}, {c.Start($"buffers.{layer.Name}Gradient")}, {gradInput}, batch);"
        : base.InputGradient(c, layer, gradInput);

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer)
    {
        w.Line();
        new Kernels(w, paths).GlobalPoolInputGradient(layer.Name, (GlobalPoolSpec)layer.Spec);
    }

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        public void GlobalPoolInputGradient(string layer, GlobalPoolSpec p)
        {
            if (p.Kind == PoolKind.Max)
            {
                GlobalMaxPoolInputGradient(layer, p);
                return;
            }

            int plane = p.Height * p.Width;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each channel's output gradient divided by {plane}, spread over its plane."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float gradInput, int batch)"))
            using (w.Block(Invariant($"for (int channel = 0; channel < batch * {p.Channels}; channel++)")))
            {
                w.Line(Invariant($"float share = {At("gradOutput", "channel")} / {plane};"));
                w.Line(Invariant($"KgMarshal.CreateSpan(ref {At("gradInput", Invariant($"channel * {plane}"))}, {plane}).Fill(share);"));
            }
        }

        /// <summary>Each channel's output gradient to the first largest element of its plane (a NaN wins, as in the forward pass); zeros elsewhere.</summary>
        private void GlobalMaxPoolInputGradient(string layer, GlobalPoolSpec p)
        {
            int plane = p.Height * p.Width;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each channel's output gradient routed to the first largest element of its {p.Height}×{p.Width} plane (a NaN wins, as in the forward pass)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float input, ref float gradOutput, ref float gradInput, int batch)"))
            {
                Clear("gradInput", Invariant($"batch * {p.Channels * plane}"));
                using (w.Block(Invariant($"for (int channel = 0; channel < batch * {p.Channels}; channel++)")))
                {
                    w.Line(Invariant($"ref float values = ref {At("input", Invariant($"channel * {plane}"))};"));
                    w.Line("int best = 0;");
                    w.Line("float largest = values;");
                    using (w.Block(Invariant($"for (int i = 1; i < {plane} && !float.IsNaN(largest); i++)")))
                    {
                        w.Line($"float value = {At("values", "i")};");
                        using (w.Block("if (value > largest || float.IsNaN(value))"))
                        {
                            w.Line("largest = value;");
                            w.Line("best = i;");
                        }
                    }

                    w.Line(Invariant($"{At("gradInput", Invariant($"(channel * {plane}) + best"))} = {At("gradOutput", "channel")};"));
                }
            }
        }
    }
}
