using System;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// How one path computes Winograd: register tiles of <paramref name="Channels"/> output channels ×
/// <paramref name="Vectors"/> vectors of tiles, so a block holds <see cref="Lanes"/> tiles (one lane each).
/// </summary>
internal sealed record WinogradPathPlan(SimdPath Path, int Channels, int Vectors)
{
    /// <summary>Tiles per block: the register tile's vectors, one tile per lane.</summary>
    public int Lanes => Vectors * Path.Width;

    /// <summary>The register tile's method.</summary>
    public string TileName => FormattableString.Invariant($"{Path.Name}WinogradTile{Channels}x{Vectors}");
}

/// <summary>
/// Winograd F(m×m, 3×3) for a 3×3, stride-1 convolution (Lavin and Gray, 2016), m = <paramref name="Tile"/> (4 or 2):
/// every m×m block of output pixels ("tile") of a channel is <c>Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A</c>, where <c>d</c> is
/// the tile's (m + 2)×(m + 2) input patch and <c>g</c> the 3×3 kernel — F(4×4): 36 multiplications per tile and channel
/// pair where direct convolution takes 144; F(2×2): 16 for 36. The weight transform <c>G g Gᵀ</c> is done once
/// (<c>PackWeights</c>); per call the input patches are transformed (<c>Bᵀ d B</c>), multiplied as one matrix product over
/// the input channels per point, and transformed back (<c>Aᵀ M A</c>).
/// </summary>
/// <remarks>
/// The input is copied per sample into a band of m × (m + 2) planes, one per tap row modulo m and tap column, each
/// holding, for every tile in row-major order, that tap's padded pixel — so the taps of a vector of consecutive tiles
/// are contiguous loads (taps in rows m and m + 1 read the next tile row's plane entry), and lanes are tiles.
/// </remarks>
internal sealed record WinogradPlan(int Tile, int TileRows, int TileColumns, int Chunk, EquatableArray<WinogradPathPlan> Paths)
{
    /// <summary>Input patch side: m + 3 − 1.</summary>
    public int Patch => Tile + 2;

    /// <summary>Transformed values per tile: the products of the transform domain (36 for F(4×4), 16 for F(2×2)).</summary>
    public int Points => Patch * Patch;

    /// <summary>Planes of the band: tap rows modulo m × the m + 2 tap columns.</summary>
    public int BandPlanes => Tile * Patch;

    /// <summary>The algorithm's name: F(4×4, 3×3) or F(2×2, 3×3).</summary>
    public string Name => FormattableString.Invariant($"F({Tile}×{Tile}, 3×3)");

    /// <summary>The runtime's transforms for this tile size, by their alias in the generated code.</summary>
    public string Transforms => Tile == 4 ? "KgWinograd" : "KgWinograd2x2";

    /// <summary>The most tiles a block of any path holds: every plane is padded to a whole number of them.</summary>
    public const int MaxLanes = 32;

    /// <summary>
    /// Winograd must multiply at most this fraction of direct convolution's products (counting the lanes of the last
    /// vector that hold no tile) to be chosen: the transforms cost the rest. mnist_conv2 (11×11 outputs, 9 tiles in
    /// vectors of 16: 0.53) measured 1.4× slower than its packed direct form; resnet_3x3_256 (14×14, 0.33) 1.9× faster.
    /// </summary>
    public const double ChooseBelow = 0.5;

    /// <summary>Tiles of one output plane.</summary>
    public int Tiles => TileRows * TileColumns;

    /// <summary>The units a split call divides among threads: tiles × output channels (at most <see cref="int.MaxValue"/>).</summary>
    public int Units(Conv2DGeometry g) => (int)Math.Min((long)Tiles * g.OutChannels, int.MaxValue);

    /// <summary>Floats between two planes of the band: every tile, the block padding, and one tile row more (taps in rows m, m + 1).</summary>
    public int PlaneStride => (int)ConvPlanner.RoundUp(Tiles, MaxLanes) + TileColumns;

    /// <summary>
    /// Floats between two points of a block's transformed inputs: every channel's lanes and one cache line more, so that
    /// the points of a channel, written one after another, do not all fall into the same L1 set (a stride of a
    /// multiple of 4 KB measured the input transform 3× slower).
    /// </summary>
    public static int PointStride(int inputs, int lanes) => (inputs * lanes) + 16;

    /// <summary>Floats of band per input channel.</summary>
    public int ChannelStride => BandPlanes * PlaneStride;

    /// <summary>Floats of one sample's band: every input channel's <see cref="ChannelStride"/>.</summary>
    public long BandLength(Conv2DGeometry g) => (long)g.InChannels * ChannelStride;

    /// <summary>Why the shape cannot use Winograd, or null when it can.</summary>
    public static string? Unsuitable(Conv2DGeometry g) =>
        g.KernelHeight != 3 || g.KernelWidth != 3 ? FormattableString.Invariant($"the kernel is {g.KernelHeight}×{g.KernelWidth}")
        : g.StrideHeight != 1 || g.StrideWidth != 1 ? FormattableString.Invariant($"the stride is {g.StrideHeight}×{g.StrideWidth}")
        : g.DilationHeight != 1 || g.DilationWidth != 1 ? FormattableString.Invariant($"the dilation is {g.DilationHeight}×{g.DilationWidth}")
        : g.Groups != 1 ? FormattableString.Invariant($"it has {g.Groups} groups")
        : null;

    /// <summary>
    /// How far ahead of its weights a vector tile asks for them, in floats (16 KB): a register tile's transformed weights are
    /// one stream of up to 0.8 MB, which a 512-channel layer reads from memory (17 MB in all, more than L2 and L3 keep
    /// between calls). ResNet-18's 7×7 F(2×2) layer with its weights flushed from the caches: 794–864 µs against 867–938
    /// without (Stopwatch harness, medians of 80, alternated); nearer (2–4 KB) helped less.
    /// </summary>
    public const int PrefetchFloats = 4096;

    /// <summary>
    /// The plan for <paramref name="spec"/>, or null when it is computed directly (see <see cref="Choice"/>): F(2×2) where
    /// the attribute asks for it (Auto never chooses it for a kernel alone: a network does, see <see cref="PaysSmall"/>),
    /// else F(4×4) where asked for or where it pays.
    /// </summary>
    public static WinogradPlan? For(ConvSpec spec, bool legacyIntrinsics)
    {
        Conv2DGeometry g = spec.Geometry;
        if (spec.Algorithm is ConvAlgorithmChoice.Direct or ConvAlgorithmChoice.PackedDirect || Unsuitable(g) is not null)
        {
            return null;
        }

        WinogradPlan plan = Create(g, spec.Algorithm == ConvAlgorithmChoice.Winograd2x2 ? 2 : 4, legacyIntrinsics);
        return spec.Algorithm != ConvAlgorithmChoice.Auto || plan.Pays(g) ? plan : null;
    }

    /// <summary>
    /// The plan for tiles of <paramref name="tile"/> pixels. The transformed weights are kept in chunks of output channels,
    /// [chunk, point, input channel, channel in chunk], so that a register tile reads its weights for every point as one
    /// contiguous stream: [point, input, output] had it read one row of all the output channels apart — 2 KB at 512
    /// channels, every row in the same two L1 sets. Measured with the weights read from memory, as a network reads them
    /// (Stopwatch harness, one thread): ResNet-18's 256-channel 14×14 layer by F(4×4) 1.36 → 0.74 ms, its 128-channel 28×28
    /// one 0.87 → 0.71, its 512-channel 7×7 one by F(2×2) 2.18 → 1.11 ms. The chunk is a size of many divisors
    /// (<see cref="ChunkSizes"/>, or every output channel) within the widest path's register tile, the one of least cost
    /// counted as the padded output channels × (chunk + 2) / chunk (each step of a register tile loads its tiles' vectors
    /// besides one broadcast per channel): 512 channels in chunks of 24, 128 and 256 in chunks of 12, 64 in chunks of 16
    /// or 8; every path's register tile divides it.
    /// </summary>
    private static WinogradPlan Create(Conv2DGeometry g, int tile, bool legacyIntrinsics)
    {
        int rows = (g.OutputHeight + tile - 1) / tile, columns = (g.OutputWidth + tile - 1) / tile, outputs = g.OutChannels;
        var paths = SimdPath.ForTiles(legacyIntrinsics).Select(p => PlanPath(p, rows * columns)).ToList();
        int chunk = ChunkSizes.Prepend(outputs).Where(c => c <= paths[0].Channels)
            .OrderBy(c => ConvPlanner.RoundUp(outputs, c) * (c + 2.0) / c).ThenByDescending(c => c).First();
        return new WinogradPlan(tile, rows, columns, chunk, paths.Select(p => p with { Channels = Enumerable.Range(1, p.Channels).Last(r => chunk % r == 0) }).ToEquatableArray());
    }

    /// <summary>
    /// Chunk sizes: numbers of many divisors, so that the narrower paths find register tiles that divide them (a chunk of 22
    /// would leave Vector256 tiles of 2 channels).
    /// </summary>
    private static readonly int[] ChunkSizes = [24, 16, 12, 8, 6, 4, 2, 1];

    /// <summary>The most floats of transformed inputs a call keeps for every block at once (4 MB).</summary>
    public const long AllBlocksFloats = 1L << 20;

    /// <summary>
    /// Whether <paramref name="path"/> transforms every block's tiles first and runs each register tile over every block
    /// (F(2×2), within <see cref="AllBlocksFloats"/>): the register tile's weights then come from memory once per call, not
    /// once per block (ResNet's 256-channel 14×14 layer, two blocks, in a harness that reads its weights from memory: 1.28 ms
    /// against 1.49 block by block). F(4×4) stays block by block: on ResNet's 64- and 128-channel layers (7 and 2 blocks)
    /// every block at once measured 10–18 % slower with the weights in cache and 0–5 % faster with them read from memory.
    /// </summary>
    public bool AllBlocks(Conv2DGeometry g, WinogradPathPlan path) =>
        Tile == 2 && (long)Points * PointStride(g.InChannels, (int)ConvPlanner.RoundUp(Tiles, path.Lanes)) <= AllBlocksFloats;

    /// <summary>
    /// Tiles per row of <paramref name="path"/>'s transformed inputs (one input channel of one point): every block's where it
    /// transforms them all at once (<see cref="AllBlocks"/>), else one block's.
    /// </summary>
    public int PointLanes(Conv2DGeometry g, WinogradPathPlan path) => AllBlocks(g, path) ? (int)ConvPlanner.RoundUp(Tiles, path.Lanes) : path.Lanes;

    /// <summary>
    /// The most bytes of transformed weights a register tile reads over every point (its chunk's, <see cref="Points"/> ×
    /// input channels × <see cref="Chunk"/>) for which the register tiles of a chunk run one after another: up to it the
    /// chunk stays in L2 (512 KB, half of it left to the transformed inputs) for the next register tile; beyond, block by
    /// block, a chunk's register tiles run point by point instead (<see cref="ChunkGroup"/>).
    /// </summary>
    /// <remarks>
    /// Vector256 on an AVX2 machine, Stopwatch harness alternating both orders in one process, medians of 180 calls with
    /// the caches flushed before each (and without): ResNet-18's 512-channel 7×7 layer by F(2×2), 786 KB a register tile,
    /// 0.89× the time (0.96×); its 256-channel 14×14 one by F(4×4), 442 KB, 0.87× (0.88×); its 128-channel 28×28 one,
    /// 221 KB, 1.00× (0.98×); its 64-channel 56×56 one, 147 KB, 0.97× (1.11×, the chunk's products pushing the inputs out of L1).
    /// </remarks>
    public const long GroupBytes = 256 * 1024;

    /// <summary>
    /// The register tiles of <paramref name="path"/> that run together over a chunk of output channels, point by point:
    /// all the chunk's (<see cref="Chunk"/> / the register tile's channels) where, block by block, a register tile reads more
    /// than <see cref="GroupBytes"/> of transformed weights; else one.
    /// </summary>
    public int ChunkGroup(Conv2DGeometry g, WinogradPathPlan path) =>
        (AllBlocks(g, path) && (Tiles + path.Lanes - 1) / path.Lanes > 1) || (long)Points * g.InChannels * Chunk * sizeof(float) <= GroupBytes
            ? 1
            : Chunk / path.Channels;

    /// <summary>
    /// The most bytes of one point's transformed inputs and weights (a vector of tiles and a chunk of output channels per
    /// input channel) a chunk's register tiles sum at a time where they run point by point (<see cref="ChunkGroup"/>): half
    /// of this machine's 32 KB L1, so that the register tiles after the first read both from L1. Summed over every input
    /// channel at once, the 512-channel 7×7 layer's point (32 KB of inputs, 48 KB of weights) came from L2 for every
    /// register tile: 2 loads and 6 broadcasts a step, 160 bytes of L2 for 12 multiply-adds.
    /// </summary>
    public const long BlockBytes = 16 * 1024;

    /// <summary>
    /// The input channels a register tile of <paramref name="path"/> sums at a time (equal blocks of at most
    /// <see cref="BlockBytes"/>), its products kept between blocks, where a chunk's register tiles run point by point; else
    /// every input channel. Each product is summed in the same order either way.
    /// </summary>
    public int InputBlock(Conv2DGeometry g, WinogradPathPlan path)
    {
        if (ChunkGroup(g, path) == 1)
        {
            return g.InChannels;
        }

        int most = (int)Math.Max(1, BlockBytes / ((long)(path.Lanes + Chunk) * sizeof(float)));
        int blocks = (g.InChannels + most - 1) / most;
        return (g.InChannels + blocks - 1) / blocks;
    }

    /// <summary>Chunks of output channels per point of the transformed weights.</summary>
    public int Chunks(Conv2DGeometry g) => (g.OutChannels + Chunk - 1) / Chunk;

    /// <summary>
    /// Auto's rule: at least 16 input and output channels (the transforms cost per channel what a product costs per pair
    /// of channels), and on the widest path the blocks' products at most <see cref="ChooseBelow"/> of direct convolution's.
    /// </summary>
    private bool Pays(Conv2DGeometry g) => g.InChannels >= 16 && g.OutChannels >= 16 && ProductRatio(g) <= ChooseBelow;

    /// <summary>
    /// F(2×2)'s products may be at most this fraction of direct convolution's for a network to choose it on a small plane:
    /// ResNet-18's 512-channel 7×7 layers (0.58) measured 1.39× faster than their packed direct form alone, in a harness
    /// that reads the weights from memory as a network does (1.11 against 1.55 ms). Its 256-channel 14×14 ones (0.58 too)
    /// ran 1.14× faster by F(2×2), but F(4×4) pays there and, chunked, is faster still (0.74 ms against 1.06).
    /// </summary>
    public const double SmallChooseBelow = 0.6;

    /// <summary>
    /// Whether a network's inference runs <paramref name="spec"/> (3×3, stride 1, Auto) by F(2×2) over transformed weights
    /// kept with <c>FixedWeights</c>, where F(4×4) does not pay (<c>NetworkPacked.Planned</c> asks that first): at least
    /// 64 input and output channels (the transforms cost per channel, the products per pair of channels), and F(2×2)'s
    /// products at most <see cref="SmallChooseBelow"/> of direct convolution's on the widest path.
    /// </summary>
    public static bool PaysSmall(ConvSpec spec)
    {
        Conv2DGeometry g = spec.Geometry;
        return spec.Algorithm == ConvAlgorithmChoice.Auto && Unsuitable(g) is null && g.InChannels >= 64 && g.OutChannels >= 64
            && Create(g, 2, legacyIntrinsics: false).ProductRatio(g) <= SmallChooseBelow;
    }

    /// <summary>The widest path's products per input and output channel over direct convolution's: the points per lane of its blocks, 9 per output pixel.</summary>
    public double ProductRatio(Conv2DGeometry g)
    {
        int lanes = Paths[0].Lanes;
        return (double)Points * ConvPlanner.RoundUp(Tiles, lanes) / (9.0 * g.OutputHeight * g.OutputWidth);
    }

    /// <summary>Why this plan was chosen, for the generated remarks.</summary>
    public string Choice(ConvSpec spec) => spec.Algorithm switch
    {
        ConvAlgorithmChoice.Winograd => "the attribute asks for it (Algorithm = ConvAlgorithm.Winograd)",
        ConvAlgorithmChoice.Winograd2x2 when !PaysSmall(spec with { Algorithm = ConvAlgorithmChoice.Auto }) => "the attribute asks for it (Algorithm = ConvAlgorithm.Winograd2x2)",
        ConvAlgorithmChoice.Winograd2x2 => FormattableString.Invariant($"a network's inference runs this 3×3, stride-1 convolution of {spec.InChannels} → {spec.OutChannels} channels on a {spec.Geometry.OutputHeight}×{spec.Geometry.OutputWidth} plane, where F(4×4)'s weights, four times the kernel's, cost more from memory than they save, and F(2×2)'s blocks of tiles take {ProductRatio(spec.Geometry) * 100:0} % of direct convolution's products on {Paths[0].Path.Name}"),
        _ => FormattableString.Invariant($"a 3×3, stride-1 convolution of {spec.InChannels} → {spec.OutChannels} channels whose blocks of tiles take {ProductRatio(spec.Geometry) * 100:0} % of direct convolution's products on {Paths[0].Path.Name}"),
    };

    /// <summary>The most output channels a register tile of any path takes: the packed weights end with this many floats of slack, which the last tile reads past the last channel.</summary>
    public const int MaxChannels = 24;

    /// <summary>Floats of transformed weights: the points × input channels × output channels (in whole chunks), and the slack the last register tile reads.</summary>
    public long PackedLength(Conv2DGeometry g) => ((long)Points * g.InChannels * Chunks(g) * Chunk) + MaxChannels;

    /// <summary>
    /// Two vectors of tiles per register tile where a plane has more tiles than one vector holds, else one; then as
    /// many output channels as the path's accumulators allow (a broadcast weight is used by every vector), before
    /// <see cref="Create"/> fits them to the chunks of output channels. The last register tile computes its whole width
    /// (the chunk is padded with zeros) and stores only the channels that exist.
    /// </summary>
    private static WinogradPathPlan PlanPath(SimdPath path, int tiles)
    {
        int vectors = tiles <= path.Width ? 1 : 2;
        int most = Math.Min(MaxChannels, Math.Max(1, path.Accumulators / vectors));
        while (most > 1 && (most * vectors) + vectors + 1 > path.Registers)
        {
            most--;
        }

        return new WinogradPathPlan(path, most, vectors);
    }
}
