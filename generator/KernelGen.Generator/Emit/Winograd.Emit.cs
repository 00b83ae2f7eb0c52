using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// A <c>[Conv2D]</c> kernel's Winograd form (<see cref="WinogradPlan"/>): <c>{Method}PackWeights(weights)</c>, which
/// transforms the weights once, and the overload <c>{Method}(input, PackedWeights, …)</c> that convolves with them.
/// Per call and sample: the input rows the part's blocks of tiles read are copied into its tile band
/// (<c>WinogradFill</c>, or <c>Vector512WinogradFill</c>); then for each block of tiles, every input channel's tiles
/// are transformed (the runtime's <c>WinogradTransforms</c> or <c>Winograd2x2Transforms</c>, shared by every layer),
/// a register-tiled product over the input channels gives each of the 36 or 16 points of every output channel, and each
/// output channel's products are transformed back and stored with bias and activation (<c>WinogradStore</c>). F(2×2)
/// transforms every block first where that fits 4 MB, then runs each register tile over every block.
/// </summary>
internal static class WinogradEmitter
{
    private const string Fill = "WinogradFill";
    private const string WideFill = "Vector512WinogradFill";

    /// <summary>
    /// The fewest tile columns for which the Vector512 path copies band rows 16 tiles at a time: its fixed cost per row (a
    /// copy into the padded row, a call, masked stores) lost to the scalar gather at 4 columns (ResNet's 14×14 planes: 9 %
    /// of the layer in <c>perf</c> against 5 %) and won at 7 (28×28: 13 % against 14 %) and 14 (56×56: 9 % against 17 %).
    /// </summary>
    private const int WideFillColumns = 6;
    private const string StoreTiles = "WinogradStore", ResidualStoreTiles = "WinogradResidualStore";

    /// <summary>The kernel class's entry, part and units of the Winograd overloads.</summary>
    private static readonly (string Run, string Part, string Units) Members = ("RunWinograd", "WinogradPart", "WinogradUnits");

    /// <summary>The same for the form that adds into the output (<see cref="ConvSpec.Residual"/>).</summary>
    private static readonly (string Run, string Part, string Units) ResidualMembers = ("RunWinogradResidual", "WinogradResidualPart", "WinogradUnits");

    /// <summary>The remarks that say the convolution also has a Winograd form, why, and how each path tiles it.</summary>
    public static string[] Remarks(ConvSpec s, WinogradPlan plan) =>
    [
        Invariant($"Winograd {plan.Name}, chosen because {plan.Choice(s)}: <c>{s.Method.Name}PackWeights</c> transforms the weights once and the overload taking them computes each {plan.Tile}×{plan.Tile} output tile with {plan.Points} products per pair of channels instead of {9 * plan.Tile * plan.Tile} ({plan.TileRows}×{plan.TileColumns} tiles per plane). The plain overload stays direct. Rounding: each output is within (input channels + 16) × 2⁻²⁴ × M of the exact sum, M being what the transforms compute on the magnitudes of the weights and inputs (KernelGen's docs/generated-code.md states the bound); an infinite input makes NaN the outputs of the tiles that read it, where the plain overload keeps it infinite."),
        .. plan.Paths.Select(p => Invariant($"{p.Path.Name}, Winograd: blocks of {p.Lanes} tile(s), register tiles of {p.Channels} output channel(s) × {p.Vectors} {(p.Path.IsScalar ? "tile(s)" : "vector(s) of tiles")}.")),
    ];

    /// <summary>The packing method and the Winograd overload, written into the user's type beside the partial method.</summary>
    public static void WriteMembers(CodeWriter w, ConvPlan conv, string kernel)
    {
        ConvSpec s = conv.Spec;
        MethodTarget m = s.Method;
        Conv2DGeometry g = s.Geometry;
        string weights = m.Parameters[1];
        WinogradPlan plan = conv.Winograd!;
        long length = plan.PackedLength(g);
        PackedOverload.WritePackMethod(w, m, kernel,
            Invariant($"Transforms <paramref name=\"{weights}\"/> (OIHW [{g.OutChannels}, {g.InChannels}, 3, 3], as <see cref=\"{m.Name}({PackedOverload.Cref(m)})\"/> takes them) for the Winograd overload of <c>{m.Name}</c>: each 3×3 kernel becomes its {plan.Patch}×{plan.Patch} <c>G g Gᵀ</c>, computed in double and rounded once ({Number(length)} floats, the last {WinogradPlan.MaxChannels} zero)."),
            g.WeightLength, length, "WinogradLayout", "WinogradPack");

        PackedOverload.WriteConvOverloads(w, m, g, kernel, "WinogradLayout", length, Members,
            Invariant($"<c>{m.Name}</c> by Winograd {plan.Name} over weights transformed once by <see cref=\"{m.Name}PackWeights\"/>: {plan.Points} products per {plan.Tile}×{plan.Tile} output tile where direct convolution takes {9 * plan.Tile * plan.Tile}; results differ from the plain overload's by rounding (bounded as the remarks say)."),
            Invariant($"The Winograd overload of <c>{m.Name}</c> on up to <paramref name=\"parallelism\"/>'s threads: {(m.HasBatch ? "the samples of the batch, or each sample's" : "its")} blocks of tiles × register tiles of output channels split among them, each thread copying into a tile band of its own the input rows its blocks read; the output is bit-identical to one thread's."));
        if (s.Residual is { } residual)
        {
            string then = residual.IsNone ? "" : Invariant($", then {residual}");
            PackedOverload.WriteConvOverloads(w, m, g, kernel, "WinogradLayout", length, ResidualMembers,
                Invariant($"The Winograd overload of <c>{m.Name}</c> with the sum that reads it fused: each output becomes the convolution plus what <paramref name=\"{m.Output}\"/> held (the sum's other operand){then}, bit-identical to the convolution followed by the sum."),
                Invariant($"<c>{m.Name}Residual</c> on up to <paramref name=\"parallelism\"/>'s threads, split as the Winograd overload is; the output is bit-identical to one thread's."),
                m.Name + "Residual");
        }
    }

    /// <summary>The kernel class's Winograd members: the layout, the weight transform, the dispatch, each path, the band's fill and the store.</summary>
    public static void WriteKernel(CodeWriter w, ConvPlan conv, WinogradPlan plan)
    {
        ConvSpec s = conv.Spec;
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias;
        w.Line("/// <summary>The transformed weights' layout, which the Winograd overload checks its argument against.</summary>");
        string layout = plan.Chunks(g) == 1
            ? Invariant($"[{plan.Points} points, {g.InChannels} input, {g.OutChannels} output channels]")
            : Invariant($"[{plan.Chunks(g)} chunks, {plan.Points} points, {g.InChannels} input, {plan.Chunk} output channels]");
        w.Line("public const string WinogradLayout =");
        w.Line(Invariant($"    \"Conv2D {g.InChannels}→{g.OutChannels} 3×3{(s.FlipKernel ? " flipped" : "")}: Winograd {plan.Name} weights, {layout}\";"));
        w.Line();
        WritePack(w, s, plan);
        w.Line();
        w.Line(Invariant($"/// <summary>"));
        w.Line(Invariant($"/// A sample's Winograd work splits into its {plan.Tiles} tiles × {g.OutChannels} output channels: a path's (block of tiles, register tile) pairs"));
        if (plan.Tile == 2)
        {
            w.Line("/// (or its register tiles, where it runs each over every block)");
        }

        w.Line("/// stand evenly spread over these units, and a part does the pairs that stand in its range.");
        w.Line(Invariant($"/// </summary>"));
        w.Line(Invariant($"public const int WinogradUnits = {plan.Units(g)};"));
        w.Line();
        WriteRunAndPart(w, g, plan, bias, Members, s.Residual is null ? null : "false");
        if (s.Residual is not null)
        {
            w.Line();
            WriteRunAndPart(w, g, plan, bias, ResidualMembers, "true");
        }

        foreach (WinogradPathPlan path in plan.Paths)
        {
            w.Line();
            WriteBand(w, s, plan, path);
            w.Line();
            WriteTile(w, g, plan, path);
        }

        w.Line();
        WriteFill(w, g, plan);
        if (Wide(plan, plan.Paths[0]))
        {
            w.Line();
            WriteWideFill(w, g, plan);
        }

        w.Line();
        WriteStore(w, s, plan, residual: false);
        if (s.Residual is not null)
        {
            w.Line();
            WriteStore(w, s, plan, residual: true);
        }
    }

    /// <summary><c>WinogradPack</c>: each kernel's <c>G g Gᵀ</c> in double, point by point, input channel by input channel, output channels contiguous.</summary>
    private static void WritePack(CodeWriter w, ConvSpec s, WinogradPlan plan)
    {
        Conv2DGeometry g = s.Geometry;
        int inputs = g.InChannels, outputs = g.OutChannels, patch = plan.Patch;
        w.Line(Invariant($"/// <summary>Kernel (o, c) becomes U = G g Gᵀ ({patch}×{patch}); point (a, b) of it goes to {(plan.Chunks(g) == 1 ? Invariant($"[{patch}a + b, c, o]") : Invariant($"[o / {plan.Chunk}, {patch}a + b, c, o mod {plan.Chunk}]"))}{(s.FlipKernel ? " — g rotated by 180° first, as the attribute asks" : "")}.</summary>"));
        using (w.Block("public static void WinogradPack(KgReadOnlySpan weights, KgSpan packed)"))
        {
            w.Line($"KgReadOnlyDoubles g = {plan.Transforms}.WeightMatrix;");
            w.Line(Invariant($"KgDoubles t = stackalloc double[{patch * 3}];"));
            using (w.Block(Invariant($"for (int o = 0; o < {outputs}; o++)")))
            using (w.Block(Invariant($"for (int c = 0; c < {inputs}; c++)")))
            {
                w.Line(Invariant($"KgReadOnlySpan kernel = weights.Slice(((o * {inputs}) + c) * 9, 9);"));
                w.Line(Invariant($"// t = G g: {patch} × 3."));
                using (w.Block(Invariant($"for (int a = 0; a < {patch}; a++)")))
                using (w.Block("for (int x = 0; x < 3; x++)"))
                {
                    string Tap(int y) => s.FlipKernel ? Invariant($"kernel[{(2 - y) * 3 + 2} - x]") : y == 0 ? "kernel[x]" : Invariant($"kernel[{y * 3} + x]");
                    w.Line($"t[(a * 3) + x] = (g[a * 3] * {Tap(0)}) + (g[(a * 3) + 1] * {Tap(1)}) + (g[(a * 3) + 2] * {Tap(2)});");
                }

                w.Line(Invariant($"// U = t Gᵀ: {patch} × {patch}, rounded to float once."));
                using (w.Block(Invariant($"for (int a = 0; a < {patch}; a++)")))
                using (w.Block(Invariant($"for (int b = 0; b < {patch}; b++)")))
                {
                    w.Line("double u = (t[a * 3] * g[b * 3]) + (t[(a * 3) + 1] * g[(b * 3) + 1]) + (t[(a * 3) + 2] * g[(b * 3) + 2]);");
                    w.Line(Invariant($"packed[{PackedIndex(plan, g, Invariant($"((a * {patch}) + b)"), "c", "o")}] = (float)u;"));
                }
            }
        }
    }

    /// <summary>
    /// <c>RunWinograd</c>, a whole call, and <c>WinogradPart</c>, one part of a call (or the residual form's, <paramref name="members"/>):
    /// a tile band of the part's own, and for each sample the widest path's <c>{Path}Winograd</c> over the part's units —
    /// told whether to add into the output (<paramref name="residual"/>, where the kernel has a residual form).
    /// </summary>
    private static void WriteRunAndPart(CodeWriter w, Conv2DGeometry g, WinogradPlan plan, bool bias, (string Run, string Part, string Units) members, string? residual)
    {
        string biasSpan = bias ? "KgReadOnlySpan bias, " : "";
        using (w.Block($"public static void {members.Run}(KgReadOnlySpan input, KgReadOnlySpan weights, {biasSpan}KgSpan output, int batch)"))
        {
            string biasReference = bias ? $"ref {MemoryMarshal}.GetReference(bias)" : "ref KgUnsafe.NullRef<float>()";
            w.Line($"{members.Part}(ref {MemoryMarshal}.GetReference(input), ref {MemoryMarshal}.GetReference(weights), {biasReference}, ref {MemoryMarshal}.GetReference(output), batch, 0, {members.Units});");
        }

        w.Line();
        w.Line(Invariant($"/// <summary>One part of a Winograd call{(residual == "true" ? " adding into the output" : "")}: every sample, the pairs of blocks of tiles and register tiles that stand in units <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1.</summary>"));
        using (w.Block($"public static void {members.Part}(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to)"))
        {
            w.Line(Invariant($"// The tile band ({Number(plan.BandLength(g))} floats) from the array pool: no call allocates once the pool holds it."));
            w.Line("float[] rented = KgArrayPool.Shared.Rent(WinogradBandLength);");
            using (w.Block("try"))
            {
                w.Line($"ref float band = ref {MemoryMarshal}.GetArrayDataReference(rented);");
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    string arguments = Invariant($"ref {At("input", Offset(0, ("n", g.InputLength)))}, ref band, ref weights, {(bias ? "ref bias, " : "")}ref {At("output", Offset(0, ("n", g.OutputLength)))}, from, to{(residual is null ? "" : ", " + residual)}");
                    WriteDispatch(w, plan.Paths.Select(p => p.Path), path => $"{path.Name}Winograd({arguments});");
                }
            }

            using (w.Block("finally"))
            {
                w.Line("KgArrayPool.Shared.Return(rented);");
            }
        }

        if (residual != "true")
        {
            w.Line();
            w.Line(Invariant($"/// <summary>Floats of one sample's tile band: {g.InChannels} input channels × {plan.BandPlanes} planes × {plan.PlaneStride}.</summary>"));
            w.Line(Invariant($"public const int WinogradBandLength = {plan.BandLength(g)};"));
        }
    }

    /// <summary>
    /// <c>{Path}Winograd</c>: one sample — the band rows the part's blocks of tiles read copied, then for each block
    /// every input channel's tiles transformed and the part's register tiles of output channels computed.
    /// </summary>
    private static void WriteBand(CodeWriter w, ConvSpec s, WinogradPlan plan, WinogradPathPlan path)
    {
        Conv2DGeometry g = s.Geometry;
        bool bias = s.Method.HasBias;
        int inputs = g.InChannels, outputs = g.OutChannels, lanes = path.Lanes, r = path.Channels;
        int blocks = (plan.Tiles + lanes - 1) / lanes, registerTiles = (outputs + r - 1) / r;
        bool allBlocks = plan.AllBlocks(g, path);
        int pointLanes = plan.PointLanes(g, path), pairs = allBlocks ? registerTiles : blocks * registerTiles;
        // Where a chunk's register tiles run together, they keep their products side by side (see WriteChunkChannels).
        int group = plan.ChunkGroup(g, path);
        long points = (long)plan.Points * WinogradPlan.PointStride(inputs, pointLanes), products = (long)plan.Points * r * lanes * group, tiles = (long)plan.Tile * plan.Tile * lanes;
        long scratch = points + products + tiles;
        string width = path.Path.IsScalar ? "Scalar" : Invariant($"{path.Path.Bits}");

        long units = plan.Units(g);
        w.Line(Invariant($"/// <summary>"));
        w.Line(Invariant($"/// One sample's Winograd {plan.Name} on {path.Path.Name}: blocks of {lanes} tile(s), register tiles of {r} output channel(s) × {path.Vectors}"));
        if (allBlocks)
        {
            w.Line(Invariant($"/// {(path.Path.IsScalar ? "tile(s)" : "vector(s) of tiles")}. Every block's tiles are transformed first; then each register tile runs over every block, so that"));
            w.Line(Invariant($"/// its transformed weights come from memory once. Register tile p stands at unit p × {units} / {pairs}: a part does those in"));
            w.Line(Invariant($"/// <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1, copying the whole input into <paramref name=\"band\"/> (parts of a split call repeat the copy and transform)."));
        }
        else
        {
            w.Line(Invariant($"/// {(path.Path.IsScalar ? "tile(s)" : "vector(s) of tiles")}. Of the {pairs} (block, register tile) pairs, pair p = block × {registerTiles} + register tile stands at unit p × {units} / {pairs}:"));
            w.Line(Invariant($"/// a part does those in <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1, copying into <paramref name=\"band\"/> the input rows of the blocks"));
            w.Line(Invariant($"/// they are in and transforming those blocks' tiles (parts of a split call share at most a block's copy and transform)."));
        }

        w.Line(Invariant($"/// </summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Path.Name}Winograd(ref float input, ref float band, ref float weights, {(bias ? "ref float bias, " : "")}ref float output, int from, int to{(s.Residual is null ? "" : ", bool residual")})"))
        {
            w.Line(Invariant($"int first = (int)((((long)from * {pairs}) + {units - 1}) / {units}), end = (int)((((long)to * {pairs}) + {units - 1}) / {units});"));
            using (w.Block("if (first >= end)"))
            {
                w.Line("return;");
            }

            w.Line();
            bool oneBlock = blocks == 1;
            string fill = Wide(plan, path) ? WideFill : Fill;
            if (allBlocks && !oneBlock)
            {
                w.Line(Invariant($"// Every block is read: every band row."));
                w.Line(Invariant($"{fill}(ref input, ref band, 0, {plan.TileRows + 1});"));
            }
            else if (oneBlock)
            {
                w.Line(Invariant($"// One block holds all {plan.Tiles} tiles: every band row is read."));
                w.Line(Invariant($"{fill}(ref input, ref band, 0, {plan.TileRows + 1});"));
            }
            else
            {
                w.Line(Invariant($"// The part's blocks. Each block's band rows (its tile rows' own and the next, of every input channel) are copied when"));
                w.Line("// the part comes to the block, so that they are transformed while still in cache.");
                w.Line(Invariant($"int firstBlock = first / {registerTiles}, endBlock = ((end - 1) / {registerTiles}) + 1;"));
                w.Line(Invariant($"int filled = firstBlock * {lanes} / {plan.TileColumns};"));
            }

            w.Line();
            w.Line(Invariant($"// Scratch from the array pool (no call allocates once the pool holds it): {(allBlocks && !oneBlock ? "every" : "one")} block's transformed inputs [{plan.Points} points, {inputs} channels,"));
            w.Line(Invariant($"// {pointLanes} tiles], {(group > 1 ? Invariant($"a chunk's {group} register tiles' products, each") : "one register tile's products")} [{plan.Points} points, {r} channels, {lanes} tiles], one channel's output tiles."));
            w.Line(Invariant($"float[] rented = KgArrayPool.Shared.Rent({scratch});"));
            using (w.Block("try"))
            {
                w.Line($"ref float points = ref {MemoryMarshal}.GetArrayDataReference(rented);");
                w.Line(Invariant($"ref float products = ref {At("points", Invariant($"{points}"))};"));
                w.Line(Invariant($"ref float tiles = ref {At("products", Invariant($"{products}"))};"));
                if (allBlocks && !oneBlock)
                {
                    WriteAllBlocks(w, g, plan, path, bias, s.Residual is not null);
                }
                else
                {
                    WriteBlocks(w, g, plan, path, bias, s.Residual is not null, blocks);
                }
            }

            WriteReturnScratch(w);
        }
    }

    /// <summary>Block by block, the part's blocks: each one's tiles transformed, then the part's register tiles of it.</summary>
    private static void WriteBlocks(CodeWriter w, Conv2DGeometry g, WinogradPlan plan, WinogradPathPlan path, bool bias, bool residual, int blocks)
    {
        int inputs = g.InChannels, outputs = g.OutChannels, lanes = path.Lanes, r = path.Channels, registerTiles = (outputs + r - 1) / r;
        string width = path.Path.IsScalar ? "Scalar" : Invariant($"{path.Path.Bits}"), fill = Wide(plan, path) ? WideFill : Fill;
        bool oneBlock = blocks == 1;
        if (oneBlock)
        {
            w.Line("// The pairs are the register tiles.");
            w.Line("const int t0 = 0;");
        }

        using (oneBlock ? default(CodeWriter.Scope?) : w.Block("for (int block = firstBlock; block < endBlock; block++)"))
        {
            if (!oneBlock)
            {
                w.Line(Invariant($"int t0 = block * {lanes}, rows = (({MathClass}.Min(t0 + {lanes}, {plan.Tiles}) - 1) / {plan.TileColumns}) + 2;"));
                using (w.Block("if (rows > filled)"))
                {
                    w.Line(Invariant($"{fill}(ref input, ref band, filled, rows);"));
                    w.Line("filled = rows;");
                }

                w.Line();
            }

            w.Line(Invariant($"// Tiles t0 .. t0 + {lanes - 1} of every input channel to the transform domain: points[point, channel, tile]."));
            using (w.Block(Invariant($"for (int c = 0; c < {inputs}; c++)")))
            {
                w.Line(Invariant($"{plan.Transforms}.Input{width}(ref {At("band", Invariant($"(c * {plan.ChannelStride}) + t0"))}, {plan.PlaneStride}, {plan.TileColumns}, ref {At("points", Invariant($"c * {lanes}"))}, {WinogradPlan.PointStride(inputs, lanes)}, {path.Vectors});"));
            }

            w.Line();
            w.Line(Invariant($"// This part's register tiles of the block, {r} output channels each: each point's products over every input channel, then each"));
            w.Line("// channel's tiles back to pixels.");
            string from = oneBlock ? Invariant($"first * {r}") : Invariant($"{MathClass}.Max(first - (block * {registerTiles}), 0) * {r}");
            string to = oneBlock ? Invariant($"end * {r}") : Invariant($"{MathClass}.Min(end - (block * {registerTiles}), {registerTiles}) * {r}");
            int group = plan.ChunkGroup(g, path);
            if (group == 1)
            {
                using (w.Block(Invariant($"for (int o = {from}; o < {to}; o += {r})")))
                {
                    WriteChannels(w, g, plan, path, bias, residual, lanes);
                }
            }
            else
            {
                w.Line(Invariant($"int limit = {to};"));
                using (w.Block(Invariant($"for (int o0 = {from}, next; o0 < limit; o0 = next)")))
                {
                    w.Line(Invariant($"// The part's register tiles in o0's chunk of {plan.Chunk} channels of the transformed weights, point by point: a point's weights of"));
                    w.Line(Invariant($"// the chunk, one stream of {Number((long)inputs * plan.Chunk * sizeof(float))} bytes, come from memory once and serve all {group} register tiles from cache."));
                    w.Line(Invariant($"next = {MathClass}.Min(limit, ((o0 / {plan.Chunk}) + 1) * {plan.Chunk});"));
                    WriteChunkChannels(w, g, plan, path, bias, residual);
                }
            }
        }
    }

    /// <summary>The <c>finally</c> that gives the part's scratch back to the array pool.</summary>
    private static void WriteReturnScratch(CodeWriter w)
    {
        using (w.Block("finally"))
        {
            w.Line("KgArrayPool.Shared.Return(rented);");
        }
    }

    /// <summary>
    /// The all-blocks order (<see cref="WinogradPlan.AllBlocks"/>): every block's tiles transformed, then for each of the
    /// part's register tiles every block — the register tile's weights, read from memory by the first block, stay in cache for the others.
    /// </summary>
    private static void WriteAllBlocks(CodeWriter w, Conv2DGeometry g, WinogradPlan plan, WinogradPathPlan path, bool bias, bool residual)
    {
        int inputs = g.InChannels, lanes = path.Lanes, r = path.Channels, pointLanes = plan.PointLanes(g, path);
        string width = path.Path.IsScalar ? "Scalar" : Invariant($"{path.Path.Bits}");
        w.Line(Invariant($"// Every block's tiles of every input channel to the transform domain: points[point, channel, tile]."));
        using (w.Block(Invariant($"for (int t0 = 0; t0 < {pointLanes}; t0 += {lanes})")))
        using (w.Block(Invariant($"for (int c = 0; c < {inputs}; c++)")))
        {
            w.Line(Invariant($"{plan.Transforms}.Input{width}(ref {At("band", Invariant($"(c * {plan.ChannelStride}) + t0"))}, {plan.PlaneStride}, {plan.TileColumns}, ref {At("points", Invariant($"(c * {pointLanes}) + t0"))}, {WinogradPlan.PointStride(inputs, pointLanes)}, {path.Vectors});"));
        }

        w.Line();
        w.Line(Invariant($"// This part's register tiles, {r} output channels each, over every block: each point's products over every input channel, then"));
        w.Line("// each channel's tiles back to pixels.");
        using (w.Block(Invariant($"for (int o = first * {r}; o < end * {r}; o += {r})")))
        using (w.Block(Invariant($"for (int t0 = 0; t0 < {pointLanes}; t0 += {lanes})")))
        {
            WriteChannels(w, g, plan, path, bias, residual, pointLanes);
        }
    }

    /// <summary>
    /// One register tile's output channels for the block: each point's products, then each channel's tiles transformed back
    /// and stored (the last register tile stores only the channels that exist).
    /// </summary>
    private static void WriteChannels(CodeWriter w, Conv2DGeometry g, WinogradPlan plan, WinogradPathPlan path, bool bias, bool residual, int pointLanes)
    {
        int inputs = g.InChannels, lanes = path.Lanes, r = path.Channels;
        using (w.Block(Invariant($"for (int point = 0; point < {plan.Points}; point++)")))
        {
            string at = Invariant($"point * {WinogradPlan.PointStride(inputs, pointLanes)}");
            w.Line(Invariant($"{path.TileName}(ref {At("points", pointLanes == lanes ? at : Invariant($"({at}) + t0"))}, ref {At("weights", PackedIndex(plan, g, "point", "0", "o"))}, ref {At("products", Invariant($"point * {r * lanes}"))});"));
        }

        WriteOutputs(w, g, plan, path, bias, residual, "products");
    }

    /// <summary>
    /// The register tiles o0 .. next − 1 of one chunk of the transformed weights, for the block: for each point every
    /// register tile's products (each into its own [point, channel, tile] products), then each channel's tiles transformed
    /// back and stored. Each register tile sums what it sums alone, so the output is bit for bit the same; only the order
    /// of the calls changes. A chunk wider than the path's register tile was read once per register tile, every point in
    /// turn: ResNet-18's 512-channel 7×7 layers on Vector256 (chunks of 24, register tiles of 6) read their 16.8 MB of
    /// transformed weights four times from memory.
    /// </summary>
    private static void WriteChunkChannels(CodeWriter w, Conv2DGeometry g, WinogradPlan plan, WinogradPathPlan path, bool bias, bool residual)
    {
        int inputs = g.InChannels, lanes = path.Lanes, r = path.Channels;
        long tileProducts = (long)plan.Points * r * lanes;
        int block = plan.InputBlock(g, path);
        using (w.Block(Invariant($"for (int point = 0; point < {plan.Points}; point++)")))
        {
            w.Line(Invariant($"ref float pointInputs = ref {At("points", Invariant($"point * {WinogradPlan.PointStride(inputs, lanes)}"))};"));
            string products = At("products", Invariant($"((o - o0) / {r} * {tileProducts}) + (point * {r * lanes})"));
            if (block < inputs)
            {
                w.Line(Invariant($"// {block} input channels at a time, so that the register tiles after the first read their inputs and weights from L1."));
                using (w.Block(Invariant($"for (int k = 0; k < {inputs}; k += {block})")))
                {
                    w.Line(Invariant($"int count = {MathClass}.Min({block}, {inputs} - k);"));
                    using (w.Block(Invariant($"for (int o = o0; o < next; o += {r})")))
                    {
                        w.Line(Invariant($"{path.TileName}(ref {At("pointInputs", Invariant($"k * {lanes}"))}, ref {At("weights", PackedIndex(plan, g, "point", "k", "o"))}, ref {products}, count, k == 0);"));
                    }
                }
            }
            else
            {
                using (w.Block(Invariant($"for (int o = o0; o < next; o += {r})")))
                {
                    w.Line(Invariant($"{path.TileName}(ref pointInputs, ref {At("weights", PackedIndex(plan, g, "point", "0", "o"))}, ref {products});"));
                }
            }
        }

        using (w.Block(Invariant($"for (int o = o0; o < next; o += {r})")))
        {
            w.Line(Invariant($"ref float tileProducts = ref {At("products", Invariant($"(o - o0) / {r} * {tileProducts}"))};"));
            WriteOutputs(w, g, plan, path, bias, residual, "tileProducts");
        }
    }

    /// <summary>
    /// Register tile o's channels (the last one's only those that exist): each one's tiles transformed back from its
    /// products at <paramref name="products"/> ([point, channel, tile]) and stored, added into the output where the call
    /// adds a residual.
    /// </summary>
    private static void WriteOutputs(CodeWriter w, Conv2DGeometry g, WinogradPlan plan, WinogradPathPlan path, bool bias, bool residual, string products)
    {
        int outputs = g.OutChannels, lanes = path.Lanes, r = path.Channels;
        string width = path.Path.IsScalar ? "Scalar" : Invariant($"{path.Path.Bits}");
        using (w.Block(Invariant($"for (int j = 0; j < {(outputs % r == 0 ? Invariant($"{r}") : Invariant($"{MathClass}.Min({r}, {outputs} - o)"))}; j++)")))
        {
            w.Line(Invariant($"{plan.Transforms}.Output{width}(ref {At(products, Invariant($"j * {lanes}"))}, {r * lanes}, ref tiles, {lanes}, {(bias ? At("bias", "o + j") : "0f")}, {path.Vectors});"));
            WriteStore(w, g, residual, lanes);
        }
    }

    /// <summary>Output channel o + j's tiles stored from <c>tiles</c> (added into the output where the call adds a residual).</summary>
    private static void WriteStore(CodeWriter w, Conv2DGeometry g, bool residual, int lanes)
    {
        string store = Invariant($"(ref tiles, {lanes}, ref {At("output", Invariant($"(o + j) * {g.OutputHeight * g.OutputWidth}"))}, t0);");
        if (residual)
        {
            using (w.Block("if (residual)"))
            {
                w.Line(ResidualStoreTiles + store);
            }

            using (w.Block("else"))
            {
                w.Line(StoreTiles + store);
            }
        }
        else
        {
            w.Line(StoreTiles + store);
        }
    }

    /// <summary>
    /// Where weight (point, input channel, output channel) is in the transformed weights: chunk of
    /// <see cref="WinogradPlan.Chunk"/> output channels by chunk, point by point, input channel by input channel, the
    /// chunk's channels contiguous — so that a register tile reads its weights for every point as one stream.
    /// </summary>
    private static string PackedIndex(WinogradPlan plan, Conv2DGeometry g, string point, string input, string output)
    {
        int chunk = plan.Chunk, inputs = g.InChannels;
        long perPoint = (long)inputs * chunk;
        string within = input == "0" ? "" : Invariant($" + ({input} * {chunk})");
        return plan.Chunks(g) == 1
            ? Invariant($"({point} * {perPoint}){within} + {output}")
            : Invariant($"((({output} / {chunk} * {plan.Points}) + {point}) * {perPoint}){within} + ({output} % {chunk})");
    }

    /// <summary>
    /// The register tile: for one point, <paramref name="channels"/> output channels × the path's vectors of tiles, summed
    /// over every input channel — each step loads the vectors of tiles once and broadcasts each channel's weight once.
    /// </summary>
    private static void WriteTile(CodeWriter w, Conv2DGeometry g, WinogradPlan winograd, WinogradPathPlan plan)
    {
        int pointLanes = winograd.PointLanes(g, plan);
        SimdPath path = plan.Path;
        int channels = plan.Channels;
        int vectors = plan.Vectors, lanes = plan.Lanes;
        bool blocked = winograd.InputBlock(g, plan) < g.InChannels;
        w.Line(Invariant($"/// <summary>One point's products for {channels} output channel(s) × {lanes} tile(s), over {(blocked ? "input channels 0 .. <paramref name=\"count\"/> − 1 from <paramref name=\"points\"/> on, adding to the products where this is not the <paramref name=\"first\"/> block of them" : Invariant($"all {g.InChannels} input channels"))}: products[j, tile] = Σ_c weights[c, j] × points[c, tile].</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {plan.TileName}(ref float points, ref float weights, ref float products{(blocked ? ", int count, bool first" : "")})"))
        {
            string Acc(int j, int v) => Invariant($"a{j}_{v}");
            var accumulators = Enumerable.Range(0, channels).SelectMany(j => Enumerable.Range(0, vectors).Select(v => (j, v))).ToList();
            if (blocked)
            {
                w.Line($"{path.Type} {string.Join(", ", accumulators.Select(a => Acc(a.j, a.v)))};");
                using (w.Block("if (first)"))
                {
                    foreach ((int j, int v) in accumulators)
                    {
                        w.Line($"{Acc(j, v)} = {path.Zero};");
                    }
                }

                using (w.Block("else"))
                {
                    foreach ((int j, int v) in accumulators)
                    {
                        w.Line($"{Acc(j, v)} = {path.Load("products", (j * lanes) + (v * path.Width))};");
                    }
                }
            }
            else
            {
                w.Line($"{path.Type} {string.Join(", ", accumulators.Select(a => $"{Acc(a.j, a.v)} = {path.Zero}"))};");
            }

            using (w.Block(blocked ? "for (int c = 0; c < count; c++)" : Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
            {
                w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, vectors).Select(v => Invariant($"x{v} = {path.Load("points", v * path.Width)}")))};");
                for (int j = 0; j < channels; j++)
                {
                    w.Line(Invariant($"{path.Type} w{j} = {path.Broadcast(At("weights", Invariant($"{j}")))};"));
                    for (int v = 0; v < vectors; v++)
                    {
                        w.Line($"{Acc(j, v)} = {path.MultiplyAdd(Invariant($"w{j}"), Invariant($"x{v}"), Acc(j, v))};");
                    }
                }

                if (!path.IsScalar)
                {
                    w.Line(Invariant($"// The weights stream from memory in large layers: ask for them {WinogradPlan.PrefetchFloats * sizeof(float) / 1024} KB ahead."));
                    for (int line = 0; line < (winograd.Chunk + 15) / 16; line++)
                    {
                        w.Line(Invariant($"KgWinograd.Prefetch(ref {At("weights", Invariant($"{WinogradPlan.PrefetchFloats + (16 * line)}"))});"));
                    }
                }

                w.Line(Invariant($"points = ref {Unsafe}.Add(ref points, {pointLanes});"));
                w.Line(Invariant($"weights = ref {Unsafe}.Add(ref weights, {winograd.Chunk});"));
            }

            for (int j = 0; j < channels; j++)
            {
                for (int v = 0; v < vectors; v++)
                {
                    w.Line(path.Store(Acc(j, v), "products", (j * lanes) + (v * path.Width)));
                }
            }
        }
    }

    /// <summary>
    /// <c>WinogradFill</c>: band rows <c>firstRow .. endRow − 1</c> of every input channel — plane (y mod m, j) holds, for
    /// tile (ty, tx), padded pixel (m·ty + y mod m, m·tx + j) at ⌊y / m⌋ · tile columns + tx — each row cleared first in
    /// every plane (the last to the plane's end, where the last block's padding lanes read), then the input pixels written.
    /// </summary>
    private static void WriteFill(CodeWriter w, Conv2DGeometry g, WinogradPlan plan)
    {
        int columns = plan.TileColumns, stride = plan.PlaneStride, m = plan.Tile;
        int rows = System.Math.Min(g.Height, (m * (plan.TileRows + 1)) - g.PadTop);
        w.Line("/// <summary>");
        w.Line(Invariant($"/// Copies band rows <paramref name=\"firstRow\"/> .. <paramref name=\"endRow\"/> − 1 (padded input rows {m} · firstRow .. {m} · endRow − 1) of every"));
        w.Line(Invariant($"/// input channel of one sample into the tile band: for padded row y and tap column j (0–{plan.Patch - 1}), plane (y mod {m}) · {plan.Patch} + j holds padded pixel"));
        w.Line(Invariant($"/// (y, {m}tx + j) of tile column tx at ⌊y / {m}⌋ · {columns} + tx. The rows are cleared first in each of a channel's {plan.BandPlanes} planes of"));
        w.Line(Invariant($"/// {stride} floats (padding, and after row {plan.TileRows} the last block's padding lanes), while they are in cache."));
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {Fill}(ref float input, ref float band, int firstRow, int endRow)"))
        {
            w.Line(Invariant($"int clear = firstRow * {columns}, cleared = (endRow > {plan.TileRows} ? {stride} : endRow * {columns}) - clear;"));
            string firstInput = g.PadTop == 0 ? Invariant($"firstRow * {m}") : Invariant($"{MathClass}.Max((firstRow * {m}) - {g.PadTop}, 0)");
            w.Line(Invariant($"int firstInput = {firstInput}, endInput = {MathClass}.Min({(g.PadTop == 0 ? Invariant($"endRow * {m}") : Plus(Invariant($"(endRow * {m})"), -g.PadTop))}, {rows});"));
            using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
            {
                using (w.Block(Invariant($"for (int plane = 0; plane < {plan.BandPlanes}; plane++)")))
                {
                    w.Line(Invariant($"{MemoryMarshal}.CreateSpan(ref {At("band", Invariant($"(c * {plan.ChannelStride}) + (plane * {stride}) + clear"))}, cleared).Clear();"));
                }

                using (w.Block("for (int iy = firstInput; iy < endInput; iy++)"))
                {
                    w.Line(Invariant($"int y = {Plus("iy", g.PadTop)};"));
                    w.Line(Invariant($"ref float source = ref {At("input", Invariant($"((c * {g.Height}) + iy) * {g.Width}"))};"));
                    w.Line($"ref float target = ref {BandRow(plan)};");
                    for (int j = 0; j < plan.Patch; j++)
                    {
                        // Tile column tx reads input column m·tx + j − padLeft: those inside the input.
                        int shift = j - g.PadLeft;
                        int first = shift >= 0 ? 0 : (-shift + m - 1) / m;
                        int last = g.Width - 1 - shift < 0 ? -1 : System.Math.Min(columns - 1, (g.Width - 1 - shift) / m);
                        if (last < first)
                        {
                            continue;
                        }

                        using (w.Block(Invariant($"for (int tx = {first}; tx <= {last}; tx++)")))
                        {
                            w.Line(Invariant($"{At("target", Plus("tx", j * stride))} = {At("source", Plus(Invariant($"(tx * {m})"), shift))};"));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Where padded input row <c>y</c> of channel <c>c</c> starts in the band: plane (y mod m) · (m + 2) + 0, band row
    /// ⌊y / m⌋ — the layout both fills write and the runtime's input transforms read.
    /// </summary>
    private static string BandRow(WinogradPlan plan)
    {
        int shift = plan.Tile == 4 ? 2 : 1;
        return At("band", Invariant($"(c * {plan.ChannelStride}) + ((y & {plan.Tile - 1}) * {plan.Patch * plan.PlaneStride}) + ((y >> {shift}) * {plan.TileColumns})"));
    }

    /// <summary>
    /// Whether <paramref name="path"/> copies band rows by <c>Vector512WinogradFill</c>: F(4×4) on Vector512 where the plane
    /// has at least <see cref="WideFillColumns"/> tile columns (the runtime's row copy deinterleaves every fourth pixel).
    /// </summary>
    private static bool Wide(WinogradPlan plan, WinogradPathPlan path) => plan.Tile == 4 && path.Path.Bits == 512 && plan.TileColumns >= WideFillColumns;

    /// <summary>
    /// <c>Vector512WinogradFill</c>: as <c>WinogradFill</c>, each input row copied into a zero-padded row and from there
    /// into its six planes 16 tiles at a time (the runtime's <c>WinogradBandRows</c>: AVX-512 two-source permutes instead
    /// of a scalar gather of every fourth pixel); padding rows cleared in place, so only the last block's padding lanes
    /// past the band's last row need clearing besides.
    /// </summary>
    private static void WriteWideFill(CodeWriter w, Conv2DGeometry g, WinogradPlan plan)
    {
        int columns = plan.TileColumns, stride = plan.PlaneStride, rows = plan.TileRows + 1;
        w.Line(Invariant($"/// <summary>As <see cref=\"{Fill}\"/>, 16 tiles at a time: each input row through a copy with its padding, padding rows written as zeros in place.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {WideFill}(ref float input, ref float band, int firstRow, int endRow)"))
        {
            w.Line(Invariant($"// An input row with {g.PadLeft} zero(s) before it and zeros after, as far as the last step of 16 tiles reads."));
            w.Line(Invariant($"KgSpan padded = stackalloc float[KgWinogradRows.PaddedLength({columns})];"));
            w.Line("padded.Clear();");
            w.Line(Invariant($"KgSpan row = padded.Slice({g.PadLeft}, {g.Width});"));
            w.Line(Invariant($"int tail = endRow > {plan.TileRows} ? {stride - (rows * columns)} : 0;"));
            using (w.Block(Invariant($"for (int c = 0; c < {g.InChannels}; c++)")))
            {
                using (w.Block("for (int y = firstRow * 4; y < endRow * 4; y++)"))
                {
                    w.Line($"ref float target = ref {BandRow(plan)};");
                    w.Line(Invariant($"int iy = {Plus("y", -g.PadTop)};"));
                    using (w.Block(Invariant($"if ((uint)iy < {g.Height})")))
                    {
                        w.Line(Invariant($"KgMarshal.CreateReadOnlySpan(ref {At("input", Invariant($"((c * {g.Height}) + iy) * {g.Width}"))}, {g.Width}).CopyTo(row);"));
                        w.Line(Invariant($"KgWinogradRows.Fill(padded, ref target, {stride}, {columns});"));
                        w.Line("continue;");
                    }

                    w.Line("// A padding row.");
                    using (w.Block(Invariant($"for (int j = 0; j < {plan.Patch}; j++)")))
                    {
                        w.Line(Invariant($"KgMarshal.CreateSpan(ref {At("target", Invariant($"j * {stride}"))}, {columns}).Clear();"));
                    }
                }

                w.Line(Invariant($"// Past row {plan.TileRows}, the last block's padding lanes."));
                using (w.Block(Invariant($"for (int plane = 0; tail > 0 && plane < {plan.BandPlanes}; plane++)")))
                {
                    w.Line(Invariant($"KgMarshal.CreateSpan(ref {At("band", Invariant($"(c * {plan.ChannelStride}) + (plane * {stride}) + {rows * columns}"))}, tail).Clear();"));
                }
            }
        }
    }

    /// <summary>
    /// <c>WinogradStore</c>: one output channel's tiles of a block (bias added already), tile row by tile row and output
    /// row by output row, m pixels per tile (fewer in the last tile column and row), with the activation; or, with
    /// <paramref name="residual"/>, <c>WinogradResidualStore</c>: each pixel added to what the output holds, then the sum's
    /// activation (<see cref="ConvSpec.Residual"/>).
    /// </summary>
    private static void WriteStore(CodeWriter w, ConvSpec s, WinogradPlan plan, bool residual)
    {
        Conv2DGeometry g = s.Geometry;
        int columns = plan.TileColumns;
        int m = plan.Tile, lastRows = g.OutputHeight - (m * (plan.TileRows - 1)), lastColumns = g.OutputWidth - (m * (columns - 1));
        ActivationSpec activation = residual ? s.Residual!.Value : s.Activation;
        string then = activation.IsNone ? "" : Invariant($", with {activation}");
        w.Line(residual
            ? Invariant($"/// <summary>Adds tiles t0 .. t0 + lanes − 1 of one output channel (pixel (r, c) of tile t at tiles[({m}r + c) · lanes + t − t0]) to its {g.OutputHeight}×{g.OutputWidth} plane, which holds the residual{then}.</summary>")
            : Invariant($"/// <summary>Stores tiles t0 .. t0 + lanes − 1 of one output channel (pixel (r, c) of tile t at tiles[({m}r + c) · lanes + t − t0]) into its {g.OutputHeight}×{g.OutputWidth} plane{then}.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {(residual ? ResidualStoreTiles : StoreTiles)}(ref float tiles, int lanes, ref float output, int t0)"))
        {
            w.Line(Invariant($"int end = {MathClass}.Min(t0 + lanes, {plan.Tiles});"));
            using (w.Block(Invariant($"for (int ty = t0 / {columns}; ty * {columns} < end; ty++)")))
            {
                w.Line(Invariant($"int first = {MathClass}.Max(t0, ty * {columns}) - t0, last = {MathClass}.Min(end, (ty + 1) * {columns}) - t0;"));
                if (lastColumns < m)
                {
                    w.Line(Invariant($"// The plane's last tile column holds {lastColumns} pixel column(s)."));
                    w.Line(Invariant($"int whole = {MathClass}.Min(last, ((ty + 1) * {columns}) - 1 - t0);"));
                }

                w.Line(Invariant($"int rows = {(lastRows == m ? Invariant($"{m}") : Invariant($"ty == {plan.TileRows - 1} ? {lastRows} : {m}"))};"));
                using (w.Block("for (int r = 0; r < rows; r++)"))
                {
                    w.Line(Invariant($"ref float target = ref {At("output", Invariant($"((ty * {m}) + r) * {g.OutputWidth}"))};"));
                    w.Line($"ref float source = ref {At("tiles", Invariant($"r * {m} * lanes"))};");
                    void Tile(int pixels)
                    {
                        w.Line(Invariant($"int x = (t0 + i - (ty * {columns})) * {m};"));
                        for (int c = 0; c < pixels; c++)
                        {
                            string value = At("source", c == 0 ? "i" : Invariant($"i + {(c == 1 ? "lanes" : $"({c} * lanes)")}"));
                            string target = At("target", Plus("x", c));
                            w.Line($"{target} = {ActivationText.Apply(activation, residual ? $"({value} + {target})" : value)};");
                        }
                    }

                    string whole = lastColumns < m ? "whole" : "last";
                    SimdPath? vector = m == 4 && activation.Vectorised ? plan.Paths.Select(p => p.Path).FirstOrDefault(p => p.Bits == 128) : null;
                    w.Line("int i = first;");
                    if (vector is not null)
                    {
                        w.Line(residual
                            ? "// Four whole tiles at a time: a vector per pixel column, transposed into the tiles' pixel rows and added to them."
                            : "// Four whole tiles at a time: a vector per pixel column, transposed into the tiles' pixel rows.");
                        using (w.Block($"if ({vector.Condition})"))
                        using (w.Block($"for (; i + 4 <= {whole}; i += 4)"))
                        {
                            w.Line(Invariant($"int x = (t0 + i - (ty * {columns})) * {m};"));
                            string Column(int c) => vector.Load("source", c == 0 ? "i" : Invariant($"i + {(c == 1 ? "lanes" : $"({c} * lanes)")}"));
                            w.Line($"{vector.Type} {string.Join(", ", Enumerable.Range(0, m).Select(c => $"c{c} = {Column(c)}"))};");
                            if (residual)
                            {
                                w.Line("KgWinograd.Transpose4(ref c0, ref c1, ref c2, ref c3);");
                                w.Line($"ref float pixels = ref {At("target", "x")};");
                                for (int c = 0; c < m; c++)
                                {
                                    w.Line(vector.Store(ActivationText.Apply(vector, activation, $"(c{c} + {vector.Load("pixels", c * m)})"), "pixels", c * m));
                                }
                            }
                            else
                            {
                                string columnsOut = string.Join(", ", Enumerable.Range(0, m).Select(c => ActivationText.Apply(vector, s.Activation, $"c{c}")));
                                w.Line($"KgWinograd.StoreTiles4({columnsOut}, ref {At("target", "x")});");
                            }
                        }
                    }

                    using (w.Block($"for (; i < {whole}; i++)"))
                    {
                        Tile(m);
                    }

                    if (lastColumns < m)
                    {
                        using (w.Block("for (; i < last; i++)"))
                        {
                            Tile(lastColumns);
                        }
                    }
                }
            }
        }
    }
}
