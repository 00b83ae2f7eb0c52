using System;
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
internal sealed record ConvPlan(ConvSpec Spec, int Phases, int RowLength, int ChunkChannels, bool WholePlane, EquatableArray<ConvPathPlan> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    /// <summary>Input rows per channel in the band: every row an output reads, or the kernel rows of one output row.</summary>
    public int BandRows => WholePlane ? PlaneRows(Spec.Geometry) : Spec.KernelHeight;

    public int RowStride => Phases * RowLength;

    /// <summary>Floats of band per input channel.</summary>
    public int ChannelStride => BandRows * RowStride;

    /// <summary>Floats between the band rows of consecutive kernel rows.</summary>
    public int KernelRowStride => WholePlane ? Spec.DilationHeight * RowStride : RowStride;

    /// <summary>Padded input rows that some output reads, from the first padding row on.</summary>
    public static int PlaneRows(Conv2DGeometry g) => g.PlaneRows;

    public bool Chunked => ChunkChannels < Spec.InChannels / Spec.Groups;
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

    public static string? TooLargeToGenerate(Conv2DGeometry g)
    {
        long rowLength = RowLength(g.OutputWidth, g.KernelWidth, g.DilationWidth, g.StrideWidth);
        long channelStride = ShapeMath.Product(g.KernelHeight, g.StrideWidth, rowLength);
        return channelStride <= BandLimit ? null : FormattableString.Invariant(
            $"One input channel's band needs {channelStride} floats (kernel height {g.KernelHeight} × stride {g.StrideWidth} × row {rowLength}); KernelGen keeps it on the stack and allows at most {BandLimit}. Reduce the width, kernel height or stride.");
    }

    public static ConvPlan Plan(ConvSpec spec, bool legacyIntrinsics)
    {
        Conv2DGeometry g = spec.Geometry;
        int phases = g.StrideWidth;
        int rowLength = RowLength(g.OutputWidth, g.KernelWidth, g.DilationWidth, g.StrideWidth);
        bool wholePlane = ShapeMath.Product(g.InChannelsPerGroup, ConvPlan.PlaneRows(g), phases, rowLength) <= BandLimit;
        int chunk = wholePlane ? g.InChannelsPerGroup : Math.Min(g.InChannelsPerGroup, Math.Max(1, ChunkFloats / (g.KernelHeight * phases * rowLength)));
        var paths = SimdPath.WithArm64(legacyIntrinsics).Select(p => PlanPath(g, p)).ToList();

        // The ARM64 path differs from the x64 Vector128 one only in its tiles: where the register budget does not
        // change them, ARM64 takes the x64 path's code.
        ConvPathPlan arm64 = paths.Single(p => p.Path.Name == "Arm64"), vector128 = paths.Single(p => p.Path.Name == "Vector128");
        if (arm64 with { Path = vector128.Path } == vector128)
        {
            paths.Remove(arm64);
        }

        return new ConvPlan(spec, phases, rowLength, chunk, wholePlane, paths.ToEquatableArray());
    }

    /// <summary>Phase row length: the widest vector read of the last output pixel, plus the kernel's reach in that phase.</summary>
    private static int RowLength(int outputWidth, int kernelWidth, int dilation, int stride) =>
        (int)Math.Min(int.MaxValue, RoundUp(outputWidth, 16) + ((kernelWidth - 1L) * dilation / stride));

    private static ConvPathPlan PlanPath(Conv2DGeometry g, SimdPath path)
    {
        int width = path.Width;
        int maxVectors = path.Bits == 512 ? 6 : 4;
        int vectors = Math.Min((g.OutputWidth + width - 1) / width, maxVectors);
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

        vectors = Math.Min((g.OutputWidth + width - 1) / width, Math.Max(vectors, widest));

        int fullVectors = g.OutputWidth / width, partialLanes = g.OutputWidth % width;
        int fullBlocks = fullVectors / vectors;
        int tailVectors = (fullVectors % vectors) + (partialLanes > 0 ? 1 : 0);
        int remainder = g.OutChannelsPerGroup % channels;

        int perTap = channels + (vectors * (1 + channels));
        Unroll unroll = g.KernelHeight * g.KernelWidth * perTap <= UnrollLimit ? Unroll.Full
            : g.KernelWidth * perTap <= UnrollLimit ? Unroll.Rows
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
