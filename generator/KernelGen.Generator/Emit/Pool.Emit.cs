using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes <c>[MaxPool2D]</c> and <c>[AvgPool2D]</c> kernels from their plans.</summary>
internal static class PoolEmitter
{
    public static string Emit(PoolPlan plan)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        MethodTarget m = s.Method;
        var spans = new List<SpanArgument> { new(m.Input, g.InputLength, true), new(m.Output, g.OutputLength, true) };
        string name = s.Kind == PoolKind.Max ? "MaxPool2D" : "AvgPool2D";
        string divisor = (s.CeilMode ? ", ceil mode" : "") + (s.Kind == PoolKind.Max ? "" : s.CountIncludePad ? ", padding counted in the divisor" : ", padding not counted in the divisor");
        string summary = Invariant($"{name} {g.Channels}×{g.Height}×{g.Width} → {g.Channels}×{g.OutputHeight}×{g.OutputWidth}: window {g.KernelHeight}×{g.KernelWidth}, stride {g.StrideHeight}×{g.StrideWidth}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight} (top, bottom, left, right){(g.IsDilated ? Invariant($", dilation {g.DilationHeight}×{g.DilationWidth}") : "")}{divisor}.");
        var remarks = new List<string>
        {
            Invariant($"Memory-bound: reads {Number(4L * g.InputLength)} bytes and writes {Number(4L * g.OutputLength)} per sample."),
            Invariant($"Strategy: each output row reads a band of its input rows, copied once per row, padded with {(s.Kind == PoolKind.Max ? "−∞ (padding never wins)" : "zeros")} and split into {plan.Phases} stride phase(s), so every window position is a contiguous load and no loop checks bounds."),
        };
        remarks.AddRange(plan.Paths.Select(p => Invariant($"{p.Path.Name}: {p.BlockVectors} {(p.Path.IsScalar ? "pixel(s)" : $"vector(s) of {p.Path.Width} pixels")} per tile.")));
        return Write(m, summary, remarks, spans, plan.Paths.Select(p => p.Path), w => WriteKernel(w, plan));
    }

    /// <summary>Where window column <paramref name="kx"/> (dilated) sits in a band row: its stride phase's start plus its place in the phase.</summary>
    private static int Column(PoolPlan plan, int kx)
    {
        int column = kx * plan.Spec.DilationWidth;
        return (column % plan.Phases * plan.RowLength) + (column / plan.Phases);
    }

    /// <summary>Whether an average's divisor differs between windows: not counting the padding, or counting it with some windows clipped.</summary>
    private static bool ScalesPerPixel(PoolSpec s) => s.Kind == PoolKind.Average && (!s.CountIncludePad || s.ClippedWindows);

    private static void WriteKernel(CodeWriter w, PoolPlan plan)
    {
        PoolSpec s = plan.Spec;
        var band = new BandLayout(s.Height, s.Width, s.KernelHeight, s.DilationHeight, s.PadLeft, plan.Phases, plan.RowLength,
            s.Kind == PoolKind.Max ? "float.NegativeInfinity" : "0f");
        foreach (PoolPathPlan path in plan.Paths)
        {
            WritePath(w, plan, path, band);
            w.Line();
            foreach (TileShape tile in new[] { path.Main, path.Tail }.OfType<TileShape>())
            {
                WriteTile(w, plan, path, tile);
                w.Line();
            }
        }

        if (ScalesPerPixel(s))
        {
            WriteColumnScale(w, s);
            w.Line();
        }

        BandEmitter.Write(w, band);
    }

    private static void WritePath(CodeWriter w, PoolPlan plan, PoolPathPlan path, BandLayout band)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        bool scales = ScalesPerPixel(s);
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Path.Name}({PathParameters(["input", "output"])})"))
        {
            w.Line(Invariant($"KgSpan bandBuffer = stackalloc float[{plan.ChannelStride}];"));
            w.Line(BandEmitter.Initialise(band, "bandBuffer"));
            w.Line($"ref float band = ref {MemoryMarshal}.GetReference(bandBuffer);");
            if (scales)
            {
                w.Line($"ref float columnScale = ref {MemoryMarshal}.GetReference(ColumnScale);");
            }

            using (w.Block(Invariant($"for (int plane = 0; plane < batch * {g.Channels}; plane++)")))
            {
                w.Line(Invariant($"ref float source = ref {At("input", Offset(0, ("plane", g.Height * g.Width)))};"));
                w.Line(Invariant($"ref float target = ref {At("output", Offset(0, ("plane", g.OutputHeight * g.OutputWidth)))};"));
                using (w.Block(Invariant($"for (int oy = 0; oy < {g.OutputHeight}; oy++)")))
                {
                    w.Line(Invariant($"{BandEmitter.Method}(ref source, ref band, {Plus(Invariant($"(oy * {g.StrideHeight})"), -g.PadTop)}, 1);"));
                    w.Line(Invariant($"ref float o = ref {At("target", Offset(0, ("oy", g.OutputWidth)))};"));
                    string extra = "";
                    if (scales)
                    {
                        w.Line(Invariant($"int top = {Plus(Invariant($"(oy * {g.StrideHeight})"), -g.PadTop)};"));
                        if (s.CountIncludePad)
                        {
                            w.Line("// The window's rows within the padded input (a ceil-mode window is clipped at its end): the divisor is rows × columns.");
                            w.Line(Invariant($"float rowScale = 1f / ({MathClass}.Min({g.Height + g.PadBottom}, top + {g.KernelHeight}) - top);"));
                        }
                        else
                        {
                            w.Line("// The window's rows inside the input: the divisor is rows × columns.");
                            w.Line(Invariant($"float rowScale = 1f / ({MathClass}.Min({g.Height}, top + {g.KernelHeight}) - {MathClass}.Max(0, top));"));
                        }
                        extra = ", rowScale";
                    }

                    if (path.Main is { } main && path.FullPixelsEnd > path.BlockPixels)
                    {
                        using (w.Block(Invariant($"for (int x0 = 0; x0 < {path.FullPixelsEnd}; x0 += {path.BlockPixels})")))
                        {
                            string scaleArgument = scales ? $", ref {At("columnScale", "x0")}" : "";
                            w.Line($"{main.Name(path.Path)}(ref {At("band", "x0")}, ref {At("o", "x0")}{extra}{scaleArgument});");
                        }
                    }
                    else if (path.Main is { } single)
                    {
                        w.Line($"{single.Name(path.Path)}(ref band, ref o{extra}{(scales ? ", ref columnScale" : "")});");
                    }

                    if (path.Tail is { } tail)
                    {
                        string scaleArgument = scales ? $", {RefAt("columnScale", path.FullPixelsEnd)}" : "";
                        w.Line($"{tail.Name(path.Path)}({RefAt("band", path.FullPixelsEnd)}, {RefAt("o", path.FullPixelsEnd)}{extra}{scaleArgument});");
                    }
                }
            }
        }
    }

    private static void WriteTile(CodeWriter w, PoolPlan plan, PoolPathPlan pathPlan, TileShape tile)
    {
        PoolSpec s = plan.Spec;
        SimdPath path = pathPlan.Path;
        bool max = s.Kind == PoolKind.Max;
        string[] acc = Enumerable.Range(0, tile.Vectors).Select(v => Invariant($"a{v}")).ToArray();
        int rowStride = plan.Phases * plan.RowLength;

        w.Line(Invariant($"/// <summary>{tile.Vectors} {(path.IsScalar ? "output pixel(s)" : $"vector(s) of {path.Width} output pixels")}{(tile.PartialLanes > 0 ? Invariant($", the last holding {tile.PartialLanes}") : "")}.</summary>"));
        w.Line(AggressiveOptimization);
        string scaleParameters = ScalesPerPixel(s) ? ", float rowScale, ref float columnScale" : "";
        using (w.Block($"private static void {tile.Name(path)}(ref float band, ref float output{scaleParameters})"))
        {
            string start = max ? path.Broadcast("float.NegativeInfinity") : path.Zero;
            w.Line($"{path.Type} {string.Join(", ", acc.Select(a => $"{a} = {start}"))};");
            w.Line($"{path.Type} x;");

            void Tap(string reference, string offset)
            {
                for (int v = 0; v < tile.Vectors; v++)
                {
                    string at = int.TryParse(offset, out int literal) ? Invariant($"{literal + (v * path.Width)}") : v == 0 ? offset : Invariant($"{offset} + {v * path.Width}");
                    w.Line($"x = {path.Load(reference, at)};");
                    w.Line(max ? $"{acc[v]} = {path.Max(acc[v], "x")};" : $"{acc[v]} += x;");
                }
            }

            switch (pathPlan.Unroll)
            {
                case Unroll.Full:
                    for (int ky = 0; ky < s.KernelHeight; ky++)
                    {
                        for (int kx = 0; kx < s.KernelWidth; kx++)
                        {
                            w.Line(Invariant($"// window ({ky}, {kx})"));
                            Tap("band", Invariant($"{(ky * rowStride) + Column(plan, kx)}"));
                        }
                    }

                    break;
                case Unroll.Rows:
                    using (w.Block(Invariant($"for (int ky = 0; ky < {s.KernelHeight}; ky++)")))
                    {
                        w.Line(Invariant($"ref float row = ref {At("band", Offset(0, ("ky", rowStride)))};"));
                        for (int kx = 0; kx < s.KernelWidth; kx++)
                        {
                            Tap("row", Invariant($"{Column(plan, kx)}"));
                        }
                    }

                    break;
                default:
                    using (w.Block(Invariant($"for (int ky = 0; ky < {s.KernelHeight}; ky++)")))
                    using (w.Block(Invariant($"for (int kx = 0; kx < {s.KernelWidth}; kx++)")))
                    {
                        string column = s.DilationWidth > 1 ? Invariant($"(kx * {s.DilationWidth})") : "kx";
                        w.Line(Invariant($"int offset = (ky * {rowStride}) + ({column} % {plan.Phases} * {plan.RowLength}) + ({column} / {plan.Phases});"));
                        Tap("band", "offset");
                    }

                    break;
            }

            if (s.Kind == PoolKind.Average)
            {
                if (!ScalesPerPixel(s))
                {
                    w.Line(Invariant($"// Divide by the whole window, {s.KernelHeight * s.KernelWidth} positions."));
                    foreach (string a in acc)
                    {
                        w.Line($"{a} *= {path.Broadcast(Invariant($"1f / {s.KernelHeight * s.KernelWidth}f"))};");
                    }
                }
                else
                {
                    w.Line(s.CountIncludePad
                        ? "// Divide by the positions the window covers within the padded input: rows (rowScale) × columns (columnScale)."
                        : "// Divide by the input positions the window covers: rows (rowScale) × columns (columnScale).");
                    for (int v = 0; v < tile.Vectors; v++)
                    {
                        w.Line($"{acc[v]} *= {path.Broadcast("rowScale")} * {path.Load("columnScale", v * path.Width)};");
                    }
                }
            }

            for (int v = 0; v < tile.Vectors; v++)
            {
                int lanes = tile.PartialLanes > 0 && v == tile.Vectors - 1 ? tile.PartialLanes : path.Width;
                if (lanes == path.Width)
                {
                    w.Line(path.Store(acc[v], "output", v * path.Width));
                }
                else
                {
                    foreach (string store in path.PartialStore(acc[v], "output", v * path.Width, lanes))
                    {
                        w.Line(store);
                    }
                }
            }
        }
    }

    /// <summary>One over the number of input columns each output column's window covers, padded to whole vectors.</summary>
    private static void WriteColumnScale(CodeWriter w, PoolSpec s)
    {
        Pool2DGeometry g = s.Geometry;
        var values = new List<string>();
        for (int x = 0; x < ConvPlanner.RoundUp(g.OutputWidth, 16); x++)
        {
            values.Add(x < g.OutputWidth ? Invariant($"1f / {g.DivisorColumns(x, s.CountIncludePad)}") : "0f");
        }

        w.Line(s.CountIncludePad
            ? "/// <summary>For each output column, one over the columns its window covers within the padded input.</summary>"
            : "/// <summary>For each output column, one over the input columns its window covers (the padding is not counted).</summary>");
        w.Line($"private static KgReadOnlySpan ColumnScale => new float[] {{ {string.Join(", ", values)} }};");
    }
}
