using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>A planned kernel: what every plan has.</summary>
internal interface IPlan
{
    MethodTarget Method { get; }
}

/// <summary>How far a tile unrolls the kernel window.</summary>
internal enum Unroll
{
    /// <summary>Every tap (ky, kx) written out: offsets are literals.</summary>
    Full,

    /// <summary>A loop over kernel rows, each row's taps written out.</summary>
    Rows,

    /// <summary>Loops over kernel rows and columns: for kernels too wide to write out.</summary>
    None,
}

/// <summary>One register tile: <paramref name="Channels"/> output channels × <paramref name="Vectors"/> vectors of pixels, the last one <paramref name="PartialLanes"/> wide when non-zero.</summary>
internal sealed record TileShape(int Channels, int Vectors, int PartialLanes)
{
    public int Accumulators => Channels * Vectors;

    /// <summary>
    /// Whether a tap loads all of its input vectors first and then broadcasts one weight at a time (fewer vectors
    /// than channels), rather than broadcasting every channel's weight first and loading one input at a time.
    /// </summary>
    public bool InputsFirst => Vectors < Channels;

    public string Name(SimdPath path) => $"{path.Name}Tile{Channels}x{Vectors}{(PartialLanes > 0 ? $"Partial{PartialLanes}" : "")}";
}

/// <summary>
/// A register tile of direct convolution as every kernel of a project shares it: its path and shape, the window it
/// unrolls and how, whether the kernel is flipped (the input gradient), has a bias and accumulates over chunks of input
/// channels, and its activation. What else a kernel's tile depended on — the band's tap offsets and channel stride,
/// the weights per output channel, the output plane — comes from the struct of constants the kernel passes as its type
/// argument, so that one method's source serves every layer with this key and the JIT still compiles each kernel's copy
/// with its own constants (<see cref="Emit.DirectTileEmitter"/>).
/// </summary>
internal sealed record DirectTile(SimdPath Path, TileShape Shape, int KernelHeight, int KernelWidth, Unroll Unroll, bool FlipKernel, bool Bias, bool Chunked, ActivationSpec Activation)
{
    /// <summary>The class, in every assembly with direct convolutions, that holds its tiles (<c>KernelGen.Generated.DirectTiles</c>), by its alias.</summary>
    public const string Class = "KgTiles";

    /// <summary>The interface of what a kernel's shape fixes, as the shared file names it.</summary>
    public const string ShapeName = "IDirectTileShape";

    /// <summary>The interface as a kernel file names it: by its alias.</summary>
    public const string ShapeInterface = "KgTileShape";

    /// <summary>The method's name: the tile's (<c>Vector512Tile6x4Partial8</c>), then the window and what else tells keys apart.</summary>
    public string Name => Shape.Name(Path) + System.FormattableString.Invariant($"Window{KernelHeight}x{KernelWidth}")
        + (Unroll switch { Unroll.Full => "Unrolled", Unroll.Rows => "Rows", _ => "Looped" })
        + (FlipKernel ? "Flipped" : "") + (Bias ? "" : "NoBias") + (Chunked ? "Chunked" : "") + ActivationName;

    private string ActivationName => Activation.Kind switch
    {
        ActivationKind.None => "",
        ActivationKind.LeakyRelu => "LeakyRelu" + Activation.Slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture).Replace("-", "m").Replace(".", "_").Replace("+", ""),
        _ => Activation.Kind.ToString(),
    };
}

/// <summary>
/// A convolution's plan on one path: its tile (<see cref="BlockChannels"/> × <see cref="BlockVectors"/>),
/// where full blocks of output pixels end, and the tiles for the last pixels and the last channels.
/// </summary>
internal sealed record ConvPathPlan(
    SimdPath Path, int BlockChannels, int BlockVectors, int FullPixelsEnd, Unroll Unroll,
    TileShape? Main, TileShape? Tail, TileShape? RemainderMain, TileShape? RemainderTail)
{
    public int BlockPixels => BlockVectors * Path.Width;
}

/// <summary>
/// How a convolution is computed. Output rows read a band of input rows copied with their zero padding, each
/// row split into <see cref="Phases"/> stride phases of <see cref="RowLength"/> floats, so that every kernel tap
/// of every output pixel is a contiguous read. When the padded plane of every input channel fits the band
/// (<see cref="WholePlane"/>), it is copied once per sample and group and output rows read it in place;
/// otherwise the band holds one output row's kernel rows and is copied again for each output row.
/// </summary>
internal sealed record ConvPlan(ConvSpec Spec, int Phases, int RowLength, int ChunkChannels, bool WholePlane, EquatableArray<ConvPathPlan> Paths, PlaneBand? Planes = null, WinogradPlan? Winograd = null, PackedDirectPlan? Packed = null) : IPlan
{
    public MethodTarget Method => Spec.Method;

    /// <summary>The shared register tiles every path of this plan calls.</summary>
    public IEnumerable<DirectTile> DirectTiles => Paths.SelectMany(p => new[] { p.Main, p.Tail, p.RemainderMain, p.RemainderTail }.OfType<TileShape>().Select(t => Tile(p, t))).Distinct();

    /// <summary>The shared tile of <paramref name="shape"/> on <paramref name="path"/>.</summary>
    public DirectTile Tile(ConvPathPlan path, TileShape shape) =>
        new(path.Path, shape, Spec.KernelHeight, Spec.KernelWidth, path.Unroll, Spec.FlipKernel, Spec.Method.HasBias, Chunked, Spec.Activation);


    /// <summary>Whether output pixels are flattened over whole output planes (<see cref="PlaneBand"/>) rather than taken an output row at a time.</summary>
    public bool Flattened => Planes is not null;

    /// <summary>Floats of band between kernel row <paramref name="ky"/> (an expression) and kernel row 0, as C#.</summary>
    public string KernelRowOffset(string ky) => Planes is { } p
        ? p.KernelRowOffset(ky)
        : int.TryParse(ky, out int row) ? (row * KernelRowStride).ToString(System.Globalization.CultureInfo.InvariantCulture) : PhaseOffset.Of(ky, 1, 1, 0, KernelRowStride);

    /// <summary>Floats of band between kernel column <paramref name="kx"/> and kernel column 0.</summary>
    public int KernelColumnOffset(int kx) => Planes is { } p
        ? p.ColumnOffset(kx)
        : PhaseOffset.Of(kx, Spec.DilationWidth, Phases, RowLength, 1);

    /// <summary><see cref="KernelColumnOffset(int)"/> for a variable <paramref name="kx"/>, as C#.</summary>
    public string KernelColumnOffset(string kx) => PhaseOffset.Of(kx, Spec.DilationWidth, Phases, Planes?.PhaseStride ?? RowLength, 1);

    /// <summary>Floats of band between tap (<paramref name="ky"/>, <paramref name="kx"/>) and tap (0, 0).</summary>
    public int TapOffset(int ky, int kx) => Planes is { } p ? p.RowOffset(ky) + p.ColumnOffset(kx) : (ky * KernelRowStride) + KernelColumnOffset(kx);

    /// <summary>Input rows per channel in the band: every row an output reads, or the kernel rows of one output row.</summary>
    public int BandRows => WholePlane ? PlaneRows(Spec.Geometry) : Spec.KernelHeight;

    public int RowStride => Phases * RowLength;

    /// <summary>Floats of band per input channel.</summary>
    public int ChannelStride => Planes?.ChannelStride ?? BandRows * RowStride;

    /// <summary>Floats between the band rows of consecutive kernel rows.</summary>
    public int KernelRowStride => WholePlane ? Spec.DilationHeight * RowStride : RowStride;

    /// <summary>Padded input rows that some output reads, from the first padding row on.</summary>
    public static int PlaneRows(Conv2DGeometry g) => g.PlaneRows;

    public bool Chunked => ChunkChannels < Spec.InChannels / Spec.Groups;

    /// <summary>
    /// What the work splits into when a call runs on several threads: groups, for a grouped convolution; output rows for
    /// a 1×1 kernel whose rows each copy their own band (there the copy is most of the work, and rows copy nothing twice);
    /// otherwise output channels, each part copying the band for itself but reading only its own channels' weights — on
    /// two threads of one core (this machine's two vCPUs), splitting ResNet-18's 3×3 layers by rows instead, so that both
    /// threads stream every weight, measured 1.0–1.1× one thread against 1.6–2.0× by channels.
    /// </summary>
    public PartUnit Unit => Spec.Groups > 1 ? PartUnit.Groups : !Flattened && !WholePlane && Spec.KernelHeight * Spec.KernelWidth == 1 ? PartUnit.Rows : PartUnit.Channels;

    /// <summary>The <see cref="Unit"/>, plural, as the generated documentation names it.</summary>
    public string UnitName => Unit switch
    {
        PartUnit.Rows => "output rows",
        PartUnit.Groups => "groups",
        _ => "output channels",
    };

    /// <summary>How many <see cref="Unit"/>s a sample has.</summary>
    public int Units => Unit switch
    {
        PartUnit.Rows => Spec.Geometry.OutputHeight,
        PartUnit.Groups => Spec.Groups,
        _ => Spec.Geometry.OutChannelsPerGroup,
    };
}

/// <summary>What one part of a convolution's work covers when a call is split across threads.</summary>
internal enum PartUnit
{
    /// <summary>Output rows, of every channel.</summary>
    Rows,

    /// <summary>Groups of channels.</summary>
    Groups,

    /// <summary>Output channels, of every row.</summary>
    Channels,
}

/// <summary>
/// The band of a convolution whose output planes are small: every input channel's padded plane, split into
/// <see cref="RowPhases"/> × <see cref="ColumnPhases"/> stride phases (phase (py, px) holds padded pixels
/// (py + r·stride, px + c·stride)), each <see cref="Rows"/> rows of <see cref="RowLength"/> floats. Output pixel
/// (oy, ox) is then flattened pixel q = oy·<see cref="RowLength"/> + ox, and tap (ky, kx) of flattened pixel q reads
/// the band at <c>TapOffset(ky, kx) + q</c>: vectors run across output rows, so a 7×7 plane fills four 16-float
/// vectors instead of seven part-filled ones, and a tile's weights serve the whole plane. The flattened pixels whose
/// column is at least the output width are computed and never stored.
/// </summary>
internal sealed record PlaneBand(Conv2DGeometry Geometry, int RowPhases, int ColumnPhases, int Rows, int RowLength)
{
    /// <summary>Flattened pixels the tiles compute, from 0: every path's blocks of whole vectors, past <see cref="Pixels"/>.</summary>
    public int Computed { get; init; }

    public int PhaseStride => Rows * RowLength;

    /// <summary>Floats per input channel: its phases.</summary>
    public int ChannelStride => RowPhases * ColumnPhases * PhaseStride;

    /// <summary>Flattened pixels from the first output pixel to the last one stored.</summary>
    public int Pixels => ((Geometry.OutputHeight - 1) * RowLength) + Geometry.OutputWidth;

    /// <summary>Floats after the last channel that the widest vector tile of the last channel may read: zeros.</summary>
    public int Slack => Math.Max(0, MaxTapOffset + Math.Max(Computed, (int)ConvPlanner.RoundUp(Pixels, 16)) - ChannelStride);

    /// <summary>The furthest any tap reads from its pixel (with row phases, not necessarily the last tap's).</summary>
    public int MaxTapOffset =>
        Enumerable.Range(0, Geometry.KernelHeight).Max(RowOffset) + Enumerable.Range(0, Geometry.KernelWidth).Max(ColumnOffset);

    /// <summary>Floats of band for <paramref name="channels"/> input channels.</summary>
    public long Floats(int channels) => ((long)channels * ChannelStride) + Slack;

    /// <summary>Floats of band between kernel row <paramref name="ky"/> and kernel row 0: row phases hold whole column-phase sets.</summary>
    public int RowOffset(int ky) => PhaseOffset.Of(ky, Geometry.DilationHeight, RowPhases, ColumnPhases * PhaseStride, RowLength);

    /// <summary>Floats of band between kernel column <paramref name="kx"/> and kernel column 0.</summary>
    public int ColumnOffset(int kx) => PhaseOffset.Of(kx, Geometry.DilationWidth, ColumnPhases, PhaseStride, 1);

    /// <summary><see cref="RowOffset"/> for an expression.</summary>
    public string KernelRowOffset(string ky) => int.TryParse(ky, out int row)
        ? RowOffset(row).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : PhaseOffset.Of(ky, Geometry.DilationHeight, RowPhases, ColumnPhases * PhaseStride, RowLength);

    /// <summary>Whether the band of every input channel of a group takes at most <paramref name="limit"/> floats (checked without overflow).</summary>
    public static bool Fits(Conv2DGeometry g, long limit)
    {
        long rows = g.OutputHeight + ((g.KernelHeight - 1L) * g.DilationHeight / g.StrideHeight);
        long rowLength = g.OutputWidth + ((g.KernelWidth - 1L) * g.DilationWidth / g.StrideWidth);
        long channel = ShapeMath.Product(g.StrideHeight, g.StrideWidth, rows, rowLength);
        return ShapeMath.Product(g.InChannelsPerGroup + 1L, channel) + 16 <= limit;
    }

    public static PlaneBand For(Conv2DGeometry g) => new(
        g, g.StrideHeight, g.StrideWidth,
        g.OutputHeight + ((g.KernelHeight - 1) * g.DilationHeight / g.StrideHeight),
        g.OutputWidth + ((g.KernelWidth - 1) * g.DilationWidth / g.StrideWidth));
}

/// <summary>Chooses the tiles and the band layout of a convolution.</summary>
internal static class ConvPlanner
{
    /// <summary>Floats of input band a kernel keeps on the stack.</summary>
    public const int BandLimit = Tuning.BandLimitFloats;

    /// <summary>Floats of band per chunk of input channels (see <see cref="Tuning.BandChunkFloats"/>).</summary>
    public const int ChunkFloats = Tuning.BandChunkFloats;

    /// <summary>Statements a tile may unroll before it loops instead.</summary>
    public const int UnrollLimit = 2400;

    /// <summary>Statements of a whole window a small tile writes out rather than loop over its kernel rows.</summary>
    public const int SmallWindow = 100;

    public static string? TooLargeToGenerate(Conv2DGeometry g)
    {
        long rowLength = RowLength(g.OutputWidth, g.KernelWidth, g.DilationWidth, g.StrideWidth);
        long channelStride = ShapeMath.Product(g.KernelHeight, g.StrideWidth, rowLength);
        return channelStride <= BandLimit ? null : FormattableString.Invariant(
            $"One input channel's band needs {channelStride} floats (kernel height {g.KernelHeight} × stride {g.StrideWidth} × row {rowLength}); KernelGen keeps it on the stack and allows at most {BandLimit}. Reduce the width, kernel height or stride.");
    }

    /// <summary>
    /// Output rows at most this wide may be flattened over the whole plane (<see cref="PlaneBand"/>): a row takes at most
    /// a few vectors, so a tile along one row keeps few accumulators and reads its weights again for every row.
    /// </summary>
    public const int PlaneWidthLimit = 16;

    /// <summary>
    /// Whether to flatten the output planes: rows narrow enough, and the lanes of 16-float vectors that hold output
    /// pixels at least 60 % of what a tile along a row fills (flattening computes the padding columns between rows,
    /// and a wide window makes them many; its tiles' reuse of weights makes up for the rest).
    /// </summary>
    private static bool Flatten(Conv2DGeometry g)
    {
        if (g.OutputWidth > PlaneWidthLimit || g.OutputHeight < 2 || !PlaneBand.Fits(g, PlaneBandLimit))
        {
            return false;
        }

        PlaneBand planes = PlaneBand.For(g);
        double flattened = (double)g.OutputHeight * g.OutputWidth / RoundUp(planes.Pixels, 16);
        double rows = (double)g.OutputWidth / RoundUp(g.OutputWidth, 16);
        return flattened >= 0.6 * rows;
    }

    /// <summary>Floats a flattened band may take (from the array pool when more than <see cref="BandLimit"/>): 16 MB.</summary>
    public const int PlaneBandLimit = 1 << 22;

    public static ConvPlan Plan(ConvSpec spec, bool legacyIntrinsics)
    {
        Conv2DGeometry g = spec.Geometry;
        if (Flatten(g))
        {
            var planes = PlaneBand.For(g);
            return Plan(spec, legacyIntrinsics, planes.RowLength, g.InChannelsPerGroup, true, planes.Pixels, planes);
        }

        int phases = g.StrideWidth;
        int rowLength = RowLength(g.OutputWidth, g.KernelWidth, g.DilationWidth, g.StrideWidth);
        bool wholePlane = ShapeMath.Product(g.InChannelsPerGroup, ConvPlan.PlaneRows(g), phases, rowLength) <= BandLimit;
        int chunk = wholePlane ? g.InChannelsPerGroup : Math.Min(g.InChannelsPerGroup, Math.Max(1, ChunkFloats / (g.KernelHeight * phases * rowLength)));
        return Plan(spec, legacyIntrinsics, rowLength, chunk, wholePlane, g.OutputWidth, null);
    }

    /// <summary>The plan with its tiles for rows of <paramref name="pixels"/> pixels: output rows, or flattened <paramref name="planes"/>.</summary>
    private static ConvPlan Plan(ConvSpec spec, bool legacyIntrinsics, int rowLength, int chunk, bool wholePlane, int pixels, PlaneBand? planes)
    {
        var paths = SimdPath.ForTiles(legacyIntrinsics).Select(p => PlanPath(spec.Geometry, p, pixels, planes is null)).ToList();
        WinogradPlan? winograd = WinogradPlan.For(spec, legacyIntrinsics);
        return new ConvPlan(spec, spec.Geometry.StrideWidth, rowLength, chunk, wholePlane, paths.ToEquatableArray(), planes is null ? null : planes with { Computed = paths.Max(p => p.FullPixelsEnd) },
            winograd, PackedDirectPlan.For(spec, legacyIntrinsics, winograd is not null));
    }

    /// <summary>Phase row length: the widest vector read of the last output pixel, plus the kernel's reach in that phase.</summary>
    private static int RowLength(int outputWidth, int kernelWidth, int dilation, int stride) =>
        (int)Math.Min(int.MaxValue, RoundUp(outputWidth, 16) + ((kernelWidth - 1L) * dilation / stride));

    /// <summary>
    /// The tiles of one path for output rows of <paramref name="pixels"/> pixels (the output width, or a flattened plane).
    /// With <paramref name="partial"/>, the last vector of a row holds only the row's last pixels; without, it is
    /// read and computed whole and its extra lanes are not stored.
    /// </summary>
    private static ConvPathPlan PlanPath(Conv2DGeometry g, SimdPath path, int pixels, bool partial)
    {
        int width = path.Width;

        // A flattened plane on Vector512: tiles of 8 channels × 3 vectors, and the plane's last pixels in a tile of their
        // own. Twice the channels of a 4 × 5 tile halve how often the band is read for every block of channels, and the
        // short last tile computes 13 vectors for 12¼ where equal blocks computed 15 (pointwise_256 195 → 153 µs,
        // resnet_3x3_256 1.38 → 1.25–1.27 ms). A plane of at most 6 vectors stays one block (ResNet's 7×7 planes: 4 vectors
        // × 6 channels, not 3 + a weak tile of 1). Rows along the output keep 6 vectors: resnet_3x3_64's 56-pixel rows
        // measured 8 % slower with 3.
        bool flattened = !partial, narrow = flattened && path.Bits == 512 && (pixels + width - 1) / width > 6;
        partial |= narrow;
        int maxVectors = path.Bits == 512 ? (narrow ? 3 : 6) : 4;
        int available = (pixels + width - 1) / width;

        // A flattened plane on the narrower paths: blocks of equal vectors (14 → 7 + 7, not 6 + 6 + 2), the last block
        // computing up to a vector per block past the plane rather than a smaller tile (that would hold fewer
        // accumulators) running last.
        int Balanced(int most) => partial ? Math.Min(available, most) : (available + ((available + most - 1) / most) - 1) / ((available + most - 1) / most);
        int vectors = Balanced(maxVectors);

        int channels = Math.Min(g.OutChannelsPerGroup, Math.Min(8, Math.Max(1, path.Accumulators / vectors)));
        while (channels > 1 && TileRegisters(channels, vectors) > path.Registers)
        {
            channels--;
        }

        // Few output channels per group (depthwise): widen the tile instead, so that it still holds enough
        // independent accumulators to hide the FMA latency.
        int widest = path.Accumulators / channels;
        while (widest > vectors && TileRegisters(channels, widest) > path.Registers)
        {
            widest--;
        }

        vectors = Balanced(Math.Max(vectors, widest));

        // A flattened plane's last vector is computed whole (its extra lanes are never copied out of the tile's output).
        int fullVectors = partial ? pixels / width : (int)RoundUp(available, vectors), partialLanes = partial && !narrow ? pixels % width : 0;
        int fullBlocks = fullVectors / vectors;
        int tailVectors = (fullVectors % vectors) + (partial && pixels % width > 0 ? 1 : 0);
        int remainder = g.OutChannelsPerGroup % channels;

        // A loop over kernel rows, each row's taps written out: the loop costs a tile of 16 or more accumulators next to
        // nothing, and the file holds one kernel row's taps instead of the whole window (measured on the suite: no row
        // slower, the 5×5 and 7×7 ones up to 22 % faster). A one-row kernel and a small tile's small window (depthwise,
        // one channel) are written out whole. The scalar path, the fallback of hardware without vectors, loops over the
        // kernel columns too.
        int perTap = channels + (vectors * (1 + channels));
        int window = g.KernelHeight * g.KernelWidth * perTap, row = g.KernelWidth * perTap;
        Unroll unroll = window <= SmallWindow || (g.KernelHeight == 1 && row <= UnrollLimit && !path.IsScalar) ? Unroll.Full
            : row <= UnrollLimit && (g.KernelWidth == 1 || !path.IsScalar) ? Unroll.Rows
            : Unroll.None;

        return new ConvPathPlan(path, channels, vectors, fullBlocks * vectors * width, unroll,
            fullBlocks > 0 ? new TileShape(channels, vectors, 0) : null,
            tailVectors > 0 ? new TileShape(channels, tailVectors, partialLanes) : null,
            remainder > 0 && fullBlocks > 0 ? new TileShape(remainder, vectors, 0) : null,
            remainder > 0 && tailVectors > 0 ? new TileShape(remainder, tailVectors, partialLanes) : null);
    }

    /// <summary>
    /// Vector registers a tile keeps live: its accumulators, plus either every channel's broadcast weight and one
    /// input vector, or every input vector and one weight — whichever is fewer (see <see cref="TileShape.InputsFirst"/>).
    /// </summary>
    internal static int TileRegisters(int channels, int vectors) => (channels * vectors) + Math.Min(channels, vectors) + 1;

    internal static long RoundUp(int value, int multiple) => (value + (long)multiple - 1) / multiple * multiple;
}
