using System;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// How one path computes Winograd F(4×4, 3×3): register tiles of <paramref name="Channels"/> output channels ×
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
/// Winograd F(4×4, 3×3) for a 3×3, stride-1 convolution (Lavin and Gray, 2016): every 4×4 block of output pixels
/// ("tile") of a channel is <c>Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A</c>, where <c>d</c> is the tile's 6×6 input patch and
/// <c>g</c> the 3×3 kernel — 36 multiplications per tile and channel pair where direct convolution takes 144. The
/// weight transform <c>G g Gᵀ</c> is done once (<c>PackWeights</c>); per call the input patches are transformed
/// (<c>Bᵀ d B</c>), multiplied as 36 matrix products over the input channels, and transformed back (<c>Aᵀ M A</c>).
/// </summary>
/// <remarks>
/// The input is copied once per sample into a band of 24 planes, one per tap row modulo 4 and tap column (0–5), each
/// holding, for every tile in row-major order, that tap's padded pixel — so the 36 taps of a vector of consecutive tiles
/// are 36 contiguous loads (taps in rows 4 and 5 read the next tile row's plane entry), and lanes are tiles.
/// </remarks>
internal sealed record WinogradPlan(int TileRows, int TileColumns, EquatableArray<WinogradPathPlan> Paths)
{
    /// <summary>Output pixels per tile side (m of F(m×m, 3×3)).</summary>
    public const int Tile = 4;

    /// <summary>Input patch side: m + 3 − 1.</summary>
    public const int Patch = 6;

    /// <summary>Transformed values per tile: the 36 products of the transform domain.</summary>
    public const int Points = Patch * Patch;

    /// <summary>Planes of the band: tap rows modulo 4 × the 6 tap columns.</summary>
    public const int BandPlanes = Tile * Patch;

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

    /// <summary>Floats between two planes of the band: every tile, the block padding, and one tile row more (taps in rows 4, 5).</summary>
    public int PlaneStride => (int)ConvPlanner.RoundUp(Tiles, MaxLanes) + TileColumns;

    /// <summary>
    /// Floats between two points of a block's transformed inputs: every channel's lanes and one cache line more, so that
    /// the 36 points of a channel, written one after another, do not all fall into the same L1 set (a stride of a
    /// multiple of 4 KB measured the input transform 3× slower).
    /// </summary>
    public static int PointStride(int inputs, int lanes) => (inputs * lanes) + 16;

    /// <summary>Floats of band per input channel.</summary>
    public int ChannelStride => BandPlanes * PlaneStride;

    /// <summary>Floats of one sample's band: every input channel's <see cref="ChannelStride"/>.</summary>
    public long BandLength(Conv2DGeometry g) => (long)g.InChannels * ChannelStride;

    /// <summary>Why the shape cannot use Winograd F(4×4, 3×3), or null when it can.</summary>
    public static string? Unsuitable(Conv2DGeometry g) =>
        g.KernelHeight != 3 || g.KernelWidth != 3 ? FormattableString.Invariant($"the kernel is {g.KernelHeight}×{g.KernelWidth}")
        : g.StrideHeight != 1 || g.StrideWidth != 1 ? FormattableString.Invariant($"the stride is {g.StrideHeight}×{g.StrideWidth}")
        : g.DilationHeight != 1 || g.DilationWidth != 1 ? FormattableString.Invariant($"the dilation is {g.DilationHeight}×{g.DilationWidth}")
        : g.Groups != 1 ? FormattableString.Invariant($"it has {g.Groups} groups")
        : null;

    /// <summary>The plan for <paramref name="spec"/>, or null when it is computed directly (see <see cref="Choice"/>).</summary>
    public static WinogradPlan? For(ConvSpec spec, bool legacyIntrinsics)
    {
        Conv2DGeometry g = spec.Geometry;
        if (spec.Algorithm is ConvAlgorithmChoice.Direct or ConvAlgorithmChoice.PackedDirect || Unsuitable(g) is not null)
        {
            return null;
        }

        int rows = (g.OutputHeight + Tile - 1) / Tile, columns = (g.OutputWidth + Tile - 1) / Tile;
        var plan = new WinogradPlan(rows, columns, SimdPath.ForTiles(legacyIntrinsics).Select(p => PlanPath(g, p, rows * columns)).ToEquatableArray());
        return spec.Algorithm == ConvAlgorithmChoice.Winograd || plan.Pays(g) ? plan : null;
    }

    /// <summary>
    /// Auto's rule: at least 16 input and output channels (the transforms cost per channel what a product costs per pair
    /// of channels), and on the widest path the blocks' products at most <see cref="ChooseBelow"/> of direct convolution's.
    /// </summary>
    private bool Pays(Conv2DGeometry g) => g.InChannels >= 16 && g.OutChannels >= 16 && ProductRatio(g) <= ChooseBelow;

    /// <summary>The widest path's products per input and output channel over direct convolution's: 36 per lane of its blocks, 9 per output pixel.</summary>
    public double ProductRatio(Conv2DGeometry g)
    {
        int lanes = Paths[0].Lanes;
        return (double)Points * ConvPlanner.RoundUp(Tiles, lanes) / (9.0 * g.OutputHeight * g.OutputWidth);
    }

    /// <summary>Why Auto chose this plan, for the generated remarks.</summary>
    public string Choice(ConvSpec spec) => spec.Algorithm == ConvAlgorithmChoice.Winograd
        ? "the attribute asks for it (Algorithm = ConvAlgorithm.Winograd)"
        : FormattableString.Invariant($"a 3×3, stride-1 convolution of {spec.InChannels} → {spec.OutChannels} channels whose blocks of tiles take {ProductRatio(spec.Geometry) * 100:0} % of direct convolution's products on {Paths[0].Path.Name}");

    /// <summary>The most output channels a register tile of any path takes: the packed weights end with this many floats of slack, which the last tile reads past the last channel.</summary>
    public const int MaxChannels = 24;

    /// <summary>Floats of transformed weights: 36 points × input × output channels, and the slack the last register tile reads.</summary>
    public static long PackedLength(Conv2DGeometry g) => ((long)Points * g.InChannels * g.OutChannels) + MaxChannels;

    /// <summary>
    /// Two vectors of tiles per register tile where a plane has more tiles than one vector holds, else one; then as
    /// many output channels as the path's accumulators allow (a broadcast weight is used by every vector), evened out
    /// over the tiles the output channels need (64 channels in tiles of 11, not 5 × 12 and a weak tile of 4). The last
    /// tile computes its whole width and stores only the channels that exist.
    /// </summary>
    private static WinogradPathPlan PlanPath(Conv2DGeometry g, SimdPath path, int tiles)
    {
        int vectors = tiles <= path.Width ? 1 : 2;
        int most = Math.Min(MaxChannels, Math.Max(1, path.Accumulators / vectors));
        while (most > 1 && (most * vectors) + vectors + 1 > path.Registers)
        {
            most--;
        }

        int blocks = (g.OutChannels + most - 1) / most;
        return new WinogradPathPlan(path, (g.OutChannels + blocks - 1) / blocks, vectors);
    }
}
