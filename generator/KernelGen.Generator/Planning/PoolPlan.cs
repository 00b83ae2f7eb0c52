using System;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>A pool's plan on one path: vectors of output pixels per tile, where full tiles end, and the two tiles.</summary>
internal sealed record PoolPathPlan(SimdPath Path, int BlockVectors, int FullPixelsEnd, Unroll Unroll, TileShape? Main, TileShape? Tail)
{
    public int BlockPixels => BlockVectors * Path.Width;
}

/// <summary>
/// How a max or average pool is computed: like a convolution, each output row reads a band of input
/// rows copied once, padded (with −∞ for max, 0 for average) and split into stride phases.
/// </summary>
internal sealed record PoolPlan(PoolSpec Spec, int Phases, int RowLength, EquatableArray<PoolPathPlan> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    public int ChannelStride => Spec.KernelHeight * Phases * RowLength;
}

/// <summary>Chooses a pool's band layout and tiles.</summary>
internal static class PoolPlanner
{
    public static string? TooLargeToGenerate(Pool2DGeometry g)
    {
        int row = RowLength(g.OutputWidth, g.KernelWidth, g.StrideWidth, g.DilationWidth);
        long channelStride = ShapeMath.Product(g.KernelHeight, g.StrideWidth, row);
        return channelStride <= ConvPlanner.BandLimit ? null : FormattableString.Invariant(
            $"One channel's band needs {channelStride} floats (kernel height {g.KernelHeight} × stride {g.StrideWidth} × row {row}); KernelGen keeps it on the stack and allows at most {ConvPlanner.BandLimit}. Reduce the width, kernel height or stride.");
    }

    public static PoolPlan Plan(PoolSpec spec, bool legacyIntrinsics) =>
        new(spec, spec.StrideWidth, RowLength(spec.Geometry.OutputWidth, spec.KernelWidth, spec.StrideWidth, spec.DilationWidth),
            SimdPath.All(legacyIntrinsics).Select(p => PlanPath(spec.Geometry, p)).ToEquatableArray());

    private static int RowLength(int outputWidth, int kernelWidth, int stride, int dilation) =>
        (int)Math.Min(int.MaxValue, ConvPlanner.RoundUp(outputWidth, 16) + ((long)(kernelWidth - 1) * dilation / stride));

    private static PoolPathPlan PlanPath(Pool2DGeometry g, SimdPath path)
    {
        int width = path.Width;
        int vectors = Math.Min((g.OutputWidth + width - 1) / width, path.IsScalar ? 4 : 8);
        int fullVectors = g.OutputWidth / width, partialLanes = g.OutputWidth % width;
        int fullBlocks = fullVectors / vectors;
        int tailVectors = (fullVectors % vectors) + (partialLanes > 0 ? 1 : 0);
        int perTap = 2 * vectors;
        Unroll unroll = g.KernelHeight * g.KernelWidth * perTap <= ConvPlanner.UnrollLimit ? Unroll.Full
            : g.KernelWidth * perTap <= ConvPlanner.UnrollLimit ? Unroll.Rows
            : Unroll.None;
        return new PoolPathPlan(path, vectors, fullBlocks * vectors * width, unroll,
            fullBlocks > 0 ? new TileShape(1, vectors, 0) : null,
            tailVectors > 0 ? new TileShape(1, tailVectors, partialLanes) : null);
    }
}

/// <summary>A global average pool's plan: how many independent accumulators sum each plane on each path.</summary>
internal sealed record GlobalPoolPlan(GlobalPoolSpec Spec, EquatableArray<SimdPath> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    public static GlobalPoolPlan Plan(GlobalPoolSpec spec, bool legacyIntrinsics) => new(spec, SimdPath.All(legacyIntrinsics).ToEquatableArray());
}

/// <summary>A dense layer's plan: output features per tile on each path.</summary>
internal sealed record DensePlan(DenseSpec Spec, EquatableArray<DensePathPlan> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    public static DensePlan Plan(DenseSpec spec, bool legacyIntrinsics) =>
        new(spec, SimdPath.All(legacyIntrinsics).Select(p => new DensePathPlan(p, Math.Min(spec.OutFeatures, p.IsScalar ? 4 : 8))).ToEquatableArray());
}

/// <summary>A dense layer on one path: <paramref name="BlockOutputs"/> output features share each input load.</summary>
internal sealed record DensePathPlan(SimdPath Path, int BlockOutputs);
