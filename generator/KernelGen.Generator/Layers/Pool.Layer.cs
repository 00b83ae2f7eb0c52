using System.Collections.Generic;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[MaxPool2D]</c> or <c>[AvgPool2D]</c> in a network. Forward: its kernel file (<see cref="PoolPlanner"/>). Backward:
/// each output's gradient routed to the input that won its window (max) or spread over the window (average).
/// </summary>
internal sealed class PoolLayer : LayerKind
{
    public static readonly PoolLayer Instance = new();

    public override string Describe(NetworkLayer layer) => layer.Spec is PoolSpec p
        ? Invariant($"{p.KernelHeight}×{p.KernelWidth} {(p.Kind == PoolKind.Max ? "max" : "average")} pool")
        : "pool";

    public override IPlan Plan(ISpec spec, bool legacyIntrinsics) => PoolPlanner.Plan((PoolSpec)spec, legacyIntrinsics);

    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) =>
        $"{layer.Spec.Method.Name}({c.Read(layer.Inputs[0])}, {NetworkCalls.Written(layer, target)}, batch{c.Threads});";

    /// <summary>A max pool's routing compares the input with the output it gave; an average pool's needs neither.</summary>
    protected override string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput) => layer.Spec is PoolSpec { Kind: PoolKind.Max }
        ? $"{c.Kernels}.{layer.Name}InputGradient({c.Start(c.Tensor(layer.Inputs[0]))}, {c.Start(c.Output(layer))}, {c.Start($"buffers.{layer.Name}Gradient")}, {gradInput}, batch);"
        : base.InputGradient(c, layer, gradInput);

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer)
    {
        w.Line();
        new Kernels(w, paths).PoolInputGradient(layer.Name, (PoolSpec)layer.Spec);
    }

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        /// <summary>Max pool: each output gradient goes to the first largest input of its window; average pool: shared equally.</summary>
        public void PoolInputGradient(string layer, PoolSpec p)
        {
            Pool2DGeometry g = p.Geometry;
            bool max = p.Kind == PoolKind.Max;
            Doc(w, max
                ? Invariant($"The gradient of <c>{layer}</c>'s input: each output gradient routed to the first largest input of its {p.KernelHeight}×{p.KernelWidth} window (a NaN wins, as in the forward pass).")
                : Invariant($"The gradient of <c>{layer}</c>'s input: each output gradient shared equally by the inputs of its {p.KernelHeight}×{p.KernelWidth} window, divided as in the forward pass."));
            w.Line(AggressiveOptimization);
            using (w.Block(max
                ? $"public static void {layer}InputGradient(ref float input, ref float output, ref float gradOutput, ref float gradInput, int batch)"
                : $"public static void {layer}InputGradient(ref float gradOutput, ref float gradInput, int batch)"))
            {
                // Windows that tile the plane exactly (no padding, stride = window) write every input gradient, the
                // largest's and zeros, so nothing is cleared first; otherwise the gradients are added into a cleared plane.
                bool tiles = max && !g.IsDilated && p.PadTop == 0 && p.PadBottom == 0 && p.PadLeft == 0 && p.PadRight == 0 && p.StrideHeight == p.KernelHeight && p.StrideWidth == p.KernelWidth
                    && p.Height % p.KernelHeight == 0 && p.Width % p.KernelWidth == 0 && p.KernelHeight * p.KernelWidth <= 16;
                bool pairs = tiles && p.KernelHeight == 2 && p.KernelWidth == 2;
                if (!tiles)
                {
                    Clear("gradInput", Invariant($"batch * {g.InputLength}"));
                }

                using (w.Block(Invariant($"for (int plane = 0; plane < batch * {p.Channels}; plane++)")))
                {
                    if (max)
                    {
                        w.Line(Invariant($"ref float source = ref {At("input", Invariant($"plane * {p.Height * p.Width}"))};"));
                    }

                    w.Line(Invariant($"ref float dx = ref {At("gradInput", Invariant($"plane * {p.Height * p.Width}"))};"));
                    w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"plane * {g.OutputHeight * g.OutputWidth}"))};"));
                    if (max)
                    {
                        w.Line(Invariant($"ref float pooled = ref {At("output", Invariant($"plane * {g.OutputHeight * g.OutputWidth}"))};"));
                    }

                    using (w.Block(Invariant($"for (int y = 0; y < {g.OutputHeight}; y++)")))
                    {
                        w.Line(Invariant($"int top = {Plus(Times("y", p.StrideHeight), -p.PadTop)};"));
                        if (!g.IsDilated)
                        {
                            w.Line(Invariant($"int y0 = KgMath.Max(top, 0), y1 = KgMath.Min(top + {p.KernelHeight}, {p.Height});"));
                        }

                        w.Line("int x = 0;");
                        if (pairs)
                        {
                            PairRouting(p, g);
                        }

                        using (w.Block(Invariant($"for (; x < {g.OutputWidth}; x++)")))
                        {
                            w.Line(Invariant($"int left = {Plus(Times("x", p.StrideWidth), -p.PadLeft)};"));
                            if (!g.IsDilated)
                            {
                                w.Line(Invariant($"int x0 = KgMath.Max(left, 0), x1 = KgMath.Min(left + {p.KernelWidth}, {p.Width});"));
                            }

                            w.Line(Invariant($"float gradient = {At("dy", Invariant($"(y * {g.OutputWidth}) + x"))};"));
                            if (tiles)
                            {
                                // No padding: every window is whole, so its taps are unrolled at constant offsets.
                                w.Line(Invariant($"int origin = (top * {p.Width}) + left, best = origin;"));
                                w.Line($"float largest = {At("source", "best")};");
                                for (int r = 0; r < p.KernelHeight; r++)
                                {
                                    for (int q = 0; q < p.KernelWidth; q++)
                                    {
                                        if (r == 0 && q == 0)
                                        {
                                            continue;
                                        }

                                        // Without branches (the comparisons are data, not patterns): take a value larger than the
                                        // largest so far, or a NaN, unless the largest so far is already a NaN.
                                        int offset = (r * p.Width) + q;
                                        w.Line(Invariant($"float value{offset} = {At("source", Invariant($"origin + {offset}"))};"));
                                        w.Line(Invariant($"bool take{offset} = !(value{offset} <= largest) & !float.IsNaN(largest);"));
                                        w.Line(Invariant($"int mask{offset} = -{Unsafe}.As<bool, byte>(ref take{offset});"));
                                        w.Line(Invariant($"best = (best & ~mask{offset}) | ((origin + {offset}) & mask{offset});"));
                                        w.Line(Invariant($"largest = KgMathF.Max(largest, value{offset});"));
                                    }
                                }

                                for (int r = 0; r < p.KernelHeight; r++)
                                {
                                    for (int q = 0; q < p.KernelWidth; q++)
                                    {
                                        w.Line(Invariant($"{At("dx", Invariant($"origin + {(r * p.Width) + q}"))} = 0f;"));
                                    }
                                }

                                w.Line($"{At("dx", "best")} = gradient;");
                            }
                            else if (max && g.IsDilated)
                            {
                                // Dilated taps, DilationHeight rows and DilationWidth columns apart: the first on the input starts
                                // the search, and the first largest (or the first NaN) wins, as in the forward pass.
                                w.Line("int best = -1;");
                                w.Line("float largest = 0f;");
                                using (w.Block(Invariant($"for (int i = 0; i < {p.KernelHeight}; i++)")))
                                {
                                    w.Line(Invariant($"int r = top + (i * {p.DilationHeight});"));
                                    using (w.Block(Invariant($"if ((uint)r >= {p.Height}u)")))
                                    {
                                        w.Line("continue;");
                                    }

                                    using (w.Block(Invariant($"for (int j = 0; j < {p.KernelWidth}; j++)")))
                                    {
                                        w.Line(Invariant($"int s = left + (j * {p.DilationWidth});"));
                                        w.Line(Invariant($"float value = (uint)s < {p.Width}u ? {At("source", Invariant($"(r * {p.Width}) + s"))} : float.NegativeInfinity;"));
                                        using (w.Block(Invariant($"if ((uint)s < {p.Width}u && (best < 0 || (!float.IsNaN(largest) && (value > largest || float.IsNaN(value)))))")))
                                        {
                                            w.Line("largest = value;");
                                            w.Line(Invariant($"best = (r * {p.Width}) + s;"));
                                        }
                                    }
                                }

                                w.Line($"{At("dx", "best")} += gradient;");
                            }
                            else if (max)
                            {
                                w.Line(Invariant($"int best = (y0 * {p.Width}) + x0;"));
                                w.Line($"float largest = {At("source", "best")};");
                                using (w.Block("for (int r = y0; r < y1 && !float.IsNaN(largest); r++)"))
                                using (w.Block("for (int s = x0; s < x1; s++)"))
                                {
                                    w.Line(Invariant($"float value = {At("source", Invariant($"(r * {p.Width}) + s"))};"));
                                    using (w.Block("if (value > largest || float.IsNaN(value))"))
                                    {
                                        w.Line("largest = value;");
                                        w.Line(Invariant($"best = (r * {p.Width}) + s;"));
                                        using (w.Block("if (float.IsNaN(value))"))
                                        {
                                            w.Line("break;");
                                        }
                                    }
                                }

                                w.Line($"{At("dx", "best")} += gradient;");
                            }
                            else
                            {
                                w.Line(p.ClippedWindows
                                    ? Invariant($"float share = gradient / (({MathClass}.Min(top + {p.KernelHeight}, {p.Height + p.PadBottom}) - top) * ({MathClass}.Min(left + {p.KernelWidth}, {p.Width + p.PadRight}) - left));")
                                    : p.CountIncludePad
                                    ? Invariant($"float share = gradient / {p.KernelHeight * p.KernelWidth};")
                                    : "float share = gradient / ((y1 - y0) * (x1 - x0));");
                                using (w.Block("for (int r = y0; r < y1; r++)"))
                                using (w.Block("for (int s = x0; s < x1; s++)"))
                                {
                                    w.Line($"{At("dx", Invariant($"(r * {p.Width}) + s"))} += share;");
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// 2×2 windows with stride 2, a vector of windows (two vectors of columns, two rows) at a time: each input is
        /// compared with its window's maximum (the pool's output, spread to both columns by a lane shuffle), and only the
        /// first match in the window's order — top left, top right, bottom left, bottom right — gets the gradient; a NaN
        /// input matches, as the forward pass lets a NaN win. Every input of those windows is written, so nothing is cleared.
        /// </summary>
        private void PairRouting(PoolSpec p, Pool2DGeometry g)
        {
            VectorPaths(g.OutputWidth, v =>
            {
                int width = v.Width, half = width / 2;
                string ints = v.IntType, V = v.Static;
                w.Line(Invariant($"ref float row0 = ref {At("source", Invariant($"top * {p.Width}"))}, row1 = ref {At("row0", Invariant($"{p.Width}"))};"));
                w.Line(Invariant($"ref float out0 = ref {At("dx", Invariant($"top * {p.Width}"))}, out1 = ref {At("out0", Invariant($"{p.Width}"))};"));
                w.Line(Invariant($"ref float largest = ref {At("pooled", Invariant($"y * {g.OutputWidth}"))}, gradients = ref {At("dy", Invariant($"y * {g.OutputWidth}"))};"));
                w.Line(Invariant($"{ints} low = {v.Constant(l => Invariant($"{l / 2}"))}, high = {v.Constant(l => Invariant($"{half + (l / 2)}"))};"));
                w.Line(Invariant($"{ints} evens = {v.Constant(l => Invariant($"{l & ~1}"))}, odds = {v.Constant(l => Invariant($"{l | 1}"))};"));
                w.Line(Invariant($"{ints} oddLanes = {v.Constant(l => l % 2 == 0 ? "0" : "-1")};"));
                using (w.Block(Invariant($"for (; x <= {g.OutputWidth - width}; x += {width})")))
                {
                    w.Line($"{ints} m = {V}.AsInt32({v.Load("largest", "x")}), d = {V}.AsInt32({v.Load("gradients", "x")});");
                    foreach ((string indices, string offset, string windows) in new[]
                    {
                        ("low", "2 * x", Invariant($"x … x + {half - 1}")),
                        ("high", Invariant($"(2 * x) + {width}"), Invariant($"x + {half} … x + {width - 1}")),
                    })
                    {
                        w.Line($"// Windows {windows}: columns {offset} and on.");
                        using (w.Block(""))
                        {
                            w.Line($"{v.Type} max = {V}.AsSingle({V}.Shuffle(m, {indices}));");
                            w.Line($"{ints} gradient = {V}.Shuffle(d, {indices});");
                            w.Line($"{v.Type} a = {v.Load("row0", offset)}, b = {v.Load("row1", offset)};");
                            w.Line($"{ints} topMatch = {V}.AsInt32({V}.Equals(a, max) | ~{V}.Equals(a, a));");
                            w.Line($"{ints} topFirst = topMatch & ~({V}.Shuffle(topMatch, evens) & oddLanes);");
                            w.Line($"{ints} topAny = {V}.Shuffle(topFirst, evens) | {V}.Shuffle(topFirst, odds);");
                            w.Line($"{ints} bottomMatch = {V}.AsInt32({V}.Equals(b, max) | ~{V}.Equals(b, b));");
                            w.Line($"{ints} bottomFirst = bottomMatch & ~({V}.Shuffle(bottomMatch, evens) & oddLanes) & ~topAny;");
                            w.Line(v.Store($"{V}.AsSingle(gradient & topFirst)", "out0", offset));
                            w.Line(v.Store($"{V}.AsSingle(gradient & bottomFirst)", "out1", offset));
                        }
                    }
                }
            });
        }
    }
}
