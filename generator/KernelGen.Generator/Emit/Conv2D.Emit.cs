using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes a <c>[Conv2D]</c> kernel from its plan.</summary>
internal static class ConvEmitter
{
    public static string Emit(ConvPlan plan)
    {
        ConvSpec s = plan.Spec;
        Conv2DGeometry g = s.Geometry;
        MethodTarget m = s.Method;
        var spans = new List<SpanArgument>
        {
            new(m.Parameters[0], g.InputLength, true),
            new(m.Parameters[1], g.WeightLength, false),
        };
        if (m.HasBias)
        {
            spans.Add(new SpanArgument(m.Parameters[2], g.OutChannels, false));
        }

        spans.Add(new SpanArgument(m.Output, g.OutputLength, true));

        string summary = Invariant($"Conv2D {g.InChannels}×{g.Height}×{g.Width} → {g.OutChannels}×{g.OutputHeight}×{g.OutputWidth}: kernel {g.KernelHeight}×{g.KernelWidth}, stride {g.StrideHeight}×{g.StrideWidth}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight} (top, bottom, left, right), dilation {g.DilationHeight}×{g.DilationWidth}, groups {g.Groups}{(s.FlipKernel ? ", kernel flipped" : "")}, {(m.HasBias ? "bias" : "no bias")}, activation {s.Activation}.");
        var remarks = new List<string>
        {
            Invariant($"{Number(g.Flops)} FLOPs per sample (a multiply-add counts 2). Input NCHW, weights OIHW [{g.OutChannels}, {g.InChannelsPerGroup}, {g.KernelHeight}, {g.KernelWidth}], output NCHW."),
            Invariant($"Strategy: output rows read a band of input rows copied with its padding ({(plan.WholePlane ? "every input channel's padded plane, once per sample" : "the rows one output row needs, again for each output row")}) and split into {plan.Phases} stride phase(s), so every kernel tap is a contiguous load and no loop checks bounds. Register tiles of output channels × output pixels accumulate over {(plan.Chunked ? $"chunks of {plan.ChunkChannels} input channels" : "all input channels")} and the whole window, then store once with bias and activation."),
        };
        remarks.AddRange(plan.Paths.Select(p => Invariant($"{p.Path.Name}: tiles of {p.BlockChannels} channel(s) × {p.BlockVectors} {(p.Path.IsScalar ? "pixel(s)" : $"vector(s) of {p.Path.Width} pixels")} ({p.BlockChannels * p.BlockVectors} accumulators), window {Describe(p.Unroll)}.")));

        return Write(m, summary, remarks, spans, plan.Paths.Select(p => p.Path), w => WriteKernel(w, plan));
    }

    private static string Describe(Unroll unroll) => unroll switch
    {
        Unroll.Full => "fully unrolled",
        Unroll.Rows => "unrolled per kernel row",
        _ => "looped",
    };

    private static void WriteKernel(CodeWriter w, ConvPlan plan)
    {
        ConvSpec s = plan.Spec;
        var band = new BandLayout(s.Height, s.Width, plan.BandRows, plan.WholePlane ? 1 : s.DilationHeight, s.PadLeft, plan.Phases, plan.RowLength, "0f");
        foreach (ConvPathPlan path in plan.Paths)
        {
            WritePath(w, plan, path, band);
            w.Line();
            foreach (TileShape tile in new[] { path.Main, path.Tail, path.RemainderMain, path.RemainderTail }.OfType<TileShape>().Distinct())
            {
                WriteTile(w, plan, path, tile);
                w.Line();
            }
        }

        BandEmitter.Write(w, band);
    }

    private static void WritePath(CodeWriter w, ConvPlan plan, ConvPathPlan path, BandLayout band)
    {
        ConvSpec s = plan.Spec;
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias;
        int inPerGroup = g.InChannelsPerGroup, outPerGroup = g.OutChannelsPerGroup;
        int planeIn = g.Height * g.Width, planeOut = g.OutputHeight * g.OutputWidth;
        int taps = g.KernelHeight * g.KernelWidth, weightsPerChannel = inPerGroup * taps;

        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Path.Name}({PathParameters(bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"])})"))
        {
            w.Line(Invariant($"KgSpan bandBuffer = stackalloc float[{plan.ChunkChannels * band.ChannelStride}];"));
            w.Line(BandEmitter.Initialise(band, "bandBuffer"));
            w.Line($"ref float band = ref {MemoryMarshal}.GetReference(bandBuffer);");
            bool grouped = g.Groups > 1;
            using (w.Block("for (int n = 0; n < batch; n++)"))
            using (grouped ? w.Block(Invariant($"for (int group = 0; group < {g.Groups}; group++)")) : default(CodeWriter.Scope?))
            {
                string group = grouped ? "group" : "0";
                w.Line(Invariant($"ref float inputGroup = ref {At("input", Offset(0, ("n", g.InputLength), (group, inPerGroup * planeIn)))};"));
                w.Line(Invariant($"ref float outputGroup = ref {At("output", Offset(0, ("n", g.OutputLength), (group, outPerGroup * planeOut)))};"));
                string weightsGroup = "weights", biasGroup = "bias";
                if (grouped)
                {
                    weightsGroup = "weightsGroup";
                    w.Line(Invariant($"ref float weightsGroup = ref {At("weights", Offset(0, ("group", outPerGroup * weightsPerChannel)))};"));
                    if (bias)
                    {
                        biasGroup = "biasGroup";
                        w.Line(Invariant($"ref float biasGroup = ref {At("bias", Offset(0, ("group", outPerGroup)))};"));
                    }
                }

                if (plan.WholePlane)
                {
                    w.Line(Invariant($"// The padded planes of all {inPerGroup} input channel(s) fit the band: copy them once; output row oy reads from band row oy × {g.StrideHeight}."));
                    w.Line(Invariant($"{BandEmitter.Method}(ref inputGroup, ref band, {-g.PadTop}, {inPerGroup});"));
                }

                using (w.Block(Invariant($"for (int oy = 0; oy < {g.OutputHeight}; oy++)")))
                using (plan.WholePlane || !plan.Chunked ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int c0 = 0; c0 < {inPerGroup}; c0 += {plan.ChunkChannels})")))
                {
                    string? c0 = plan.Chunked ? "c0" : null;
                    if (plan.WholePlane)
                    {
                        w.Line(Invariant($"ref float rows = ref {At("band", Offset(0, ("oy", g.StrideHeight * plan.RowStride)))};"));
                    }
                    else if (plan.Chunked)
                    {
                        w.Line(Invariant($"int channels = {MathClass}.Min({plan.ChunkChannels}, {inPerGroup} - c0);"));
                        w.Line(Invariant($"bool first = c0 == 0, last = c0 + {plan.ChunkChannels} >= {inPerGroup};"));
                        w.Line(Invariant($"{BandEmitter.Method}(ref {At("inputGroup", Offset(0, ("c0", planeIn)))}, ref band, {Plus(Invariant($"(oy * {g.StrideHeight})"), -g.PadTop)}, channels);"));
                        w.Line("ref float rows = ref band;");
                    }
                    else
                    {
                        w.Line("// One chunk holds every input channel: each tile starts from the bias and ends with the activation.");
                        w.Line(Invariant($"{BandEmitter.Method}(ref inputGroup, ref band, {Plus(Invariant($"(oy * {g.StrideHeight})"), -g.PadTop)}, {inPerGroup});"));
                        w.Line("ref float rows = ref band;");
                    }

                    var names = new TileCallNames(weightsGroup, biasGroup, c0, plan.Chunked ? "channels" : Invariant($"{inPerGroup}"));
                    int fullChannels = outPerGroup - (outPerGroup % path.BlockChannels);
                    if (fullChannels > path.BlockChannels)
                    {
                        w.Line(Invariant($"// output channels in blocks of {path.BlockChannels}"));
                        using (w.Block(Invariant($"for (int ob = 0; ob < {fullChannels}; ob += {path.BlockChannels})")))
                        {
                            WriteTileCalls(w, plan, path, path.Main, path.Tail, "ob", names);
                        }
                    }
                    else if (fullChannels > 0)
                    {
                        w.Line(Invariant($"// output channels 0..{fullChannels - 1}"));
                        using (w.Block(""))
                        {
                            WriteTileCalls(w, plan, path, path.Main, path.Tail, "0", names);
                        }
                    }

                    if (path.RemainderMain is not null || path.RemainderTail is not null)
                    {
                        w.Line(Invariant($"// the last {outPerGroup - fullChannels} output channel(s)"));
                        using (w.Block(""))
                        {
                            WriteTileCalls(w, plan, path, path.RemainderMain, path.RemainderTail, Invariant($"{fullChannels}"), names);
                        }
                    }
                }
            }
        }
    }

    /// <summary>What a tile call reads: the group's weights and bias, the first input channel of the chunk (null: 0), the chunk's channel count.</summary>
    private sealed record TileCallNames(string Weights, string Bias, string? FirstChannel, string Channels);

    private static void WriteTileCalls(CodeWriter w, ConvPlan plan, ConvPathPlan path, TileShape? main, TileShape? tail, string block, TileCallNames names)
    {
        Conv2DGeometry g = plan.Spec.Geometry;
        int planeOut = g.OutputHeight * g.OutputWidth;
        int taps = g.KernelHeight * g.KernelWidth;
        bool bias = plan.Spec.Method.HasBias;
        string weights = At(names.Weights, Offset(0, (block, g.InChannelsPerGroup * taps), (names.FirstChannel, taps)));
        w.Line(Invariant($"ref float o = ref {At("outputGroup", Offset(0, (block, planeOut), ("oy", g.OutputWidth)))};"));
        string biasArgument = bias ? $"ref {At(names.Bias, block)}, " : "";
        string flags = plan.Chunked ? ", first, last" : "";
        if (main is not null)
        {
            if (path.FullPixelsEnd > path.BlockPixels)
            {
                w.Line(Invariant($"// pixels 0..{path.FullPixelsEnd - 1} in blocks of {path.BlockPixels}"));
                using (w.Block(Invariant($"for (int x0 = 0; x0 < {path.FullPixelsEnd}; x0 += {path.BlockPixels})")))
                {
                    w.Line($"{main.Name(path.Path)}(ref {At("rows", "x0")}, ref {weights}, {biasArgument}ref {At("o", "x0")}, {names.Channels}{flags});");
                }
            }
            else
            {
                w.Line(Invariant($"// pixels 0..{path.FullPixelsEnd - 1}"));
                w.Line($"{main.Name(path.Path)}(ref rows, ref {weights}, {biasArgument}ref o, {names.Channels}{flags});");
            }
        }

        if (tail is not null)
        {
            w.Line(Invariant($"// pixels {path.FullPixelsEnd}..{g.OutputWidth - 1}"));
            w.Line(Invariant($"{tail.Name(path.Path)}({RefAt("rows", path.FullPixelsEnd)}, ref {weights}, {biasArgument}{RefAt("o", path.FullPixelsEnd)}, {names.Channels}{flags});"));
        }
    }

    private static void WriteTile(CodeWriter w, ConvPlan plan, ConvPathPlan pathPlan, TileShape tile)
    {
        ConvSpec s = plan.Spec;
        Conv2DGeometry g = s.Geometry;
        SimdPath path = pathPlan.Path;
        int planeOut = g.OutputHeight * g.OutputWidth;
        int taps = g.KernelHeight * g.KernelWidth;
        int weightsPerChannel = g.InChannelsPerGroup * taps;
        bool bias = s.Method.HasBias;
        string[] acc = Accumulators(tile);

        w.Line(Invariant($"/// <summary>{tile.Channels} output channel(s) × {Pixels(tile, path)}, accumulated over <paramref name=\"channels\"/> input channels and the {g.KernelHeight}×{g.KernelWidth} window.</summary>"));
        w.Line(AggressiveOptimization);
        string parameters = $"ref float band, ref float weights, {(bias ? "ref float bias, " : "")}ref float output, int channels{(plan.Chunked ? ", bool first, bool last" : "")}";
        using (w.Block($"private static void {tile.Name(path)}({parameters})"))
        {
            w.Line($"{path.Type} {string.Join(", ", acc)};");
            void Start()
            {
                for (int j = 0; j < tile.Channels; j++)
                {
                    string start = bias ? path.Broadcast(At("bias", Invariant($"{j}"))) : path.Zero;
                    w.Line($"{acc[j * tile.Vectors]} = {start};");
                    for (int v = 1; v < tile.Vectors; v++)
                    {
                        w.Line($"{acc[(j * tile.Vectors) + v]} = {acc[j * tile.Vectors]};");
                    }
                }
            }

            if (plan.Chunked)
            {
                using (w.Block("if (first)"))
                {
                    Start();
                }

                using (w.Block("else"))
                {
                    ForEachVector(tile, path, (j, v, offset, lanes) =>
                        w.Line($"{acc[(j * tile.Vectors) + v]} = {(lanes < path.Width ? path.PartialLoad("output", (j * planeOut) + offset, lanes) : path.Load("output", (j * planeOut) + offset))};"));
                }
            }
            else
            {
                w.Line(bias ? "// Start from the bias." : "// Start from zero (no bias).");
                Start();
            }

            w.Line();
            if (tile.InputsFirst)
            {
                w.Line("// The tap's input vectors and one broadcast weight, reused by every tap (few locals keep the JIT tracking all of them).");
                w.Line($"{path.Type} w, {string.Join(", ", Enumerable.Range(0, tile.Vectors).Select(v => Invariant($"x{v}")))};");
            }
            else
            {
                w.Line("// One input vector and each channel's broadcast weight, reused by every tap (few locals keep the JIT tracking all of them).");
                w.Line($"{path.Type} x, {string.Join(", ", Enumerable.Range(0, tile.Channels).Select(j => Invariant($"w{j}")))};");
            }

            using (w.Block("for (int c = 0; c < channels; c++)"))
            {
                WriteTaps(w, plan, pathPlan, tile, acc);
                w.Line(Invariant($"band = ref {Unsafe}.Add(ref band, {plan.ChannelStride});"));
                w.Line(Invariant($"weights = ref {Unsafe}.Add(ref weights, {taps});"));
            }

            w.Line();
            if (s.Activation.Vectorised && !s.Activation.IsNone)
            {
                string name = s.Activation.Kind == ActivationKind.Relu ? "ReLU" : s.Activation.ToString();
                w.Line(plan.Chunked ? $"// After the last chunk: {name}." : $"// {name}, fused into the store.");
                using (plan.Chunked ? w.Block("if (last)") : default(CodeWriter.Scope?))
                {
                    foreach (string a in acc)
                    {
                        w.Line($"{a} = {ActivationText.Apply(path, s.Activation, a)};");
                    }
                }
            }

            w.Line("// Store once.");
            ForEachVector(tile, path, (j, v, offset, lanes) =>
            {
                string a = acc[(j * tile.Vectors) + v];
                int at = (j * planeOut) + offset;
                if (lanes == path.Width)
                {
                    w.Line(path.Store(a, "output", at));
                }
                else
                {
                    foreach (string store in path.PartialStore(a, "output", at, lanes))
                    {
                        w.Line(store);
                    }
                }
            });

            if (!s.Activation.Vectorised)
            {
                int pixels = ((tile.Vectors - 1) * path.Width) + (tile.PartialLanes > 0 ? tile.PartialLanes : path.Width);
                string function = ActivationText.Apply(s.Activation, "e");
                w.Line(Invariant($"// {s.Activation}, applied to the stored values{(plan.Chunked ? " after the last chunk" : "")}."));
                using (plan.Chunked ? w.Block("if (last)") : default(CodeWriter.Scope?))
                using (tile.Channels > 1 ? w.Block(Invariant($"for (int j = 0; j < {tile.Channels}; j++)")) : default(CodeWriter.Scope?))
                using (pixels > 1 ? w.Block(Invariant($"for (int k = 0; k < {pixels}; k++)")) : default(CodeWriter.Scope?))
                {
                    w.Line(Invariant($"ref float e = ref {At("output", Offset(0, (tile.Channels > 1 ? "j" : "0", planeOut), (pixels > 1 ? "k" : "0", 1)))};"));
                    w.Line($"e = {function};");
                }
            }
        }
    }

    /// <summary>The reduction over one input channel: every kernel tap, as the plan unrolls it.</summary>
    private static void WriteTaps(CodeWriter w, ConvPlan plan, ConvPathPlan pathPlan, TileShape tile, string[] acc)
    {
        ConvSpec s = plan.Spec;
        SimdPath path = pathPlan.Path;
        int kh = s.KernelHeight, kw = s.KernelWidth, phases = plan.Phases, rowLength = plan.RowLength;
        int weightsPerChannel = (s.InChannels / s.Groups) * kh * kw;
        int kyStride = plan.KernelRowStride;

        // One tap: broadcast the tile's weights, then for each vector load the input once and update every channel
        // (or, with more channels than vectors, load the inputs, then for each channel broadcast its weight once).
        void Tap(string bandRef, string bandOffset, string weightRef, string weightOffset)
        {
            if (tile.InputsFirst)
            {
                for (int v = 0; v < tile.Vectors; v++)
                {
                    w.Line($"x{v} = {path.Load(bandRef, Add(bandOffset, Invariant($"{v * path.Width}")))};");
                }

                for (int j = 0; j < tile.Channels; j++)
                {
                    w.Line($"w = {path.Broadcast(At(weightRef, Add(Invariant($"{j * weightsPerChannel}"), weightOffset)))};");
                    for (int v = 0; v < tile.Vectors; v++)
                    {
                        string a = acc[(j * tile.Vectors) + v];
                        w.Line($"{a} = {path.MultiplyAdd(Invariant($"x{v}"), "w", a)};");
                    }
                }

                return;
            }

            for (int j = 0; j < tile.Channels; j++)
            {
                w.Line($"w{j} = {path.Broadcast(At(weightRef, Add(Invariant($"{j * weightsPerChannel}"), weightOffset)))};");
            }

            for (int v = 0; v < tile.Vectors; v++)
            {
                w.Line($"x = {path.Load(bandRef, Add(bandOffset, Invariant($"{v * path.Width}")))};");
                for (int j = 0; j < tile.Channels; j++)
                {
                    string a = acc[(j * tile.Vectors) + v];
                    w.Line($"{a} = {path.MultiplyAdd("x", $"w{j}", a)};");
                }
            }
        }

        switch (pathPlan.Unroll)
        {
            case Unroll.Full:
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int tap = s.FlipKernel ? ((kh - 1 - ky) * kw) + (kw - 1 - kx) : (ky * kw) + kx;
                        int offset = (ky * kyStride) + (kx * s.DilationWidth % phases * rowLength) + (kx * s.DilationWidth / phases);
                        w.Line(Invariant($"// tap ({ky}, {kx}){(s.FlipKernel ? Invariant($", weight ({tap / kw}, {tap % kw})") : "")}"));
                        Tap("band", Invariant($"{offset}"), "weights", Invariant($"{tap}"));
                    }
                }

                break;
            case Unroll.Rows:
                using (w.Block(Invariant($"for (int ky = 0; ky < {kh}; ky++)")))
                {
                    w.Line(Invariant($"ref float bandRow = ref {Unsafe}.Add(ref band, ky * {kyStride});"));
                    w.Line(s.FlipKernel
                        ? Invariant($"ref float weightRow = ref {Unsafe}.Add(ref weights, ({kh - 1} - ky) * {kw});")
                        : Invariant($"ref float weightRow = ref {Unsafe}.Add(ref weights, ky * {kw});"));
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int offset = (kx * s.DilationWidth % phases * rowLength) + (kx * s.DilationWidth / phases);
                        w.Line(Invariant($"// tap (ky, {kx})"));
                        Tap("bandRow", Invariant($"{offset}"), "weightRow", Invariant($"{(s.FlipKernel ? kw - 1 - kx : kx)}"));
                    }
                }

                break;
            default:
                using (w.Block(Invariant($"for (int ky = 0; ky < {kh}; ky++)")))
                using (w.Block(Invariant($"for (int kx = 0; kx < {kw}; kx++)")))
                {
                    w.Line(Invariant($"int offset = (ky * {kyStride}) + ((kx * {s.DilationWidth}) % {phases} * {rowLength}) + ((kx * {s.DilationWidth}) / {phases});"));
                    w.Line(s.FlipKernel
                        ? Invariant($"int tap = (({kh - 1} - ky) * {kw}) + ({kw - 1} - kx);")
                        : Invariant($"int tap = (ky * {kw}) + kx;"));
                    Tap("band", "offset", "weights", "tap");
                }

                break;
        }
    }

    /// <summary>The sum of two offsets as C#: folded to one literal when both are literals.</summary>
    private static string Add(string a, string b) =>
        int.TryParse(a, out int x) && int.TryParse(b, out int y) ? Invariant($"{x + y}")
        : a == "0" ? b : b == "0" ? a : $"{a} + {b}";

    private static string[] Accumulators(TileShape tile) =>
        Enumerable.Range(0, tile.Channels).SelectMany(j => Enumerable.Range(0, tile.Vectors).Select(v => Invariant($"a{j}_{v}"))).ToArray();

    private static string Pixels(TileShape tile, SimdPath path) => path.IsScalar
        ? Invariant($"{tile.Vectors} pixel(s)")
        : tile.PartialLanes > 0
            ? Invariant($"{tile.Vectors} vector(s) of {path.Width} pixels, the last holding {tile.PartialLanes}")
            : Invariant($"{tile.Vectors} vector(s) of {path.Width} pixels");

    /// <summary>Calls <paramref name="action"/>(channel, vector, pixel offset, lanes) for each accumulator of the tile.</summary>
    private static void ForEachVector(TileShape tile, SimdPath path, System.Action<int, int, int, int> action)
    {
        for (int j = 0; j < tile.Channels; j++)
        {
            for (int v = 0; v < tile.Vectors; v++)
            {
                bool partial = tile.PartialLanes > 0 && v == tile.Vectors - 1;
                action(j, v, v * path.Width, partial ? tile.PartialLanes : path.Width);
            }
        }
    }
}
