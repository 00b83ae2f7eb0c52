using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes what a convolution with flattened output planes (<see cref="PlaneBand"/>) needs besides its tiles: the band,
/// from the stack or the array pool; the method that copies input planes into it; and the method that copies a
/// tile's flattened output pixels out to the output planes.
/// </summary>
internal static class PlaneEmitter
{
    public const string Fill = "FillPlanes";

    public const string Store = "StorePixels";

    private const string Pool = "KgArrayPool.Shared";

    /// <summary>
    /// Declares <c>bandBuffer</c>, <paramref name="floats"/> long, rented from the array pool, and opens the <c>try</c>
    /// whose <c>finally</c> (written when the scope is disposed) returns it: a band too large for the stack.
    /// </summary>
    public static CodeWriter.Scope RentBand(CodeWriter w, int floats)
    {
        w.Line(Invariant($"// The band is too large for the stack ({floats} floats): it comes from the array pool, so no call allocates once the pool holds one."));
        w.Line(Invariant($"float[] rented = {Pool}.Rent({floats});"));
        CodeWriter.Scope scope = w.Block("try", after =>
        {
            using (after.Block("finally"))
            {
                after.Line($"{Pool}.Return(rented);");
            }
        });
        w.Line(Invariant($"KgSpan bandBuffer = new KgSpan(rented, 0, {floats});"));
        return scope;
    }

    public static void WriteFill(CodeWriter w, PlaneBand band)
    {
        Conv2DGeometry g = band.Geometry;
        int phases = band.RowPhases * band.ColumnPhases;
        w.Line("/// <summary>");
        w.Line(Invariant($"/// Copies <paramref name=\"channels\"/> input planes into the band: each channel's padded plane in {phases} stride phase(s) of"));
        w.Line(Invariant($"/// {band.Rows} rows × {band.RowLength} floats{(phases > 1 ? Invariant($" (phase (py, px) holds padded pixels (py + {band.RowPhases}r, px + {band.ColumnPhases}c))") : "")}. The padding was written once when the band was made."));
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {Fill}(ref float input, ref float band, int channels)"))
        using (w.Block("for (int c = 0; c < channels; c++)"))
        {
            w.Line(Invariant($"ref float source = ref {At("input", Offset(0, ("c", g.Height * g.Width)))};"));
            w.Line(Invariant($"ref float planes = ref {At("band", Offset(0, ("c", band.ChannelStride)))};"));
            for (int py = 0; py < band.RowPhases; py++)
            {
                for (int px = 0; px < band.ColumnPhases; px++)
                {
                    (int rowStart, int rowEnd) = ShapeMath.PhaseInputColumns(g.Height, g.PadTop, py, band.RowPhases, band.Rows);
                    (int start, int end) = ShapeMath.PhaseInputColumns(g.Width, g.PadLeft, px, band.ColumnPhases, band.RowLength);
                    if (rowEnd <= rowStart || end <= start)
                    {
                        continue;
                    }

                    int phase = ((py * band.ColumnPhases) + px) * band.PhaseStride;
                    int firstRow = (rowStart * band.RowPhases) + py - g.PadTop, firstColumn = (start * band.ColumnPhases) + px - g.PadLeft;
                    w.Line(Invariant($"// {(phases > 1 ? Invariant($"phase ({py}, {px}): ") : "")}rows {rowStart}..{rowEnd - 1} hold input rows {Range(firstRow, rowEnd - rowStart, band.RowPhases)}; columns {start}..{end - 1} input columns {Range(firstColumn, end - start, band.ColumnPhases)}"));
                    using (w.Block(Invariant($"for (int r = {rowStart}; r < {rowEnd}; r++)")))
                    {
                        // Input pixel (r·sh + py − padTop, j·sw + px − padLeft) goes to phase row r, column j.
                        long sourceRow = ((long)(py - g.PadTop) * g.Width) + px - g.PadLeft;
                        if (band.ColumnPhases == 1)
                        {
                            string from = At("source", Offset(sourceRow + start, ("r", band.RowPhases * g.Width)));
                            string to = At("planes", Offset(phase + start, ("r", band.RowLength)));
                            w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {from}, {end - start}).CopyTo({MemoryMarshal}.CreateSpan(ref {to}, {end - start}));"));
                        }
                        else
                        {
                            using (w.Block(Invariant($"for (int j = {start}; j < {end}; j++)")))
                            {
                                string from = At("source", Offset(sourceRow, ("r", band.RowPhases * g.Width), ("j", band.ColumnPhases)));
                                string to = At("planes", Offset(phase, ("r", band.RowLength), ("j", 1)));
                                w.Line($"{to} = {from};");
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary><c>first..last</c>, or with a step, <c>first, first + step, …, last</c>.</summary>
    private static string Range(int first, int count, int step) =>
        step == 1 ? Invariant($"{first}..{first + count - 1}")
        : count <= 2 ? string.Join(", ", Enumerable.Range(0, count).Select(i => Invariant($"{first + (i * step)}")))
        : Invariant($"{first}, {first + step}, …, {first + ((count - 1) * step)}");

    public static void WriteStore(CodeWriter w, PlaneBand band)
    {
        Conv2DGeometry g = band.Geometry;
        int length = band.RowLength, width = g.OutputWidth;
        w.Line("/// <summary>");
        w.Line("/// Copies the output pixels among flattened pixels <paramref name=\"start\"/> .. <paramref name=\"start\"/> + <paramref name=\"count\"/> − 1");
        w.Line(Invariant($"/// of <paramref name=\"channels\"/> channels from a tile's output (<paramref name=\"count\"/> floats per channel) to the output planes."));
        w.Line(Invariant($"/// Flattened pixel q is output pixel (q / {length}, q % {length}); those whose column is {width} or more are not pixels."));
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {Store}(ref float tile, int start, int count, ref float output, int channels)"))
        {
            w.Line(Invariant($"int end = {MathClass}.Min(start + count, {band.Pixels});"));
            using (w.Block(Invariant($"for (int oy = start / {length}; oy * {length} < end; oy++)")))
            {
                w.Line(Invariant($"int from = {MathClass}.Max(start, oy * {length}), to = {MathClass}.Min(end, (oy * {length}) + {width});"));
                using (w.Block("for (int j = 0; j < channels; j++)"))
                {
                    w.Line(Invariant($"ref float source = ref {At("tile", "(j * count) + from - start")};"));
                    string row = length == width ? "" : Invariant($" - (oy * {length - width})");
                    w.Line(Invariant($"ref float target = ref {At("output", Invariant($"(j * {g.OutputHeight * width}) + from{row}"))};"));
                    using (w.Block("for (int k = 0; k < to - from; k++)"))
                    {
                        w.Line($"{At("target", "k")} = {At("source", "k")};");
                    }
                }
            }
        }
    }
}
