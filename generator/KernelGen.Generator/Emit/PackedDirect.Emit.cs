using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// A <c>[Conv2D]</c> kernel's packed direct form (<see cref="PackedDirectPlan"/>): <c>{Method}PackWeights(weights)</c>,
/// which lays the weights out once in blocks of 16 output channels, [input channel, ky, kx, 16 channels] each, and the
/// overload taking them. Per call and sample the input is copied into padded planes (<c>PackedFill</c>, when the layer
/// pads); then for each block of output channels and output row, register tiles of a row's pixels × vectors of output
/// channels start from the biases, sum every input channel's taps and apply the activation, and the runtime's
/// <c>PackedTiles.Store</c> transposes each tile's results into the channels' planes.
/// </summary>
internal static class PackedDirectEmitter
{
    private const string Fill = "PackedFill";
    /// <summary>The driver of the paths that compute a 1×1 layer in panel tiles.</summary>
    private const string PanelDriver = "PackedPanels";
    /// <summary>The driver of the paths that sum the input channels in passes over a row.</summary>
    private const string PassDriver = "PackedPasses";
    /// <summary>Where an output channel's weights start in the packed blocks.</summary>
    private const string PanelWeights = "PackedWeightOffset";
    /// <summary>The runtime's store of a tile's results into the output planes, which transposes them in registers.</summary>
    private const string StoreTile = "KgPackedTiles.Store";

    /// <summary>
    /// One form of the packed direct kernel: the plain one, or the pooled one (<see cref="ConvSpec.MaxPool"/>). Each has its
    /// kernel class entry, part and units (<paramref name="Members"/>), its paths' entries <c>{Path}{Entry}</c>, one driver
    /// and one switch over the paths' tiles.
    /// </summary>
    private sealed record Form((string Run, string Part, string Units) Members, string Entry, string Driver, string TileCall, EquatableArray<PackedDirectPathPlan> Paths)
    {
        public bool Pooled => Paths[0].Pool > 0;

        /// <summary>Rows of the convolution's output per row of the form's output: the pool's window, or one.</summary>
        public int Window => Paths[0].Rows;

        /// <summary>The paths that compute in channel tiles in one pass, with their indices: every path but those with a panel tile or passes.</summary>
        public List<(PackedDirectPathPlan Plan, int Index)> Tiled { get; } = [.. Paths.Select((p, i) => (p, i)).Where(p => p.p.Panel is null && p.p.Chunk == 0)];

        /// <summary>The paths that sum the input channels in passes over a row (<see cref="PackedPassPlan"/>), with their indices.</summary>
        public List<(PackedDirectPathPlan Plan, int Index)> Passes { get; } = [.. Paths.Select((p, i) => (p, i)).Where(p => p.p.Chunk > 0)];

        /// <summary>The paths that compute in panel tiles (<see cref="PackedPanelPlan"/>), with their indices.</summary>
        public List<(PackedPanelPlan Plan, int Index)> Panels { get; } = [.. Paths.Select((p, i) => (p.Panel!, i)).Where(p => p.Item1 is not null)];
    }

    private static Form Plain(PackedDirectPlan plan) => new(("RunPacked", "PackedPart", "PackedUnits"), "PackedDirect", "PackedDirect", "ChannelTile", plan.Paths);

    private static Form Pooled(PackedDirectPlan plan) => new(("RunPooled", "PooledPart", "PooledUnits"), "Pooled", "Pooled", "PooledTile", plan.PooledPaths);

    /// <summary>The remarks that say the convolution has a packed direct form, why, and how each path tiles it.</summary>
    public static string[] Remarks(ConvSpec s, PackedDirectPlan plan) =>
    [
        Invariant($"Packed direct form, chosen because {PackedDirectPlan.Choice(s)}: <c>{s.Method.Name}PackWeights</c> lays the weights out once in blocks of {PackedDirectPlan.Block} output channels, each [input channel, ky, kx, {PackedDirectPlan.Block} channels], and the overload taking them computes register tiles of consecutive output pixels of a row × vectors of output channels, each tap one broadcast input pixel times the channels' weight vectors{(plan.Copies ? Invariant($"; the input is first copied into zero-padded planes of {plan.PaddedHeight}×{plan.PaddedWidth}") : "")}. The same products as the plain overload, summed in another order (the rounding differs within the usual bound). The plain overload stays as it is."),
        .. plan.Paths.Select(p => p.Panel is { } panel
            ? Invariant($"{p.Path.Name}, packed direct as a matrix product: per panel of {panel.Pixels} output pixels, their inputs copied [input channel, pixel] (a plane apart in the input, one or two cache lines in the copy), then tiles of {panel.Rows} output channels × {panel.Vectors} vectors of the panel's pixels, each input channel {panel.Rows} broadcast weights times the panel's vectors, stored straight into the output planes (MLAS's AVX2 tile; on an AVX2 machine pointwise_256 ran 1.3–1.4× faster than in channel tiles, ResNet's 28×28 strided 1×1 layer 1.6×).")
            : Invariant($"{p.Path.Name}, packed direct: tiles of {p.Pixels} pixel(s) × {p.Channels} output channel(s) ({p.Vectors} {(p.Path.IsScalar ? "scalar(s)" : "vector(s)")}){(p.MovedBack ? ", each row's last tile moved back to end at the row's end" : "")}, window {ConvEmitter.Describe(p.Unroll)}{(p.Passes is { } passes ? Invariant($"; the input channels summed {passes.Chunk} at a time over a row's tiles, so that a pass's weights ({Number(passes.ChunkWeightBytes)} bytes) stay in L1 (the same sums in the same order), {(passes.RowsOuter ? "a part's rows in turn, every block of channels of a row before the next row (the weights stay in L2)" : "block by block")}") : "")}.")),
        .. plan.Pool > 0
            ? [Invariant($"Pooled form, <c>{s.Method.Name}Pooled</c>, for the {plan.Pool}×{plan.Pool} max pool (stride {plan.Pool}) a network runs after this convolution: the same tiles over {plan.Pool} output rows, each window's maximum of the activated sums taken in registers and only the pool's output ({s.Geometry.OutputHeight / plan.Pool}×{s.Geometry.OutputWidth / plan.Pool} per channel) stored; bit for bit the packed direct overload followed by the pool.")]
            : System.Array.Empty<string>(),
        .. plan.PooledPaths.Select(p => Invariant($"{p.Path.Name}, pooled: tiles of {p.Pixels} pooled pixel(s) ({p.Rows} × {p.Columns} output pixels) × {p.Channels} output channel(s){(p.MovedBack ? ", each row's last tile moved back to end at the row's end" : "")}.")),
    ];

    /// <summary>The packing method and the packed overloads, written into the user's type beside the partial method.</summary>
    public static void WriteMembers(CodeWriter w, ConvPlan conv, string kernel)
    {
        ConvSpec s = conv.Spec;
        MethodTarget m = s.Method;
        Conv2DGeometry g = s.Geometry;
        string weights = m.Parameters[1];
        long length = conv.Packed!.PackedLength(g);
        PackedOverload.WritePackMethod(w, m, kernel,
            Invariant($"Lays <paramref name=\"{weights}\"/> (OIHW [{g.OutChannels}, {g.InChannels}, {g.KernelHeight}, {g.KernelWidth}], as <see cref=\"{m.Name}({PackedOverload.Cref(m)})\"/> takes them) out for the packed direct overload of <c>{m.Name}</c>: blocks of {PackedDirectPlan.Block} output channels, each [{g.InChannels}, {g.KernelHeight}, {g.KernelWidth}, {PackedDirectPlan.Block}] ({Number(length)} floats{(conv.Packed.PaddedOutputs > g.OutChannels ? Invariant($", channels {g.OutChannels} .. {conv.Packed.PaddedOutputs - 1} zero") : "")})."),
            g.WeightLength, length, "PackedLayout", "PackedPack");

        PackedDirectPlan plan = conv.Packed;
        PackedOverload.WriteConvOverloads(w, m, g, kernel, "PackedLayout", length, Plain(plan).Members,
            Invariant($"<c>{m.Name}</c> over weights laid out once by <see cref=\"{m.Name}PackWeights\"/>: the same products, with the output channels on the vector axis."),
            Invariant($"The packed direct overload of <c>{m.Name}</c> on up to <paramref name=\"parallelism\"/>'s threads: {(m.HasBatch ? "the samples of the batch, or each sample's" : "its")} (block of output channels, output row) pairs split among them; the output is bit-identical to one thread's."));
        if (plan.Pool > 0)
        {
            int k = plan.Pool;
            PackedOverload.WriteConvOverloads(w, m, g, kernel, "PackedLayout", length, Pooled(plan).Members,
                Invariant($"<c>{m.Name}</c> over weights laid out once by <see cref=\"{m.Name}PackWeights\"/>, followed by a {k}×{k} max pool at stride {k}: <paramref name=\"{m.Output}\"/> receives the pool's output, [{g.OutChannels}, {g.OutputHeight / k}, {g.OutputWidth / k}] per sample, bit for bit what the packed overload and the pool give."),
                Invariant($"<c>{m.Name}Pooled</c> on up to <paramref name=\"parallelism\"/>'s threads: (block of output channels, pooled row) pairs split among them; the output is bit-identical to one thread's."),
                m.Name + "Pooled", g.OutChannels * (g.OutputHeight / k) * (g.OutputWidth / k));
        }
    }

    /// <summary>The kernel class's packed direct members: the layout, the packing, the dispatch, each path and its tiles, the fill and the store.</summary>
    public static void WriteKernel(CodeWriter w, ConvPlan conv, PackedDirectPlan plan)
    {
        ConvSpec s = conv.Spec;
        Conv2DGeometry g = s.Geometry;
        w.Line("/// <summary>The packed weights' layout, which the packed overload checks its argument against.</summary>");
        w.Line(Invariant($"public const string PackedLayout = \"Conv2D {g.InChannels}→{g.OutChannels} {g.KernelHeight}×{g.KernelWidth}{(s.FlipKernel ? " flipped" : "")}: packed direct weights, [{plan.PaddedOutputs / PackedDirectPlan.Block} blocks, {g.InChannels} input channels, {g.KernelHeight}, {g.KernelWidth}, {PackedDirectPlan.Block} output channels]\";"));
        w.Line();
        WritePack(w, s, plan);
        WriteForm(w, s, plan, Plain(plan));
        if (plan.Pool > 0)
        {
            WriteForm(w, s, plan, Pooled(plan));
        }

        if (plan.Copies)
        {
            w.Line();
            WriteFill(w, g, plan);
        }
    }

    /// <summary><c>PackedPack</c>: weight (o, c, ky, kx) to [o / 16, c, ky, kx, o mod 16].</summary>
    private static void WritePack(CodeWriter w, ConvSpec s, PackedDirectPlan plan)
    {
        Conv2DGeometry g = s.Geometry;
        int kh = g.KernelHeight, kw = g.KernelWidth, taps = kh * kw, block = PackedDirectPlan.Block;
        w.Line(Invariant($"/// <summary>Weight (o, c, ky, kx) goes to [o / {block}, c, ky, kx, o mod {block}]{(s.FlipKernel ? " from tap (ky, kx) of the kernel rotated by 180°, as the attribute asks" : "")}{(plan.PaddedOutputs > g.OutChannels ? "; the padding channels stay zero" : "")}.</summary>"));
        using (w.Block("public static void PackedPack(KgReadOnlySpan weights, KgSpan packed)"))
        using (w.Block(Invariant($"for (int o = 0; o < {g.OutChannels}; o++)")))
        using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
        {
            if (taps == 1)
            {
                w.Line(Invariant($"packed[((((o / {block}) * {g.InChannels}) + c) * {block}) + (o % {block})] = weights[(o * {g.InChannels}) + c];"));
                return;
            }

            using (w.Block(Invariant($"for (int tap = 0; tap < {taps}; tap++)")))
            {
                w.Line(Invariant($"packed[((((o / {block}) * {g.InChannels * taps}) + (c * {taps}) + tap) * {block}) + (o % {block})] = weights[(((o * {g.InChannels}) + c) * {taps}) + {(s.FlipKernel ? Invariant($"{taps - 1} - tap") : "tap")}];"));
            }
        }
    }

    /// <summary>
    /// Each path's entry (<c>{Path}PackedDirect</c>, or <c>{Path}Pooled</c>: what the dispatch and the tests call) hands its
    /// index to the form's one driver, which takes the path's tile shape from a switch and calls its tile through
    /// <c>ChannelTile</c> (<c>PooledTile</c>): the loops around the tiles are written once, not once per path.
    /// </summary>
    private static void WriteForm(CodeWriter w, ConvSpec s, PackedDirectPlan plan, Form form)
    {
        Conv2DGeometry g = s.Geometry;
        string what = form.Pooled ? "pooled row" : "output row";
        w.Line();
        w.Line(Invariant($"/// <summary>A sample's {(form.Pooled ? "pooled" : "packed direct")} work splits into its {g.OutputHeight / form.Window} {what}s × {g.OutChannels} output channels: a path's (block of output channels, {what}) pairs stand evenly spread over these units.</summary>"));
        w.Line(Invariant($"public const int {form.Members.Units} = {PackedDirectPlan.Units(g, form.Window)};"));
        w.Line();
        PackedOverload.WriteRunAndPart(w, form.Paths.Select(p => p.Path), s.Method.HasBias, form.Members, form.Entry,
            Invariant($"One part of a split {(form.Pooled ? "pooled" : "packed")} call: every sample, the (block of output channels, {what}) pairs that stand in units <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1."));
        w.Line();
        string[] roles = s.Method.HasBias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"];
        string arguments = string.Join(", ", roles.Select(r => $"ref {r}").Append("batch").Append("from").Append("to"));
        for (int i = 0; i < form.Paths.Count; i++)
        {
            PackedDirectPathPlan path = form.Paths[i];
            if (path.Panel is { } panel)
            {
                w.Line(Invariant($"/// <summary>Packed direct convolution on {path.Path.Name}, a matrix product in tiles of {panel.Rows} output channels × {panel.Pixels} pixels of a panel: units <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1 of every sample (see <see cref=\"{PanelDriver}\"/>).</summary>"));
                w.Line($"public static void {path.Path.Name}{form.Entry}({PartPathParameters(roles)}) => {PanelDriver}({i}, {arguments});");
                w.Line();
                continue;
            }

            if (path.Passes is { } passes)
            {
                w.Line(Invariant($"/// <summary>Packed direct convolution on {path.Path.Name}, tiles of {path.Pixels} pixel(s) × {path.Channels} output channel(s) summing {passes.Chunk} input channels a pass: units <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1 of every sample (see <see cref=\"{PassDriver}\"/>).</summary>"));
                w.Line($"public static void {path.Path.Name}{form.Entry}({PartPathParameters(roles)}) => {PassDriver}({i}, {arguments});");
                w.Line();
                continue;
            }

            string tile = form.Pooled
                ? Invariant($"tiles of {path.Pixels} pooled pixel(s) ({path.Rows} × {path.Columns}) × {path.Channels} output channel(s)")
                : Invariant($"tiles of {path.Pixels} pixel(s) × {path.Channels} output channel(s)");
            w.Line(Invariant($"/// <summary>{(form.Pooled ? "Pooled" : "Packed direct")} convolution on {path.Path.Name}, {tile}: units <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1 of every sample (see <see cref=\"{form.Driver}\"/>).</summary>"));
            w.Line($"public static void {path.Path.Name}{form.Entry}({PartPathParameters(roles)}) => {form.Driver}({i}, {arguments});");
            w.Line();
        }

        WriteDriver(w, s, plan, form, roles);
        w.Line();
        string bias = s.Method.HasBias ? "ref float bias, " : "", biasArgument = s.Method.HasBias ? "ref bias, " : "";
        WriteTileSwitch(
            w,
            "register tile",
            $"{form.TileCall}(int path, ref float input, ref float weights, {bias}ref float tile)",
            form.Tiled.Select(p => (p.Index, Invariant($"{p.Plan.TileName}(ref input, ref weights, {biasArgument}ref tile);"))));

        foreach ((PackedDirectPathPlan path, _) in form.Tiled)
        {
            w.Line();
            WriteTile(w, s, plan, path);
        }

        if (form.Panels.Count > 0)
        {
            w.Line();
            WritePanels(w, s, form.Panels, roles);
        }

        if (form.Passes.Count > 0)
        {
            w.Line();
            WritePasses(w, s, plan, form.Passes, roles);
        }
    }

    private static void WriteDriver(CodeWriter w, ConvSpec s, PackedDirectPlan plan, Form form, string[] roles)
    {
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias, pooled = form.Pooled;
        int k = form.Window, rows = g.OutputHeight / k, width = g.OutputWidth / k, plane = rows * width, units = PackedDirectPlan.Units(g, k);
        int rowStep = k * g.StrideHeight * plan.PaddedWidth, columnStep = k * g.StrideWidth;
        // A pooled row's tiles fill one row of results [pixel, channel], stored once the row is whole.
        long band = plan.Copies ? (long)g.InChannels * plan.PlaneStride : 0;
        long tiles = pooled ? width * form.Tiled.Max(p => (long)p.Plan.Channels) : form.Tiled.Max(p => (long)p.Plan.Pixels * p.Plan.Channels);

        // A tile starts from its channels' biases, loaded as vectors: where the last tile's channels run past the layer's,
        // it reads them from a copy padded with zeros.
        bool padsBias = bias && plan.PaddedOutputs > g.OutChannels;
        long scratch = band + tiles + (padsBias ? plan.PaddedOutputs : 0);
        w.Line(Invariant($"/// <summary>"));
        string what = pooled ? "pooled row" : "output row";
        w.Line(Invariant($"/// {(pooled ? Invariant($"Pooled convolution ({k}×{k} max pool, stride {k})") : "Packed direct convolution")} on path <paramref name=\"path\"/>."));
        w.Line(Invariant($"/// Of its ({what}, block of output channels) pairs, pair p = row × blocks + block stands at unit p × {units} / pairs: a part does those"));
        w.Line(Invariant($"/// in <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1, a band of rows, block by block (so that a block's weights serve all its rows){(plan.Copies ? "," : ".")}"));
        if (plan.Copies)
        {
            w.Line(Invariant($"/// copying into padded planes only the input rows its rows read (on two threads, half the input each, where by channels each copied all)."));
        }

        w.Line(Invariant($"/// A row is computed in whole tiles, the last one moved back to end at the row's end where the row is not a whole number of them{(pooled ? ";" : ".")}"));
        if (pooled)
        {
            w.Line(Invariant($"/// a pooled row's tiles (each over {k} rows of the convolution) fill one row of results, stored when it is whole."));
        }

        w.Line(Invariant($"/// </summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {form.Driver}(int path, {PartPathParameters(roles)})"))
        {
            w.Line(pooled ? "// The path's tile: pooled pixels × output channels." : "// The path's tile: output pixels × output channels.");
            w.Line($"(int pixels, int channels) = {PathSwitch(form.Tiled.Select(p => (p.Index, Invariant($"({p.Plan.Pixels}, {p.Plan.Channels})"))).ToList())};");
            w.Line(Invariant($"int blocks = ({g.OutChannels} + channels - 1) / channels, pairs = blocks * {rows};"));
            WritePartPairs(w, units);

            WriteReadRows(w, g, plan, k * g.StrideHeight, what);

            w.Line();
            w.Line(Invariant($"// Scratch from the array pool (no call allocates once the pool holds it): {(plan.Copies ? Invariant($"the padded planes ({Number(band)} floats), ") : "")}{(pooled ? "one pooled row's results [pixels, channels]" : "one tile's results [pixels, channels]")}{(padsBias ? Invariant($", the biases padded to {plan.PaddedOutputs} channels") : "")}."));
            w.Line(Invariant($"float[] rented = KgArrayPool.Shared.Rent({scratch});"));
            using (w.Block("try"))
            {
                WriteScratch(w, g, plan, "tile", tiles, padsBias);
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    WriteSamplePlanes(w, g, plan);
                    w.Line(Invariant($"ref float result = ref {At("output", Offset(0, ("n", g.OutChannels * plane)))};"));
                    using (w.Block("for (int block = 0; block < blocks; block++)"))
                    {
                        WriteBlockRows(w);
                        w.Line(Invariant($"int o0 = block * channels, count = {MathClass}.Min(channels, {g.OutChannels} - o0);"));
                        w.Line(Invariant($"// The block's weights: a tile of 16 channels or more starts a block of the packed weights, a narrower one lies within one."));
                        w.Line(Invariant($"ref float blockWeights = ref {At("weights", Invariant($"((o0 / {PackedDirectPlan.Block}) * {PackedDirectPlan.BlockStride(g)}) + (o0 % {PackedDirectPlan.Block})"))};"));
                        if (bias)
                        {
                            w.Line($"ref float blockBias = ref {At("bias", "o0")};");
                        }

                        using (w.Block("for (int oy = rowFirst; oy < rowEnd; oy++)"))
                        {
                            w.Line(Invariant($"ref float row = ref {At("planes", Invariant($"oy * {rowStep}"))};"));
                            w.Line(Invariant($"ref float target = ref {At("result", Invariant($"(o0 * {plane}) + (oy * {width})"))};"));
                            w.Line(Invariant($"// Whole tiles, then the last one moved back over pixels the one before computed, the same way."));
                            using (w.Block(Invariant($"for (int ox = 0; ; ox += pixels)")))
                            {
                                w.Line(Invariant($"ox = {MathClass}.Min(ox, {width} - pixels);"));
                                w.Line(Invariant($"{form.TileCall}(path, ref {At("row", Offset(0, ("ox", columnStep)))}, ref blockWeights, {(bias ? "ref blockBias, " : "")}ref {(pooled ? At("tile", "ox * channels") : "tile")});"));
                                if (!pooled)
                                {
                                    w.Line(Invariant($"{StoreTile}(ref tile, channels, pixels, count, ref {At("target", "ox")}, {plane});"));
                                }

                                using (w.Block(Invariant($"if (ox + pixels == {width})")))
                                {
                                    w.Line("break;");
                                }
                            }

                            if (pooled)
                            {
                                w.Line(Invariant($"{StoreTile}(ref tile, channels, {width}, count, ref target, {plane});"));
                            }
                        }
                    }
                }
            }

            using (w.Block("finally"))
            {
                w.Line("KgArrayPool.Shared.Return(rented);");
            }
        }
    }

    /// <summary>
    /// The register tile: consecutive output pixels of a row (of <see cref="PackedDirectPathPlan.Rows"/> rows, for the pooled
    /// form) × the path's vectors of output channels, summed over every input channel and tap — each tap loads the
    /// channels' weight vectors once and broadcasts each pixel's input once. The pooled form's tile then keeps each
    /// window's maximum.
    /// </summary>
    private static void WriteTile(CodeWriter w, ConvSpec s, PackedDirectPlan plan, PackedDirectPathPlan tile)
    {
        // Accumulator i is output pixel (i / columns, i mod columns) of the tile.
        int pixels = tile.Rows * tile.Columns, columns = tile.Columns, k = tile.Pool;
        Conv2DGeometry g = s.Geometry;
        int Pixel(int i) => ((i / columns) * g.StrideHeight * plan.PaddedWidth) + (i % columns * g.StrideWidth);
        SimdPath path = tile.Path;
        int vectors = tile.Vectors, channels = tile.Channels, width = path.Width;
        int kh = g.KernelHeight, kw = g.KernelWidth, block = PackedDirectPlan.Block;
        int rowStep = g.DilationHeight * plan.PaddedWidth;
        string Acc(int i, int v) => Invariant($"a{i}_{v}");
        bool bias = s.Method.HasBias;
        string name = ActivationText.Name(s.Activation);
        string activation = s.Activation.IsNone ? "" : Invariant($", then {name}");
        w.Line(k > 0
            ? Invariant($"/// <summary>Output pixels 0 .. {columns - 1} of {k} rows (input from <paramref name=\"input\"/>, {g.StrideWidth} apart, rows {g.StrideHeight} apart) × output channels 0 .. {channels - 1} of the block (weights from <paramref name=\"weights\"/>{(bias ? ", biases from <paramref name=\"bias\"/>" : "")}), over every input channel and tap{activation}, then the maximum of each {k}×{k} window: tile[pooled pixel, channel] for pooled pixels 0 .. {tile.Pixels - 1}.</summary>")
            : Invariant($"/// <summary>Output pixels 0 .. {pixels - 1} of a row (input from <paramref name=\"input\"/>, {g.StrideWidth} apart) × output channels 0 .. {channels - 1} of the block (weights from <paramref name=\"weights\"/>{(bias ? ", biases from <paramref name=\"bias\"/>" : "")}), over every input channel and tap{activation}: tile[pixel, channel].</summary>"));
        bool passes = tile.Chunk > 0;
        if (passes)
        {
            w.Line(Invariant($"/// <remarks>A pass: input channels 0 .. <paramref name=\"count\"/> − 1 from <paramref name=\"input\"/> on, the sums starting from the tile's results where this is not the <paramref name=\"first\"/> pass{(s.Activation.IsNone ? "" : Invariant($", {name} applied on the <paramref name=\"last\"/>"))}.</remarks>"));
        }

        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {tile.TileName}(ref float input, ref float weights, {(bias ? "ref float bias, " : "")}ref float tile{(passes ? ", int count, bool first, bool last" : "")})"))
        {
            if (passes)
            {
                w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, pixels).SelectMany(i => Enumerable.Range(0, vectors).Select(v => Acc(i, v))))};");
                using (w.Block("if (first)"))
                {
                    w.Line(bias ? "// Every pixel starts from its channels' biases." : "// Every sum starts from zero.");
                    for (int i = 0; i < pixels; i++)
                    {
                        w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"{Acc(i, v)} = {(i > 0 ? Acc(0, v) : bias ? path.Load("bias", v * width) : path.Zero)};")));
                    }
                }

                using (w.Block("else"))
                {
                    w.Line("// The sums the passes before left.");
                    for (int i = 0; i < pixels; i++)
                    {
                        w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"{Acc(i, v)} = {path.Load("tile", (i * channels) + (v * width))};")));
                    }
                }
            }
            else if (bias)
            {
                w.Line("// Every pixel starts from its channels' biases.");
                w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, vectors).Select(v => $"{Acc(0, v)} = {path.Load("bias", v * width)}"))};");
                if (pixels > 1)
                {
                    w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(1, pixels - 1).SelectMany(i => Enumerable.Range(0, vectors).Select(v => $"{Acc(i, v)} = {Acc(0, v)}")))};");
                }
            }
            else
            {
                w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, pixels).SelectMany(i => Enumerable.Range(0, vectors).Select(v => $"{Acc(i, v)} = {path.Zero}")))};");
            }

            w.Line($"{path.Type} x, {string.Join(", ", Enumerable.Range(0, vectors).Select(v => Invariant($"w{v}")))};");

            // One tap: its weight vectors, then each pixel's input broadcast against them.
            void Tap(string inputRef, string inputOffset, string weightRef, string weightOffset)
            {
                for (int v = 0; v < vectors; v++)
                {
                    w.Line(Invariant($"w{v} = {path.Load(weightRef, Sum(weightOffset, (int)PackedDirectPlan.ChannelOffset(g, v * width)))};"));
                }

                for (int i = 0; i < pixels; i++)
                {
                    w.Line(Invariant($"x = {path.Broadcast(At(inputRef, Sum(inputOffset, Pixel(i))))};"));
                    for (int v = 0; v < vectors; v++)
                    {
                        w.Line($"{Acc(i, v)} = {path.MultiplyAdd("x", Invariant($"w{v}"), Acc(i, v))};");
                    }
                }
            }

            using (w.Block(passes ? "for (int c = 0; c < count; c++)" : Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
            {
                switch (tile.Unroll)
                {
                    case Unroll.Full:
                        for (int ky = 0; ky < kh; ky++)
                        {
                            for (int kx = 0; kx < kw; kx++)
                            {
                                Tap("input", Invariant($"{(ky * rowStep) + (kx * g.DilationWidth)}"), "weights", Invariant($"{((ky * kw) + kx) * block}"));
                            }
                        }

                        break;
                    case Unroll.Rows:
                        using (w.Block(Invariant($"for (int ky = 0; ky < {kh}; ky++)")))
                        {
                            w.Line(Invariant($"ref float inputRow = ref {At("input", Invariant($"ky * {rowStep}"))};"));
                            w.Line(Invariant($"ref float weightRow = ref {At("weights", Invariant($"ky * {kw * block}"))};"));
                            for (int kx = 0; kx < kw; kx++)
                            {
                                Tap("inputRow", Invariant($"{kx * g.DilationWidth}"), "weightRow", Invariant($"{kx * block}"));
                            }
                        }

                        break;
                    default:
                        // The taps of a kernel row by moving references: an index computed per tap cost the loop as many
                        // integer instructions as it has multiply-adds (ResNet's stem in tiles of 4 pixels × 16 channels).
                        using (w.Block(Invariant($"for (int ky = 0; ky < {kh}; ky++)")))
                        {
                            w.Line(Invariant($"ref float inputTap = ref {At("input", Invariant($"ky * {rowStep}"))};"));
                            w.Line(Invariant($"ref float weightTap = ref {At("weights", Invariant($"ky * {kw * block}"))};"));
                            using (w.Block(Invariant($"for (int kx = 0; kx < {kw}; kx++)")))
                            {
                                Tap("inputTap", "0", "weightTap", "0");
                                w.Line(Invariant($"inputTap = ref {Unsafe}.Add(ref inputTap, {g.DilationWidth});"));
                                w.Line(Invariant($"weightTap = ref {Unsafe}.Add(ref weightTap, {block});"));
                            }
                        }

                        break;
                }

                w.Line(Invariant($"input = ref {Unsafe}.Add(ref input, {plan.PlaneStride});"));
                w.Line(Invariant($"weights = ref {Unsafe}.Add(ref weights, {kh * kw * block});"));
            }

            w.Line();
            bool vectorised = s.Activation.Vectorised;

            // ReLU keeps order, so a window's maximum of activated sums is the activated maximum, bit for bit: activating
            // the pooled vectors alone takes a quarter of the work of a 2×2 pool's (MNIST's first layer, 9 taps a sum).
            bool poolFirst = k > 0 && !passes && s.Activation.Kind == ActivationKind.Relu;
            if (!s.Activation.IsNone && vectorised && !poolFirst)
            {
                w.Line(Invariant($"// {name}, on the sums in registers{(passes ? ", after the last pass" : "")}."));
                void Activate()
                {
                    for (int i = 0; i < pixels; i++)
                    {
                        for (int v = 0; v < vectors; v++)
                        {
                            w.Line($"{Acc(i, v)} = {ActivationText.Apply(path, s.Activation, Acc(i, v))};");
                        }
                    }
                }

                if (passes)
                {
                    using (w.Block("if (last)"))
                    {
                        Activate();
                    }
                }
                else
                {
                    Activate();
                }
            }

            if (k > 0)
            {
                // The planner fuses a pool only after an activation applied in registers.
                w.Line(Invariant($"// tile[pooled pixel, channel]: each {k}×{k} window's maximum{(poolFirst ? Invariant($", then {name}") : "")}, the output channels of each pooled pixel side by side."));
                for (int j = 0; j < tile.Pixels; j++)
                {
                    for (int v = 0; v < vectors; v++)
                    {
                        int pooledPixel = j, vector = v;
                        var window = Enumerable.Range(0, k).SelectMany(r => Enumerable.Range(0, k).Select(c => Acc((r * columns) + (pooledPixel * k) + c, vector))).ToList();
                        string maximum = Maximum(path, window);
                        w.Line(path.Store(poolFirst ? ActivationText.Apply(path, s.Activation, maximum) : maximum, "tile", (j * channels) + (v * width)));
                    }
                }

                return;
            }

            w.Line("// tile[pixel, channel]: the output channels of each pixel side by side.");
            for (int i = 0; i < pixels; i++)
            {
                for (int v = 0; v < vectors; v++)
                {
                    w.Line(path.Store(Acc(i, v), "tile", (i * channels) + (v * width)));
                }
            }

            if (!vectorised)
            {
                w.Line(Invariant($"// {name}, on the stored results."));
                using (w.Block(Invariant($"for (int k = 0; k < {pixels * channels}; k++)")))
                {
                    w.Line($"ref float e = ref {At("tile", "k")};");
                    w.Line($"e = {ActivationText.Apply(s.Activation, "e")};");
                }
            }
        }
    }

    /// <summary>
    /// The paths of a 1×1 layer that compute it as a matrix product (<see cref="PackedPanelPlan"/>): their one driver,
    /// <c>PackedPanels</c>, the switch over their tiles, the tiles, and where a channel's packed weights start.
    /// </summary>
    private static void WritePanels(CodeWriter w, ConvSpec s, List<(PackedPanelPlan Plan, int Index)> panels, string[] roles)
    {
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias;
        int plane = g.OutputHeight * g.OutputWidth, inputPlane = g.Height * g.Width, units = PackedDirectPlan.Units(g);
        bool flat = g.StrideHeight == 1 && g.StrideWidth == 1;
        long scratch = panels.Max(p => (long)p.Plan.Pixels) * g.InChannels;
        string biasParameter = bias ? "ref float bias, " : "";

        w.Line(Invariant($"/// <summary>Where output channel <paramref name=\"o\"/>'s weights start in the packed blocks, [o / {PackedDirectPlan.Block}, input channel, o mod {PackedDirectPlan.Block}].</summary>"));
        w.Line(Invariant($"private static int {PanelWeights}(int o) => ((o / {PackedDirectPlan.Block}) * {PackedDirectPlan.BlockStride(g)}) + (o % {PackedDirectPlan.Block});"));
        w.Line();
        w.Line("/// <summary>");
        w.Line(Invariant($"/// Packed direct convolution of the 1×1 kernel on path <paramref name=\"path\"/>, as a matrix product: [{g.OutChannels} output channels × {g.InChannels}] weights"));
        w.Line(Invariant($"/// times [{g.InChannels} × {plane} output pixels'] inputs. Of its (panel, tile) pairs — panels of the path's pixels, tiles of its output channels —"));
        w.Line(Invariant($"/// pair p = panel × tiles + tile stands at unit p × {units} / pairs: a part does those in <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1,"));
        w.Line(Invariant($"/// copying each of its panels once, [input channel, pixel], and computing the panel's tiles from the copy. The last panel and the"));
        w.Line(Invariant($"/// last tile are moved back to end at the layer's end where it is not a whole number of them: they compute some outputs again, the same way."));
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {PanelDriver}(int path, {PartPathParameters(roles)})"))
        {
            w.Line("// The path's tile: output channels × pixels of a panel.");
            w.Line($"(int rows, int pixels) = {PathSwitch(panels.Select(p => (p.Index, Invariant($"({p.Plan.Rows}, {p.Plan.Pixels})"))).ToList())};");
            w.Line(Invariant($"int tiles = ({g.OutChannels} + rows - 1) / rows, pairs = (({plane} + pixels - 1) / pixels) * tiles;"));
            WritePartPairs(w, units);

            w.Line();
            w.Line(Invariant($"// Scratch from the array pool (no call allocates once the pool holds it): one panel, [input channel, pixel]."));
            w.Line(Invariant($"float[] rented = KgArrayPool.Shared.Rent({scratch});"));
            using (w.Block("try"))
            {
                w.Line(Invariant($"ref float panel = ref {MemoryMarshal}.GetReference(new KgSpan(rented, 0, {scratch}));"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line(Invariant($"ref float sample = ref {At("input", Offset(0, ("n", g.InputLength)))};"));
                    w.Line(Invariant($"ref float result = ref {At("output", Offset(0, ("n", (long)g.OutChannels * plane)))};"));
                    using (w.Block("for (int pair = first; pair < end; )"))
                    {
                        w.Line(Invariant($"int index = pair / tiles, p0 = {MathClass}.Min(index * pixels, {plane} - pixels);"));
                        if (flat)
                        {
                            w.Line("// The panel: each input channel's pixels p0 .. p0 + pixels − 1, side by side.");
                            using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
                            {
                                w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At("sample", Invariant($"(c * {inputPlane}) + p0"))}, pixels)"));
                                w.Line(Invariant($"    .CopyTo({MemoryMarshal}.CreateSpan(ref {At("panel", "c * pixels")}, pixels));"));
                            }
                        }
                        else
                        {
                            w.Line(Invariant($"// The panel: each input channel's values at output pixels p0 .. p0 + pixels − 1 (pixel (y, x) reads input pixel ({g.StrideHeight}y, {g.StrideWidth}x)), side by side."));
                            using (w.Block("for (int j = 0; j < pixels; j++)"))
                            {
                                w.Line(Invariant($"int at = (((p0 + j) / {g.OutputWidth}) * {g.StrideHeight * g.Width}) + (((p0 + j) % {g.OutputWidth}) * {g.StrideWidth});"));
                                using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
                                {
                                    w.Line(Invariant($"{At("panel", "(c * pixels) + j")} = {At("sample", Invariant($"(c * {inputPlane}) + at"))};"));
                                }
                            }
                        }

                        w.Line();
                        w.Line("// The panel's tiles in this part.");
                        w.Line(Invariant($"int last = {MathClass}.Min(end - (index * tiles), tiles);"));
                        using (w.Block("for (int tile = pair - (index * tiles); tile < last; tile++)"))
                        {
                            w.Line(Invariant($"int o0 = {MathClass}.Min(tile * rows, {g.OutChannels} - rows);"));
                            w.Line(Invariant($"PanelTile(path, ref panel, ref weights, o0, {(bias ? $"ref {At("bias", "o0")}, " : "")}ref {At("result", Invariant($"(o0 * {plane}) + p0"))});"));
                        }

                        w.Line();
                        w.Line("pair = (index + 1) * tiles;");
                    }
                }
            }

            using (w.Block("finally"))
            {
                w.Line("KgArrayPool.Shared.Return(rented);");
            }
        }

        w.Line();
        WriteTileSwitch(
            w,
            "panel tile",
            $"PanelTile(int path, ref float panel, ref float weights, int o0, {biasParameter}ref float output)",
            panels.Select(p => (p.Index, Invariant($"{p.Plan.TileName}(ref panel, ref weights, o0, {(bias ? "ref bias, " : "")}ref output);"))));

        foreach ((PackedPanelPlan tile, _) in panels)
        {
            w.Line();
            WritePanelTile(w, s, tile);
        }
    }

    /// <summary>
    /// The panel tile: output channels o0 .. o0 + rows − 1 × the panel's pixels, summed over every input channel — each
    /// channel loads the panel's vectors once and broadcasts each output channel's weight once — and stored into the
    /// output planes as they are (the lanes are pixels).
    /// </summary>
    private static void WritePanelTile(CodeWriter w, ConvSpec s, PackedPanelPlan tile)
    {
        Conv2DGeometry g = s.Geometry;
        SimdPath path = tile.Path;
        int rows = tile.Rows, vectors = tile.Vectors, width = path.Width, plane = g.OutputHeight * g.OutputWidth;
        bool bias = s.Method.HasBias;
        string Acc(int r, int v) => Invariant($"a{r}_{v}");
        string activation = s.Activation.IsNone ? "" : Invariant($", then {ActivationText.Name(s.Activation)}");
        w.Line(Invariant($"/// <summary>Output channels <paramref name=\"o0\"/> .. o0 + {rows - 1} × pixels 0 .. {tile.Pixels - 1} of the panel (<paramref name=\"panel\"/>, [input channel, pixel]; weights from the packed blocks{(bias ? ", biases from <paramref name=\"bias\"/>" : "")}), over every input channel{activation}, stored into the output planes at <paramref name=\"output\"/>, {plane} floats apart.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {tile.TileName}(ref float panel, ref float weights, int o0, {(bias ? "ref float bias, " : "")}ref float output)"))
        {
            w.Line(Invariant($"// Channel o0 + r's weights stand at w + w{{r}}; each input channel's are {PackedDirectPlan.Block} floats on from the one before's."));
            w.Line(Invariant($"int start = {PanelWeights}(o0);"));
            w.Line(Invariant($"ref float w = ref {At("weights", "start")};"));
            w.Line($"nint {string.Join(", ", Enumerable.Range(1, rows - 1).Select(r => Invariant($"w{r} = {PanelWeights}(o0 + {r}) - start")))};");
            w.Line(bias ? "// Every channel starts from its bias." : "// Every sum starts from zero.");
            for (int r = 0; r < rows; r++)
            {
                string start = bias ? path.Broadcast(r == 0 ? "bias" : At("bias", Invariant($"{r}"))) : path.Zero;
                w.Line($"{path.Type} {Acc(r, 0)} = {start}{string.Concat(Enumerable.Range(1, vectors - 1).Select(v => $", {Acc(r, v)} = {Acc(r, 0)}"))};");
            }

            w.Line($"{path.Type} s, {string.Join(", ", Enumerable.Range(0, vectors).Select(v => Invariant($"x{v}")))};");
            using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
            {
                for (int v = 0; v < vectors; v++)
                {
                    w.Line(Invariant($"x{v} = {path.Load("panel", v * width)};"));
                }

                for (int r = 0; r < rows; r++)
                {
                    w.Line(Invariant($"s = {path.Broadcast(r == 0 ? "w" : At("w", Invariant($"w{r}")))};"));
                    w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"{Acc(r, v)} = {path.MultiplyAdd(Invariant($"x{v}"), "s", Acc(r, v))};")));
                }

                w.Line(Invariant($"panel = ref {Unsafe}.Add(ref panel, {tile.Pixels});"));
                w.Line(Invariant($"w = ref {Unsafe}.Add(ref w, {PackedDirectPlan.Block});"));
            }

            w.Line();
            if (!s.Activation.IsNone)
            {
                w.Line(Invariant($"// {ActivationText.Name(s.Activation)}, on the sums in registers."));
                for (int r = 0; r < rows; r++)
                {
                    w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"{Acc(r, v)} = {ActivationText.Apply(path, s.Activation, Acc(r, v))};")));
                }
            }

            w.Line("// Channel o0 + r's pixels into its plane.");
            for (int r = 0; r < rows; r++)
            {
                w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => path.Store(Acc(r, v), "output", (r * plane) + (v * width)))));
            }
        }
    }

    /// <summary>
    /// The paths that sum the input channels in passes over a row (<see cref="PackedPassPlan"/>): their driver,
    /// <c>PackedPasses</c>, which runs a part's (output row, block of output channels) pairs row by row or block by block,
    /// <c>PackedPassRow</c>, which computes one of them pass by pass into a row of results and stores it, and the switch
    /// over their tiles.
    /// </summary>
    private static void WritePasses(CodeWriter w, ConvSpec s, PackedDirectPlan plan, List<(PackedDirectPathPlan Plan, int Index)> paths, string[] roles)
    {
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias;
        int rows = g.OutputHeight, width = g.OutputWidth, plane = rows * width, units = PackedDirectPlan.Units(g), taps = g.KernelHeight * g.KernelWidth;
        long band = plan.Copies ? (long)g.InChannels * plan.PlaneStride : 0;
        long results = paths.Max(p => (long)(width + p.Plan.Pixels) * p.Plan.Channels);
        bool padsBias = bias && plan.PaddedOutputs > g.OutChannels;
        long scratch = band + results + (padsBias ? plan.PaddedOutputs : 0);
        string biasParameter = bias ? "ref float bias, " : "";

        w.Line("/// <summary>");
        w.Line(Invariant($"/// Packed direct convolution on path <paramref name=\"path\"/>, its tiles summing the input channels in passes."));
        w.Line(Invariant($"/// Of its (output row, block of output channels) pairs, pair p = row × blocks + block stands at unit p × {units} / pairs: a part does those"));
        w.Line(Invariant($"/// in <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1, pair by pair where every block's weights stay in L2 (a row's input rows then"));
        w.Line(Invariant($"/// serve every block), else block by block{(plan.Copies ? ", copying into padded planes only the input rows its rows read" : "")}."));
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {PassDriver}(int path, {PartPathParameters(roles)})"))
        {
            w.Line("// The path's tile (output pixels × output channels), input channels per pass, and the order of the pairs.");
            w.Line($"(int pixels, int channels, int chunk, bool rowsOuter) = {PathSwitch(paths.Select(p => (p.Index, Invariant($"({p.Plan.Pixels}, {p.Plan.Channels}, {p.Plan.Chunk}, {(p.Plan.Passes!.RowsOuter ? "true" : "false")})"))).ToList())};");
            w.Line(Invariant($"int blocks = ({g.OutChannels} + channels - 1) / channels, pairs = blocks * {rows};"));
            WritePartPairs(w, units);
            WriteReadRows(w, g, plan, g.StrideHeight, "output row");

            w.Line();
            w.Line(Invariant($"// Scratch from the array pool (no call allocates once the pool holds it): {(plan.Copies ? Invariant($"the padded planes ({Number(band)} floats), ") : "")}a row of results [pixel, channel] and the moved-back tile's{(padsBias ? Invariant($", the biases padded to {plan.PaddedOutputs} channels") : "")}."));
            w.Line(Invariant($"float[] rented = KgArrayPool.Shared.Rent({scratch});"));
            using (w.Block("try"))
            {
                WriteScratch(w, g, plan, "results", results, padsBias);
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    WriteSamplePlanes(w, g, plan);
                    w.Line(Invariant($"ref float sample = ref {At("output", Offset(0, ("n", (long)g.OutChannels * plane)))};"));
                    string call = $"PackedPassRow(path, pixels, channels, chunk, ref planes, ref weights, {(bias ? "ref bias, " : "")}ref results, ref sample, oy, block);";
                    using (w.Block("if (rowsOuter)"))
                    using (w.Block("for (int pair = first; pair < end; pair++)"))
                    {
                        w.Line("int oy = pair / blocks, block = pair % blocks;");
                        w.Line(call);
                    }

                    using (w.Block("else"))
                    using (w.Block("for (int block = 0; block < blocks; block++)"))
                    {
                        WriteBlockRows(w);
                        using (w.Block("for (int oy = rowFirst; oy < rowEnd; oy++)"))
                        {
                            w.Line(call);
                        }
                    }
                }
            }

            using (w.Block("finally"))
            {
                w.Line("KgArrayPool.Shared.Return(rented);");
            }
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line(Invariant($"/// Output row <paramref name=\"oy\"/> of block <paramref name=\"block\"/>'s output channels, pass by pass: each pass runs the row's tiles over"));
        w.Line(Invariant($"/// <paramref name=\"chunk\"/> input channels into <paramref name=\"results\"/>, [pixel, channel], each tile starting from the sums the pass"));
        w.Line(Invariant($"/// before left; the last tile, moved back to end at the row's end where the row is not a whole number of tiles, sums into its own place"));
        w.Line(Invariant($"/// after the row's (it would otherwise add pixels of the tile before twice), and its pixels past the whole tiles are copied into theirs."));
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void PackedPassRow(int path, int pixels, int channels, int chunk, ref float planes, ref float weights, {biasParameter}ref float results, ref float output, int oy, int block)"))
        {
            w.Line(Invariant($"int o0 = block * channels, whole = {width} / pixels * pixels;"));
            w.Line(Invariant($"ref float blockWeights = ref {At("weights", Invariant($"((o0 / {PackedDirectPlan.Block}) * {PackedDirectPlan.BlockStride(g)}) + (o0 % {PackedDirectPlan.Block})"))};"));
            if (bias)
            {
                w.Line($"ref float blockBias = ref {At("bias", "o0")};");
            }

            w.Line(Invariant($"ref float row = ref {At("planes", Invariant($"oy * {g.StrideHeight * plan.PaddedWidth}"))};"));
            string biasArgument = bias ? "ref blockBias, " : "";
            using (w.Block(Invariant($"for (int c0 = 0; c0 < {g.InChannels}; c0 += chunk)")))
            {
                w.Line(Invariant($"int count = {MathClass}.Min(chunk, {g.InChannels} - c0);"));
                w.Line(Invariant($"bool first = c0 == 0, last = c0 + count == {g.InChannels};"));
                w.Line(Invariant($"ref float input = ref {At("row", Invariant($"c0 * {plan.PlaneStride}"))};"));
                w.Line(Invariant($"ref float passWeights = ref {At("blockWeights", Invariant($"c0 * {taps * PackedDirectPlan.Block}"))};"));
                using (w.Block("for (int ox = 0; ox < whole; ox += pixels)"))
                {
                    w.Line($"PassTile(path, ref {At("input", Offset(0, ("ox", g.StrideWidth)))}, ref passWeights, {biasArgument}ref {At("results", "ox * channels")}, count, first, last);");
                }

                using (w.Block(Invariant($"if (whole < {width})")))
                {
                    w.Line($"PassTile(path, ref {At("input", Invariant($"({width} - pixels) * {g.StrideWidth}"))}, ref passWeights, {biasArgument}ref {At("results", Invariant($"{width} * channels"))}, count, first, last);");
                }
            }

            w.Line();
            using (w.Block(Invariant($"if (whole < {width})")))
            {
                w.Line("// The moved-back tile's pixels whole .. the row's end, into their places.");
                w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At("results", "(whole + pixels) * channels")}, ({width} - whole) * channels)"));
                w.Line(Invariant($"    .CopyTo({MemoryMarshal}.CreateSpan(ref {At("results", "whole * channels")}, ({width} - whole) * channels));"));
            }

            w.Line(Invariant($"{StoreTile}(ref results, channels, {width}, {MathClass}.Min(channels, {g.OutChannels} - o0), ref {At("output", Invariant($"(o0 * {plane}) + (oy * {width})"))}, {plane});"));
        }

        w.Line();
        WriteTileSwitch(
            w,
            "register tile, one pass",
            $"PassTile(int path, ref float input, ref float weights, {biasParameter}ref float tile, int count, bool first, bool last)",
            paths.Select(p => (p.Index, Invariant($"{p.Plan.TileName}(ref input, ref weights, {(bias ? "ref bias, " : "")}ref tile, count, first, last);"))));

        foreach ((PackedDirectPathPlan tile, _) in paths)
        {
            w.Line();
            WriteTile(w, s, plan, tile);
        }
    }

    /// <summary>
    /// Where the form copies the input into padded planes, <c>top</c> and <c>bottom</c>: the padded rows that the part's rows,
    /// first / blocks .. (end − 1) / blocks, read, each row of the form's output <paramref name="step"/> padded rows on.
    /// </summary>
    private static void WriteReadRows(CodeWriter w, Conv2DGeometry g, PackedDirectPlan plan, int step, string what)
    {
        if (!plan.Copies)
        {
            return;
        }

        int reach = ((g.KernelHeight - 1) * g.DilationHeight) + 1 - g.StrideHeight;
        w.Line(Invariant($"// The padded input rows this part's {what}s read."));
        w.Line(Invariant($"int top = (first / blocks) * {step}, bottom = {MathClass}.Min(((((end - 1) / blocks) + 1) * {step}) {(reach < 0 ? "-" : "+")} {System.Math.Abs(reach)}, {plan.PaddedHeight});"));
    }

    /// <summary>
    /// The rented scratch's parts: the padded planes where the form copies, then <paramref name="name"/> (<paramref name="length"/>
    /// floats), then where the last tile's channels run past the layer's, the biases padded with zeros, which <c>bias</c> then refers to.
    /// </summary>
    private static void WriteScratch(CodeWriter w, Conv2DGeometry g, PackedDirectPlan plan, string name, long length, bool padsBias)
    {
        long band = plan.Copies ? (long)g.InChannels * plan.PlaneStride : 0;
        w.Line(Invariant($"KgSpan scratch = new KgSpan(rented, 0, {band + length + (padsBias ? plan.PaddedOutputs : 0)});"));
        if (plan.Copies)
        {
            w.Line($"ref float planes = ref {MemoryMarshal}.GetReference(scratch);");
            w.Line(Invariant($"ref float {name} = ref {At("planes", Invariant($"{band}"))};"));
        }
        else
        {
            w.Line($"ref float {name} = ref {MemoryMarshal}.GetReference(scratch);");
        }

        if (padsBias)
        {
            w.Line(Invariant($"KgSpan paddedBias = scratch.Slice({band + length}, {plan.PaddedOutputs});"));
            w.Line(Invariant($"paddedBias.Slice({g.OutChannels}).Clear();"));
            w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref bias, {g.OutChannels}).CopyTo(paddedBias);"));
            w.Line($"bias = ref {MemoryMarshal}.GetReference(paddedBias);");
        }
    }

    /// <summary>Sample <c>n</c>'s planes: its rows <c>top</c> .. <c>bottom</c> − 1 copied padded, or the input's planes as they are.</summary>
    private static void WriteSamplePlanes(CodeWriter w, Conv2DGeometry g, PackedDirectPlan plan)
    {
        if (plan.Copies)
        {
            w.Line(Invariant($"{Fill}(ref {At("input", Offset(0, ("n", g.InputLength)))}, ref planes, top, bottom);"));
        }
        else
        {
            w.Line(Invariant($"// No padding: the tiles read the input's planes as they are."));
            w.Line(Invariant($"ref float planes = ref {At("input", Offset(0, ("n", g.InputLength)))};"));
        }
    }

    /// <summary>
    /// A switch expression over the paths, as C#: <c>path switch { 0 => …, _ => … }</c>, the last case the default (the
    /// drivers are called with these paths' indices only).
    /// </summary>
    private static string PathSwitch(List<(int Index, string Value)> cases) =>
        $"path switch {{ {string.Join(", ", cases.Select((c, i) => $"{(i == cases.Count - 1 ? "_" : c.Index.ToString(System.Globalization.CultureInfo.InvariantCulture))} => {c.Value}"))} }}";

    /// <summary>A switch statement over the paths, each case one statement, the last the default.</summary>
    private static void WritePathSwitch(CodeWriter w, List<(int Index, string Statement)> cases)
    {
        using (w.Block("switch (path)"))
        {
            for (int i = 0; i < cases.Count; i++)
            {
                w.Line(i == cases.Count - 1 ? "default:" : Invariant($"case {cases[i].Index}:"));
                w.Line($"    {cases[i].Statement}");
                w.Line("    break;");
            }
        }
    }

    /// <summary>
    /// A tile method's dispatcher, <c>private static void {signature}</c>: path <c>path</c>'s <paramref name="what"/>, one
    /// case per path.
    /// </summary>
    private static void WriteTileSwitch(CodeWriter w, string what, string signature, IEnumerable<(int Index, string Call)> cases)
    {
        w.Line($"/// <summary>Path <paramref name=\"path\"/>'s {what}.</summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {signature}"))
        {
            WritePathSwitch(w, cases.ToList());
        }
    }

    /// <summary>
    /// Block by block, a part's rows of block <c>block</c>: <c>rowFirst</c> .. <c>rowEnd</c> − 1, those whose pair
    /// (row × blocks + block) is among the part's, <c>first</c> .. <c>end</c> − 1.
    /// </summary>
    private static void WriteBlockRows(CodeWriter w)
    {
        w.Line(Invariant($"// The part's rows of the block: those whose pair, row × blocks + block, is in first .. end − 1."));
        w.Line(Invariant($"int rowFirst = (first - block + blocks - 1) / blocks, rowEnd = (end - block + blocks - 1) / blocks;"));
    }

    /// <summary>
    /// The pairs a part does, <c>first</c> .. <c>end</c> − 1 of <c>pairs</c>: pair p stands at unit p × units / pairs, and the
    /// part does units <c>from</c> .. <c>to</c> − 1; it returns at once when it has none.
    /// </summary>
    private static void WritePartPairs(CodeWriter w, int units)
    {
        w.Line(Invariant($"int first = (int)((((long)from * pairs) + {units - 1}) / {units}), end = (int)((((long)to * pairs) + {units - 1}) / {units});"));
        using (w.Block("if (first >= end)"))
        {
            w.Line("return;");
        }
    }

    /// <summary>The maximum of <paramref name="values"/> as C#, taken in pairs.</summary>
    private static string Maximum(SimdPath path, List<string> values) => values.Count == 1
        ? values[0]
        : path.MaxOrNaN(Maximum(path, [.. values.Take(values.Count / 2)]), Maximum(path, [.. values.Skip(values.Count / 2)]));

    /// <summary>A literal offset plus a constant, as C#.</summary>
    private static string Sum(string offset, int constant) =>
        int.TryParse(offset, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int literal) ? Invariant($"{literal + constant}") : Plus(offset, constant);

    /// <summary>
    /// <c>PackedFill</c>: padded rows <c>top</c> .. <c>bottom</c> − 1 of every plane, each an input row copied at column
    /// (padding left) with the padding beside it cleared, or a row of padding cleared — each float written once (clearing
    /// the whole band first wrote the interior twice: ResNet's stem copies 635 KB a call). A part of a split call fills
    /// the rows its own output rows read.
    /// </summary>
    private static void WriteFill(CodeWriter w, Conv2DGeometry g, PackedDirectPlan plan)
    {
        int rows = System.Math.Min(g.Height, plan.PaddedHeight - g.PadTop), columns = System.Math.Min(g.Width, plan.PaddedWidth - g.PadLeft);
        w.Line(Invariant($"/// <summary>Writes padded rows <paramref name=\"top\"/> .. <paramref name=\"bottom\"/> − 1 of one sample's planes ({plan.PaddedHeight}×{plan.PaddedWidth}): input rows 0 .. {rows - 1}, columns 0 .. {columns - 1} stand at ({g.PadTop}, {g.PadLeft}), zeros around them.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {Fill}(ref float input, ref float planes, int top, int bottom)"))
        using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
        {
            w.Line(Invariant($"ref float plane = ref {At("planes", Invariant($"c * {plan.PlaneStride}"))};"));
            using (w.Block("for (int y = top; y < bottom; y++)"))
            {
                w.Line(Invariant($"ref float row = ref {At("plane", Invariant($"y * {plan.PaddedWidth}"))};"));
                if (rows <= 0 || columns <= 0)
                {
                    w.Line("// No input pixel is read: every tap falls in the padding.");
                    w.Line(Invariant($"{MemoryMarshal}.CreateSpan(ref row, {plan.PaddedWidth}).Clear();"));
                    return;
                }

                int right = plan.PaddedWidth - g.PadLeft - columns;
                void Clear(string at, int count) => w.Line(count == 1
                    ? $"{At("row", at)} = 0f;"
                    : Invariant($"{MemoryMarshal}.CreateSpan(ref {At("row", at)}, {count}).Clear();"));
                w.Line(g.PadTop > 0 ? Invariant($"int iy = y - {g.PadTop};") : "int iy = y;");
                using (w.Block(Invariant($"if ((uint)iy >= {rows})")))
                {
                    Clear("0", plan.PaddedWidth);
                    w.Line("continue;");
                }

                if (g.PadLeft > 0)
                {
                    Clear("0", g.PadLeft);
                }

                w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At("input", Invariant($"((c * {g.Height}) + iy) * {g.Width}"))}, {columns})"));
                w.Line(Invariant($"    .CopyTo({MemoryMarshal}.CreateSpan(ref {At("row", Invariant($"{g.PadLeft}"))}, {columns}));"));
                if (right > 0)
                {
                    Clear(Invariant($"{g.PadLeft + columns}"), right);
                }
            }
        }
    }
}
