using System;
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
            plan.Planes is { } planes
            ? Invariant($"Strategy: the output planes are {g.OutputHeight}×{g.OutputWidth}, so a tile along one output row would hold few accumulators and read its weights again for every row; instead every output plane is flattened. Each input channel's padded plane is copied once per sample into a band of {planes.RowPhases * planes.ColumnPhases} stride phase(s) of {planes.Rows}×{planes.RowLength} floats, so that output pixel (oy, ox) is flattened pixel oy × {planes.RowLength} + ox and every kernel tap is a contiguous load across output rows; the {planes.RowLength - g.OutputWidth} column(s) between rows are computed and not stored ({Percent((double)g.OutputHeight * g.OutputWidth / ConvPlanner.RoundUp(planes.Pixels, 16))} of 16-float vectors' lanes are output pixels, against {Percent((double)g.OutputWidth / ConvPlanner.RoundUp(g.OutputWidth, 16))} along a row). Register tiles of output channels × flattened pixels accumulate over all input channels and the whole window, then store once with bias and activation.")
            : Invariant($"Strategy: output rows read a band of input rows copied with its padding ({(plan.WholePlane ? "every input channel's padded plane, once per sample" : "the rows one output row needs, again for each output row")}) and split into {plan.Phases} stride phase(s), so every kernel tap is a contiguous load and no loop checks bounds. Register tiles of output channels × output pixels accumulate over {(plan.Chunked ? $"chunks of {plan.ChunkChannels} input channels" : "all input channels")} and the whole window, then store once with bias and activation."),
        };
        remarks.AddRange(plan.Paths.Select(p => Invariant($"{p.Path.Name}: tiles of {p.BlockChannels} channel(s) × {p.BlockVectors} {(p.Path.IsScalar ? "pixel(s)" : $"vector(s) of {p.Path.Width} pixels")} ({p.BlockChannels * p.BlockVectors} accumulators), window {Describe(p.Unroll)}.")));
        if (plan.Winograd is { } winograd)
        {
            remarks.AddRange(WinogradEmitter.Remarks(s, winograd));
        }

        if (plan.Packed is { } packed)
        {
            remarks.AddRange(PackedDirectEmitter.Remarks(s, packed));
        }

        Action<CodeWriter, string>? members = plan.Winograd is not null ? (w, kernel) => WinogradEmitter.WriteMembers(w, plan, kernel)
            : plan.Packed is not null ? (w, kernel) => PackedDirectEmitter.WriteMembers(w, plan, kernel)
            : null;
        return Write(m, summary, remarks, spans, plan.Paths.Select(p => p.Path), w => WriteKernel(w, plan), writeMembers: members, parts: Parts(plan));
    }

    /// <summary>How a call splits among threads: the plan's units.</summary>
    private static Parts Parts(ConvPlan plan) => new(plan.Units, plan.UnitName);

    private static string Percent(double fraction) => Invariant($"{fraction * 100:0} %");

    /// <summary>How far a tile unrolls the kernel window, for the remarks (the plain tiles' and the packed direct ones').</summary>
    internal static string Describe(Unroll unroll) => unroll switch
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
        }

        DirectTileEmitter.WriteShape(w, plan, "Shape");
        w.Line();

        if (plan.Planes is { } planes)
        {
            PlaneEmitter.WriteFill(w, planes);
            w.Line();
            PlaneEmitter.WriteStore(w, planes);
        }
        else
        {
            BandEmitter.Write(w, band);
        }

        if (plan.Winograd is { } winograd)
        {
            w.Line();
            WinogradEmitter.WriteKernel(w, plan, winograd);
        }

        if (plan.Packed is { } packed)
        {
            w.Line();
            PackedDirectEmitter.WriteKernel(w, plan, packed);
        }
    }

    private static void WritePath(CodeWriter w, ConvPlan plan, ConvPathPlan path, BandLayout band)
    {
        ConvSpec s = plan.Spec;
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias;
        int inPerGroup = g.InChannelsPerGroup, outPerGroup = g.OutChannelsPerGroup;
        int planeIn = g.Height * g.Width, planeOut = g.OutputHeight * g.OutputWidth;
        int taps = g.KernelHeight * g.KernelWidth, weightsPerChannel = inPerGroup * taps;

        w.Line(Parts(plan).PathSummary());
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Path.Name}({PartPathParameters(bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"])})"))
        {
            long floats = plan.Planes?.Floats(plan.ChunkChannels) ?? (long)plan.ChunkChannels * band.ChannelStride;
            using CodeWriter.Scope? rented = floats > ConvPlanner.BandLimit ? PlaneEmitter.RentBand(w, (int)floats) : null;
            if (rented is null)
            {
                w.Line(Invariant($"KgSpan bandBuffer = stackalloc float[{floats}];"));
            }

            w.Line(BandEmitter.Initialise(band, "bandBuffer"));
            w.Line($"ref float band = ref {MemoryMarshal}.GetReference(bandBuffer);");
            if (plan.Flattened)
            {
                w.Line(Invariant($"// The tile's output, flattened as the band is: the pixels of each output row are copied out of it."));
                w.Line(Invariant($"ref float tileOutput = ref {MemoryMarshal}.GetReference(stackalloc float[{path.BlockChannels * path.BlockPixels}]);"));
            }

            bool grouped = g.Groups > 1;
            using (w.Block("for (int n = 0; n < batch; n++)"))
            using (grouped ? w.Block(plan.Unit == PartUnit.Groups ? "for (int group = from; group < to; group++)" : Invariant($"for (int group = 0; group < {g.Groups}; group++)")) : default(CodeWriter.Scope?))
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

                if (plan.Planes is { } planes)
                {
                    w.Line(Invariant($"// Output planes of {g.OutputHeight}×{g.OutputWidth} are flattened: the band holds every input channel's padded plane in {planes.RowPhases * planes.ColumnPhases} stride phase(s) of {planes.Rows}×{planes.RowLength}, and flattened pixel q = oy × {planes.RowLength} + ox reads tap (ky, kx) at the tap's offset + q."));
                    w.Line(Invariant($"{PlaneEmitter.Fill}(ref inputGroup, ref band, {inPerGroup});"));
                    WriteChannelBlocks(w, plan, path, new TileCallNames(weightsGroup, biasGroup, null, Invariant($"{inPerGroup}")));
                    return;
                }

                if (plan.WholePlane)
                {
                    w.Line(Invariant($"// The padded planes of all {inPerGroup} input channel(s) fit the band: copy them once; output row oy reads from band row oy × {g.StrideHeight}."));
                    w.Line(Invariant($"{BandEmitter.Method}(ref inputGroup, ref band, {-g.PadTop}, {inPerGroup});"));
                }

                using (w.Block(plan.Unit == PartUnit.Rows ? "for (int oy = from; oy < to; oy++)" : Invariant($"for (int oy = 0; oy < {g.OutputHeight}; oy++)")))
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

                    WriteChannelBlocks(w, plan, path, new TileCallNames(weightsGroup, biasGroup, c0, plan.Chunked ? "channels" : Invariant($"{inPerGroup}")));
                }
            }
        }
    }

    /// <summary>
    /// The tile calls of every block of output channels: whole blocks, then the remainder. When a part of a split call
    /// does only output channels <c>from .. to − 1</c>, it does the blocks that start among them.
    /// </summary>
    private static void WriteChannelBlocks(CodeWriter w, ConvPlan plan, ConvPathPlan path, TileCallNames names)
    {
        int outPerGroup = plan.Spec.Geometry.OutChannelsPerGroup, channels = path.BlockChannels;
        int fullChannels = outPerGroup - (outPerGroup % channels);
        bool split = plan.Unit == PartUnit.Channels;
        if (fullChannels > channels)
        {
            w.Line(Invariant($"// output channels in blocks of {channels}{(split ? ", those that start in from .. to − 1" : "")}"));
            string loop = split
                ? Invariant($"for (int ob = {(channels == 1 ? "from" : Invariant($"(from + {channels - 1}) / {channels} * {channels}"))}; ob < {MathClass}.Min(to, {fullChannels}); ob += {channels})")
                : Invariant($"for (int ob = 0; ob < {fullChannels}; ob += {channels})");
            using (w.Block(loop))
            {
                WriteTileCalls(w, plan, path, path.Main, path.Tail, "ob", names);
            }
        }
        else if (fullChannels > 0)
        {
            w.Line(Invariant($"// output channels 0..{fullChannels - 1}"));
            using (w.Block(split ? "if (from <= 0 && 0 < to)" : ""))
            {
                WriteTileCalls(w, plan, path, path.Main, path.Tail, "0", names);
            }
        }

        if (path.RemainderMain is not null || path.RemainderTail is not null)
        {
            w.Line(Invariant($"// the last {outPerGroup - fullChannels} output channel(s)"));
            using (w.Block(split ? Invariant($"if (from <= {fullChannels} && {fullChannels} < to)") : ""))
            {
                WriteTileCalls(w, plan, path, path.RemainderMain, path.RemainderTail, Invariant($"{fullChannels}"), names);
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
        w.Line(Invariant($"ref float o = ref {At("outputGroup", Offset(0, (block, planeOut), (plan.Flattened ? null : "oy", g.OutputWidth)))};"));
        string biasArgument = bias ? $"ref {At(names.Bias, block)}, " : "";
        string rows = plan.Flattened ? "band" : "rows";
        int pixels = plan.Planes?.Pixels ?? g.OutputWidth;
        string what = plan.Flattened ? "flattened pixels" : "pixels";

        // A flattened tile writes its own buffer, whose output pixels are then copied out row by row.
        void Call(TileShape tile, string x0)
        {
            string o = plan.Flattened ? "tileOutput" : At("o", x0);
            w.Line($"{DirectTile.Class}.{plan.Tile(path, tile).Name}<Shape>(ref {At(rows, x0)}, ref {weights}, {biasArgument}ref {o}, {names.Channels}{(plan.Chunked ? ", first, last" : "")});");
            if (plan.Flattened)
            {
                w.Line(Invariant($"{PlaneEmitter.Store}(ref tileOutput, {x0}, {tile.Vectors * path.Path.Width}, ref o, {tile.Channels});"));
            }
        }

        if (main is not null)
        {
            if (path.FullPixelsEnd > path.BlockPixels)
            {
                w.Line(Invariant($"// {what} 0..{path.FullPixelsEnd - 1} in blocks of {path.BlockPixels}"));
                using (w.Block(Invariant($"for (int x0 = 0; x0 < {path.FullPixelsEnd}; x0 += {path.BlockPixels})")))
                {
                    Call(main, "x0");
                }
            }
            else
            {
                w.Line(Invariant($"// {what} 0..{path.FullPixelsEnd - 1}"));
                Call(main, "0");
            }
        }

        if (tail is not null)
        {
            w.Line(Invariant($"// {what} {path.FullPixelsEnd}..{pixels - 1}"));
            Call(tail, Invariant($"{path.FullPixelsEnd}"));
        }
    }
}
