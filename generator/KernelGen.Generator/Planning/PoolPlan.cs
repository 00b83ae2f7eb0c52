using System;
using System.Collections.Immutable;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// A pool's plan on one path: the vectors its row pass reduces the window's rows with (<paramref name="Rows"/>, the
/// widest the path has whose step fits the input row) and those its column pass writes outputs with
/// (<paramref name="Columns"/>, the widest that fits the output row); either may be narrower than the path, or scalar.
/// A pair pass (<see cref="PoolPlan.Pairs"/>) reads both rows with <paramref name="PairVectors"/>: the widest that fits the
/// input row (each step reads a vector from both rows and writes half as many outputs).
/// </summary>
internal sealed record PoolPathPlan(SimdPath Path, SimdPath Rows, SimdPath Columns, SimdPath PairVectors);

/// <summary>
/// How a max or average pool is computed, one output row at a time and separably: the rows of its window reduced into one
/// row (vectors along the input columns), stored split into <see cref="Phases"/> stride phases of <see cref="PhaseLength"/>
/// floats each, with the padding columns holding −∞ (max) or 0 (average); then the window's columns reduced from that row,
/// each tap a contiguous load. A stride of 1 or 2 is split into as many phases; a larger one is kept as one phase, and its
/// column pass is scalar.
/// </summary>
internal sealed record PoolPlan(PoolSpec Spec, int Phases, int PhaseLength, EquatableArray<PoolPathPlan> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    /// <summary>Floats of the reduced row: every phase.</summary>
    public int RowFloats => Phases * PhaseLength;

    /// <summary>
    /// Where the second row buffer starts: the first's floats rounded up to a 64-byte line. The loop over the output
    /// rows inside the input reduces a row into one buffer while the column pass reads the row before from the other.
    /// </summary>
    public int SecondRow => (RowFloats + 15) / 16 * 16;

    /// <summary>
    /// Whether 2×2 windows at stride 2 tile the input exactly — no padding, no dilation, even height and width — so that
    /// input rows 2r and 2r + 1 of every plane make output row r, and the kernel is one pass over the run of row pairs.
    /// </summary>
    public bool Pairs => Spec.Geometry is { KernelHeight: 2, KernelWidth: 2, StrideHeight: 2, StrideWidth: 2, PadTop: 0, PadBottom: 0, PadLeft: 0, PadRight: 0, IsDilated: false } g
        && g.Height % 2 == 0 && g.Width % 2 == 0;

    /// <summary>Input columns one step of the row pass reduces with <paramref name="rows"/>: two vectors when it splits them into even and odd columns.</summary>
    public int RowStep(SimdPath rows) => Phases == 2 ? 2 * rows.Width : rows.Width;
}

/// <summary>Chooses a pool's row layout and the vectors of its two passes.</summary>
internal static class PoolPlanner
{
    public static string? TooLargeToGenerate(Pool2DGeometry g)
    {
        long floats = (long)Phases(g.StrideWidth) * PhaseLength(g);
        return floats <= ConvPlanner.BandLimit ? null : FormattableString.Invariant(
            $"One reduced row needs {floats} floats (the padded input row of {g.PadLeft + g.Width + g.PadRight} columns); KernelGen keeps it on the stack and allows at most {ConvPlanner.BandLimit}. Reduce the width.");
    }

    public static PoolPlan Plan(PoolSpec spec, bool legacyIntrinsics)
    {
        Pool2DGeometry g = spec.Geometry;
        int phases = Phases(g.StrideWidth);
        ImmutableArray<SimdPath> all = SimdPath.All(legacyIntrinsics);

        // The widest vectors no wider than the path whose step fits the row; scalar when none does (or, for the column
        // pass of a stride above 2, always).
        SimdPath Fitting(SimdPath path, Func<SimdPath, bool> fits) =>
            all.First(p => p.IsScalar || (p.Width <= path.Width && !path.IsScalar && fits(p)));
        return new PoolPlan(spec, phases, PhaseLength(g), all.Select(p => new PoolPathPlan(
            p,
            Fitting(p, v => (phases == 2 ? 2 * v.Width : v.Width) <= g.Width),
            Fitting(p, v => phases == g.StrideWidth && v.Width <= g.OutputWidth),
            Fitting(p, v => v.Width <= g.Width))).ToEquatableArray());
    }

    private static int Phases(int stride) => stride <= 2 ? stride : 1;

    /// <summary>
    /// Floats in each phase of the reduced row: every padded input column the row pass writes and every column a window
    /// reads (a ceil-mode window may reach past the padding), whichever ends later.
    /// </summary>
    private static int PhaseLength(Pool2DGeometry g)
    {
        int phases = Phases(g.StrideWidth);
        long written = g.PadLeft + g.Width;
        long read = ((long)(g.OutputWidth - 1) * g.StrideWidth) + ((long)(g.KernelWidth - 1) * g.DilationWidth) + 1;
        return (int)Math.Min(int.MaxValue, ((Math.Max(written, read) + phases - 1) / phases) + 1);
    }
}

/// <summary>A global average pool's plan: how many independent accumulators sum each plane on each path.</summary>
internal sealed record GlobalPoolPlan(GlobalPoolSpec Spec, EquatableArray<SimdPath> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    public static GlobalPoolPlan Plan(GlobalPoolSpec spec, bool legacyIntrinsics) => new(spec, SimdPath.All(legacyIntrinsics).ToEquatableArray());
}

/// <summary>A dense layer's plan: how the product is blocked on each path.</summary>
internal sealed record DensePlan(DenseSpec Spec, EquatableArray<DensePathPlan> Paths) : IPlan
{
    public MethodTarget Method => Spec.Method;

    public static DensePlan Plan(DenseSpec spec, bool legacyIntrinsics) =>
        new(spec, SimdPath.All(legacyIntrinsics).Select(p => new DensePathPlan(p, DenseBlocking.For(spec, p), DensePacking.For(p))).ToEquatableArray());
}

/// <summary>A dense layer on one path.</summary>
internal sealed record DensePathPlan(SimdPath Path, DenseBlocking Blocking, DensePacking Packing);
