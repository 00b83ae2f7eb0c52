using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// One path's register tile of the packed direct form: <paramref name="Pixels"/> consecutive output pixels of a row ×
/// <paramref name="Vectors"/> vectors of output channels. When the row is not a whole number of tiles
/// (<see cref="MovedBack"/>), its last tile is moved back to end at the row's end: it computes some pixels the tile before
/// it computed, the same way, and stores the same values again — one tile method per path, not one more for the tail.
/// </summary>
/// <remarks>
/// A tile of the pooled form (<paramref name="Pool"/> k above 0, <see cref="ConvSpec.MaxPool"/>) covers k rows and
/// <paramref name="Pixels"/> × k columns of the convolution's output and keeps the maximum of each k × k window:
/// <paramref name="Pixels"/> is then its pooled pixels, and a row is a row of the pool's output.
/// </remarks>
internal sealed record PackedDirectPathPlan(SimdPath Path, int Pixels, int Vectors, bool MovedBack, Unroll Unroll, int Pool = 0)
{
    /// <summary>Output channels per tile: the vectors' lanes.</summary>
    public int Channels => Vectors * Path.Width;

    /// <summary>Rows of the convolution's output a tile computes: the pool's window, or one.</summary>
    public int Rows => Math.Max(Pool, 1);

    /// <summary>Pixels of the convolution's output a tile computes in each of its rows.</summary>
    public int Columns => Pixels * Rows;

    /// <summary>The register tile's method.</summary>
    public string TileName => FormattableString.Invariant($"{Path.Name}{(Pool > 0 ? "PooledTile" : Chunk > 0 ? "RowTile" : "ChannelTile")}{Pixels}x{Vectors}");

    /// <summary>
    /// Where this path sums the input channels in passes over a row (<see cref="PackedPassPlan"/>), that plan; null where a
    /// tile sums every input channel at once.
    /// </summary>
    public PackedPassPlan? Passes { get; init; }

    /// <summary>Input channels per pass (<see cref="Passes"/>); 0 where a tile sums every input channel at once.</summary>
    public int Chunk => Passes?.Chunk ?? 0;

    /// <summary>
    /// Where this path computes a 1×1 layer as a matrix product over panels of pixels instead (<see cref="PackedPanelPlan"/>),
    /// that tile; null where it keeps the channel tile above.
    /// </summary>
    public PackedPanelPlan? Panel { get; init; }
}

/// <summary>
/// One path's tile of a 1×1 layer computed as a matrix product, as MLAS and BLIS compute one: per call, a panel of
/// <see cref="Pixels"/> output pixels' inputs is copied, [input channel, pixel], so that each input channel's pixels are
/// one cache line or two (read from the planes, they stand a plane apart); a tile of <paramref name="Rows"/> output channels
/// × <paramref name="Vectors"/> vectors of the panel's pixels broadcasts each channel's weight and multiplies it by the
/// panel's vectors, and stores its sums straight into the output planes (no transposed store: the lanes are pixels).
/// A layer that is not a whole number of panels or tiles ends in one moved back, as the channel tiles' rows do.
/// </summary>
internal sealed record PackedPanelPlan(SimdPath Path, int Rows, int Vectors)
{
    /// <summary>Output pixels per panel: the vectors' lanes.</summary>
    public int Pixels => Vectors * Path.Width;

    /// <summary>The tile's method.</summary>
    public string TileName => FormattableString.Invariant($"{Path.Name}PanelTile{Rows}x{Vectors}");

    /// <summary>
    /// The panel tile for <paramref name="path"/>, or null: on Vector256 only, for a 1×1 layer without padding and an
    /// activation applied in registers, of at least <see cref="Rows"/> output channels and one panel of output pixels.
    /// 6 channels × 2 vectors is MLAS's AVX2 tile: 12 accumulators, the panel's two vectors and one broadcast fill 15 of
    /// the 16 registers. On an AVX2 machine pointwise_256 ran 354–415 µs in it against 503–545 in the channel tiles of
    /// 2 pixels × 32 channels, whose broadcasts read one cache line per input channel a plane apart; the Vector512 and
    /// Vector128 paths (32 registers) keep their channel tiles, which no machine here measured against a panel tile. So does
    /// a layer whose panels would compute more than 9/8 of its pixels (ResNet's 7×7 output, 49 pixels in 4 panels of 16,
    /// measured 226–284 µs against 231 in channel tiles; its 28×28 strided 1×1 layer, 784 pixels, 220–245 against 358–417).
    /// </summary>
    public static PackedPanelPlan? For(ConvSpec spec, SimdPath path)
    {
        Conv2DGeometry g = spec.Geometry;
        var tile = new PackedPanelPlan(path, 6, 2);
        bool pointwise = g.KernelHeight == 1 && g.KernelWidth == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;
        long pixels = (long)g.OutputHeight * g.OutputWidth, computed = (pixels + tile.Pixels - 1) / tile.Pixels * tile.Pixels;
        return path.Name == "Vector256" && pointwise && spec.MaxPool == 0 && spec.Activation.Vectorised
            && g.OutChannels >= tile.Rows && pixels >= tile.Pixels && computed * 8 <= pixels * 9
            ? tile
            : null;
    }
}

/// <summary>
/// A path's channel tiles summing the input channels <paramref name="Chunk"/> at a time, as MLAS's NCHWc kernels sum one
/// block of 8: for an output row and a block of output channels, each pass runs every tile of the row over its chunk of
/// input channels, starting from the sums the pass before left in a row of results, so that the chunk's weights
/// (<paramref name="ChunkWeightBytes"/>, at most <see cref="ChunkBytes"/>) and input rows stay in L1 across the row's tiles; the last pass applies the activation. Each
/// pixel's products are summed in the same order as in one pass, so the output is bit for bit the same. Where every
/// block's weights fit in L2 beside the input (<see cref="RowsOuterBytes"/>), a part runs its (row, block) pairs row by row
/// (<paramref name="RowsOuter"/>), so that a row's input rows serve every block; else block by block, as the one-pass
/// driver does.
/// </summary>
/// <remarks>
/// On an AVX2 machine (alternated in one process, median of 15 rounds) resnet_3x3_s2 in tiles of 4 pixels × 16 channels ran
/// 0.87× the one-pass time in chunks of 8 channels block by block, 0.75–0.77× in chunks of 8 or 16 row by row, where
/// ONNX Runtime ran 0.66–0.74×; tiles of 3 pixels × 32 channels (12 accumulators, MLAS's shape) measured no faster.
/// </remarks>
internal sealed record PackedPassPlan(int Chunk, long ChunkWeightBytes, bool RowsOuter)
{
    /// <summary>The most bytes of weights a pass of a tile takes: a quarter of this machine's 32 KB L1 and a little more.</summary>
    public const long ChunkBytes = 9 * 1024;

    /// <summary>The most bytes of packed weights for which a part runs row by row: well within a 512 KB L2 beside a row's input.</summary>
    public const long RowsOuterBytes = 384 * 1024;

    /// <summary>
    /// The passes for <paramref name="tile"/>, or null: on Vector256 only (the path measured), for channel tiles of the
    /// plain form with an activation applied in registers, where one pass's weights would exceed <see cref="ChunkBytes"/>.
    /// </summary>
    public static PackedPassPlan? For(ConvSpec spec, PackedDirectPathPlan tile)
    {
        Conv2DGeometry g = spec.Geometry;
        long perChannel = (long)g.KernelHeight * g.KernelWidth * tile.Channels * sizeof(float);
        int chunk = (int)Math.Max(1, ChunkBytes / perChannel);
        long weights = (long)g.InChannels * g.KernelHeight * g.KernelWidth * ConvPlanner.RoundUp(g.OutChannels, tile.Channels) * sizeof(float);
        return tile.Path.Name == "Vector256" && tile.Panel is null && tile.Pool == 0 && (spec.Activation.IsNone || spec.Activation.Vectorised)
            && chunk < g.InChannels
            ? new PackedPassPlan(chunk, chunk * perChannel, weights <= RowsOuterBytes)
            : null;
    }
}

/// <summary>
/// Direct convolution with the output channels on the vector axis, as MLAS's NCHWc kernels and oneDNN's blocked ones
/// compute it: the weights are packed once (<c>PackWeights</c>) so that each tap's output channels are contiguous
/// (<c>[input channel, ky, kx, output channel]</c>); a register tile broadcasts one input pixel and multiplies it by a
/// vector of output channels' weights. A strided tap costs what any tap costs (the input is read one float at a time),
/// no lane holds a pixel past the row (the lanes are channels), and each weight vector serves every pixel of the tile.
/// The input is copied once per sample into padded planes (<see cref="PaddedHeight"/> × <see cref="PaddedWidth"/>)
/// unless it has no padding to add (<see cref="Copies"/> false), so that no tap checks a bound.
/// </summary>
internal sealed record PackedDirectPlan(int PaddedHeight, int PaddedWidth, bool Copies, int PaddedOutputs, EquatableArray<PackedDirectPathPlan> Paths)
{
    /// <summary>
    /// The tiles of the pooled form, <c>{Method}Pooled</c>, for a convolution a network fuses a max pool into
    /// (<see cref="ConvSpec.MaxPool"/>); empty for every other.
    /// </summary>
    public EquatableArray<PackedDirectPathPlan> PooledPaths { get; init; } = EquatableArray<PackedDirectPathPlan>.Empty;

    /// <summary>The pooled form's window and stride, k (its output is the convolution's, k × k windows at stride k, no padding); 0 without one.</summary>
    public int Pool => PooledPaths.Count > 0 ? PooledPaths[0].Pool : 0;

    /// <summary>
    /// The most bytes of weights a tile's channels may take: three quarters of this machine's 1 MB L2 (a 512-channel 3×3 layer in
    /// tiles of 64 channels, 1.2 MB, measured 0.8× the plain tiles; in tiles of 32, 0.6 MB, faster).
    /// </summary>
    public const long WeightBytes = 768 * 1024;

    /// <summary>The most bytes of weights a tile's channels may take and stay in this machine's 32 KB L1 data cache.</summary>
    public const long L1WeightBytes = 32 * 1024;

    /// <summary>The most taps of a kernel row a tile writes out (beyond, it loops over the columns).</summary>
    public const int RowTaps = 3;

    /// <summary>
    /// Issue slots per tap of a looped kernel row's loop (two references moved, a count and a branch), which a wider tile
    /// spreads over more multiply-adds; counted on Vector256, whose tiles are bound by issue rather than multiply-adds. With
    /// it ResNet's stem (7×7, stride 2) tiles 6 pixels × 16 channels, not 4 × 16: 24 instructions a tap for 12 multiply-adds
    /// where 4 × 16 took 18 for 8, the stem in the network 3.37–3.63 ms against 3.89–3.91 (AVX2 machine, alternated runs).
    /// </summary>
    public const double LoopSlots = 2;

    /// <summary>The most output channels a tile takes (a power of two, as every tile's channels are).</summary>
    public const int MaxChannels = 64;

    /// <summary>
    /// Output channels per block of the packed weights: a block's weights, [input channel, ky, kx, 16 channels], are
    /// contiguous, so a tile streams its blocks in order (laid out [input channel, ky, kx, output channel] instead, a
    /// 512-channel layer's taps stood 2 KB apart and the tiles ran at 60 % of the plain ones' speed, page by page).
    /// </summary>
    public const int Block = 16;

    /// <summary>Floats between two padded planes of the copy.</summary>
    public int PlaneStride => PaddedHeight * PaddedWidth;

    /// <summary>Floats of one block of packed weights: 16 output channels of every input channel and tap.</summary>
    public static long BlockStride(Conv2DGeometry g) => (long)g.InChannels * g.KernelHeight * g.KernelWidth * Block;

    /// <summary>Floats of packed weights: the output channels padded with zeros to <see cref="PaddedOutputs"/>, the widest tile's multiple.</summary>
    public long PackedLength(Conv2DGeometry g) => BlockStride(g) / Block * PaddedOutputs;

    /// <summary>Floats from output channel <paramref name="o"/>'s weights to those of channel <paramref name="o"/> + <paramref name="channels"/>, both in a tile (a power of two apart, or a whole block).</summary>
    public static long ChannelOffset(Conv2DGeometry g, int channels) => (channels / Block * BlockStride(g)) + (channels % Block);

    /// <summary>
    /// The units a split call divides among threads: output rows × output channels (at most <see cref="int.MaxValue"/>);
    /// for the pooled form (<paramref name="window"/> k), the pool's output rows × output channels.
    /// </summary>
    public static int Units(Conv2DGeometry g, int window = 1) => (int)Math.Min((long)(g.OutputHeight / window) * g.OutChannels, int.MaxValue);

    /// <summary>
    /// The plan for <paramref name="spec"/>, or null when its packed overload is not this one: asked for
    /// (<c>ConvAlgorithm.PackedDirect</c>), or chosen by Auto where the plain tiles waste work — see <see cref="Pays"/>.
    /// </summary>
    public static PackedDirectPlan? For(ConvSpec spec, bool legacyIntrinsics, bool winograd)
    {
        Conv2DGeometry g = spec.Geometry;
        bool asked = spec.Algorithm == ConvAlgorithmChoice.PackedDirect;
        if (g.Groups != 1 || !(asked || (spec.Algorithm == ConvAlgorithmChoice.Auto && !winograd && Pays(g))))
        {
            return null;
        }

        int height = g.PlaneRows, width = ((g.OutputWidth - 1) * g.StrideWidth) + ((g.KernelWidth - 1) * g.DilationWidth) + 1;
        bool copies = g.PadTop > 0 || g.PadLeft > 0 || g.PadBottom > 0 || g.PadRight > 0;
        var paths = SimdPath.ForTiles(legacyIntrinsics)
            .Select(p => PlanPath(g, p, pool: 0) with { Panel = PackedPanelPlan.For(spec, p) })
            .Select(t => t with { Passes = PackedPassPlan.For(spec, t) })
            .ToEquatableArray();
        var pooled = spec.MaxPool > 0
            ? SimdPath.ForTiles(legacyIntrinsics).Select(p => PlanPath(g, p, spec.MaxPool)).ToEquatableArray()
            : EquatableArray<PackedDirectPathPlan>.Empty;
        int widest = Math.Max(Block, paths.Concat(pooled).Max(p => p.Channels));
        return new PackedDirectPlan(copies ? height : g.Height, copies ? width : g.Width, copies, (int)ConvPlanner.RoundUp(g.OutChannels, widest), paths)
        {
            PooledPaths = pooled,
        };
    }

    /// <summary>
    /// Auto's rule: one group, at least 32 output channels and 64 products per output (so the transposed store is a
    /// small part of a tile), and a shape the plain tiles serve badly — a stride (their input loads split into phases;
    /// resnet_3x3_s2 measured 1.2× the plain tiles, ResNet's 7×7 stem 1.1×), a 1×1 kernel (a matrix product whose
    /// vectors here are the weights; pointwise_256 1.26×, ResNet's strided 1×1 layers 2.2×) or output rows of fewer
    /// than 16 pixels (their vectors' lanes run past the row).
    /// </summary>
    private static bool Pays(Conv2DGeometry g)
    {
        int taps = g.KernelHeight * g.KernelWidth;
        return g.OutChannels >= 32 && (long)g.InChannels * taps >= 64
            && (g.StrideHeight > 1 || g.StrideWidth > 1 || taps == 1 || g.OutputWidth < 16);
    }

    /// <summary>
    /// Why it was chosen, for the generated remarks: Auto's rule where it holds (a network's inference asks for the form
    /// where the rule holds and Winograd does not pay in a network, see <c>NetworkPacked.Planned</c>), else the attribute.
    /// </summary>
    public static string Choice(ConvSpec spec)
    {
        Conv2DGeometry g = spec.Geometry;
        return spec.MaxPool > 0 && !Pays(g)
            ? FormattableString.Invariant($"a {spec.MaxPool}×{spec.MaxPool} max pool follows it in the network: its tiles take each window's maximum of whole vectors of channels in registers, and only the pooled output is stored")
            : spec.Algorithm == ConvAlgorithmChoice.PackedDirect && (g.Groups != 1 || !Pays(g)) ? "the attribute asks for it (Algorithm = ConvAlgorithm.PackedDirect)"
            : g.StrideHeight > 1 || g.StrideWidth > 1 ? FormattableString.Invariant($"the stride is {g.StrideHeight}×{g.StrideWidth}: a strided tap is one broadcast here, where vectors of pixels need phases")
            : g.KernelHeight * g.KernelWidth == 1 ? "the kernel is 1×1: a matrix product whose vectors are the weights"
            : FormattableString.Invariant($"output rows of {g.OutputWidth} pixels leave vectors of pixels partly empty; vectors of channels are full");
    }

    /// <summary>
    /// The broadcast registers a tile of <paramref name="columns"/> output pixels along a row holds: one, and where a
    /// kernel row's taps are written out (<see cref="Unroll.Rows"/>), one more for each input pixel that two taps of the
    /// row read, since the JIT loads it once and keeps it for both. Left out, a 3×3 layer's tiles spilled: mnist_conv2 in
    /// tiles of 11 pixels × 8 channels kept 7 broadcasts on the stack (68 µs), in 6 × 16 five (65 µs); in 4 × 16, which fits
    /// (8 accumulators, 2 weight vectors, 5 broadcasts), it ran 54 µs, level with ONNX Runtime (AVX2 machine).
    /// </summary>
    private static int Broadcasts(Conv2DGeometry g, SimdPath path, int columns)
    {
        if (path.IsScalar || g.KernelWidth < 2 || g.KernelWidth > RowTaps)
        {
            return 1;
        }

        var reads = new Dictionary<int, int>();
        for (int p = 0; p < columns; p++)
        {
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int column = (p * g.StrideWidth) + (kx * g.DilationWidth);
                reads[column] = reads.TryGetValue(column, out int n) ? n + 1 : 1;
            }
        }

        return 1 + reads.Values.Count(n => n > 1);
    }

    /// <summary>
    /// The tile with the least issue cost per input channel and tap over the whole output: each tile issues its
    /// multiply-adds (the lanes past the last channel included), a tenth of a slot per load (weights and broadcasts:
    /// the load ports keep up; on Vector256 a whole slot, issued beside the multiply-adds), and tiles of fewer than 8
    /// accumulators wait on the multiply-add latency; a row that is not a whole number of tiles ends in a whole tile
    /// moved back. Channels per tile are a power of two (so a
    /// tile's vectors sit at fixed offsets in the 16-channel blocks), within the path's accumulators and registers
    /// (accumulators, weight vectors and the <see cref="Broadcasts"/>). A tile of the pooled form (<paramref name="pool"/> k above 0)
    /// counts k × k accumulators per pooled pixel along a row of the pool's output.
    /// </summary>
    private static PackedDirectPathPlan PlanPath(Conv2DGeometry g, SimdPath path, int pool)
    {
        int width = path.Width, window = Math.Max(pool, 1) * Math.Max(pool, 1), outputWidth = pool > 0 ? g.OutputWidth / pool : g.OutputWidth;
        long perChannel = (long)g.InChannels * g.KernelHeight * g.KernelWidth * sizeof(float);

        // Where a tile of one vector of channels keeps its weights in L1, a wider tile whose weights do not pays a slot per
        // weight vector it reloads from L2 (ResNet's stem, 3 × 7 × 7 taps: tiles of 4 pixels × 64 channels, 37 KB of
        // weights, measured 1.10× slower than tiles of 8 × 32, 18 KB).
        //
        // On Vector256, the path of AVX2 machines, whose load ports issue two vector loads a cycle beside two FMAs, a load
        // costs a whole slot: a tile issues max(multiply-adds, loads), and a tile of one vector of channels — a broadcast
        // and a multiply-add per pixel, and the weights' load — is bound by its loads. There the weights' L1 rule does not
        // hold: resnet_3x3_s2 in tiles of 4 pixels × 2 vectors (36 KB of weights a block) ran 1.76–1.78 ms against 2.60–3.26
        // in tiles of 10 × 1 (18 KB), fastest of 40 samples on an AVX2 machine, and 2.69–2.87 against 3.02–3.16 when that
        // machine ran slower an hour later; its loads folded into the multiply-adds instead (one weight load per
        // multiply-add, 3 × 4 tiles in 13 registers, as MLAS's assembly does) ran 2.20–2.75, bound by the load ports.
        bool loadBound = path.Name == "Vector256";
        bool fits = !loadBound && perChannel * width <= L1WeightBytes;
        double Issue(int pixels, int vectors) => loadBound
            ? Math.Max(pixels * vectors, pixels + vectors)
            : (pixels * vectors) + (0.1 * (pixels + vectors));
        bool looped = loadBound && g.KernelWidth > RowTaps;
        double Tile(int pixels, int vectors) => (Issue(pixels, vectors) * Math.Max(1.0, 8.0 / (pixels * vectors)))
            + (fits && perChannel * vectors * width > L1WeightBytes ? vectors : 0)
            + (looped ? LoopSlots : 0);
        (int Pixels, int Vectors) best = (1, 1);
        double bestCost = double.MaxValue;

        // A 1×1 kernel's tile may fill the registers (pointwise_256 in tiles of 14 pixels × 32 channels, 28 accumulators:
        // 147 µs against 163 in tiles of 7); a wider kernel's keeps to the path's target (a 3×3 layer in tiles of 14 × 32
        // measured 1.33× slower than in tiles of 7).
        int accumulators = g.KernelHeight * g.KernelWidth == 1 ? path.Registers : path.Accumulators;
        for (int vectors = 1; vectors * width <= MaxChannels && vectors <= 4; vectors *= 2)
        {
            // A tile streams its channels' weights for every piece of a row: more than L2 holds beside the input and they come from L3.
            if (vectors > 1 && perChannel * vectors * width > WeightBytes)
            {
                break;
            }

            long blocks = (g.OutChannels + (vectors * width) - 1) / (vectors * width);
            for (int pixels = 1; pixels <= outputWidth && pixels * window * vectors <= accumulators && (pixels * window * vectors) + vectors + Broadcasts(g, path, pixels * Math.Max(pool, 1)) <= path.Registers; pixels++)
            {
                double cost = blocks * ((outputWidth + pixels - 1) / pixels) * Tile(pixels * window, vectors);
                if (cost < bestCost - 1e-9)
                {
                    (best, bestCost) = ((pixels, vectors), cost);
                }
            }
        }

        // A 1×1 kernel's one tap is written out; kernel rows of up to 3 taps are written out in a loop over kernel rows;
        // wider kernels (and the scalar fallback) loop over the columns too. Each tap is a whole tile of multiply-adds
        // (14–28 here), so the loops cost little: looping over the columns of 3×3 kernels too measured 0–4 % slower on
        // the suite's shapes, while it makes a 5×5 layer's tiles a fifth of the size.
        Unroll unroll = g.KernelHeight * g.KernelWidth == 1 ? Unroll.Full
            : g.KernelWidth <= RowTaps && !path.IsScalar ? Unroll.Rows
            : Unroll.None;
        return new PackedDirectPathPlan(path, best.Pixels, best.Vectors, outputWidth % best.Pixels != 0, unroll, pool);
    }
}
