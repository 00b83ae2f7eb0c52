using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// A band of input rows: for each channel, <paramref name="Rows"/> input rows <paramref name="RowStep"/> apart
/// (the rows one output row's kernel rows read, or every row of the padded plane), each padded with
/// <paramref name="PadValue"/> and split into <paramref name="Phases"/> stride phases (phase p holds padded
/// columns p, p + stride, p + 2·stride, …) of <paramref name="RowLength"/> floats.
/// </summary>
internal sealed record BandLayout(int Height, int Width, int Rows, int RowStep, int PadLeft, int Phases, int RowLength, string PadValue)
{
    public int RowStride => Phases * RowLength;

    public int ChannelStride => Rows * RowStride;

    /// <summary>The columns <c>[start, end)</c> of phase <paramref name="phase"/> that hold input, not padding.</summary>
    public (int Start, int End) InputColumns(int phase) => ShapeMath.PhaseInputColumns(Width, PadLeft, phase, Phases, RowLength);
}

/// <summary>Writes the method that fills a band, shared by a kernel's paths.</summary>
internal static class BandEmitter
{
    public const string Method = "FillBand";

    /// <summary>The statement that gives a fresh band its padding, before any row is copied in.</summary>
    public static string Initialise(BandLayout band, string span) =>
        band.PadValue == "0f" ? $"{span}.Clear();" : $"{span}.Fill({band.PadValue});";

    public static void Write(CodeWriter w, BandLayout band)
    {
        w.Line("/// <summary>");
        w.Line(Invariant($"/// Copies {band.Rows} input rows per channel into the band, starting at row <paramref name=\"firstRow\"/>{(band.RowStep > 1 ? Invariant($", every {band.RowStep}th row") : "")}:"));
        w.Line(Invariant($"/// each split into {band.Phases} stride phase(s) of {band.RowLength} floats. The padding columns were"));
        w.Line("/// written once when the band was made; rows outside the input become padding here.");
        w.Line("/// </summary>");
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {Method}(ref float input, ref float band, int firstRow, int channels)"))
        using (w.Block("for (int c = 0; c < channels; c++)"))
        using (band.Rows > 1 ? w.Block(Invariant($"for (int r = 0; r < {band.Rows}; r++)")) : default(CodeWriter.Scope?))
        {
            w.Line(band.Rows == 1 ? "int iy = firstRow;" : band.RowStep == 1 ? "int iy = firstRow + r;" : Invariant($"int iy = firstRow + (r * {band.RowStep});"));
            w.Line(Invariant($"ref float row = ref {At("band", band.Rows == 1 ? Offset(0, ("c", band.RowStride)) : Invariant($"((c * {band.Rows}) + r) * {band.RowStride}"))};"));
            using (w.Block(Invariant($"if ((uint)iy >= {band.Height}u)")))
            {
                w.Line("// Above or below the input: a row of padding.");
                for (int phase = 0; phase < band.Phases; phase++)
                {
                    (int start, int end) = band.InputColumns(phase);
                    if (end > start)
                    {
                        string target = Invariant($"{MemoryMarshal}.CreateSpan(ref {At("row", Invariant($"{(phase * band.RowLength) + start}"))}, {end - start})");
                        w.Line(Initialise(band, target));
                    }
                }

                w.Line("continue;");
            }

            w.Line();
            w.Line(Invariant($"ref float source = ref {At("input", Invariant($"((c * {band.Height}) + iy) * {band.Width}"))};"));
            for (int phase = 0; phase < band.Phases; phase++)
            {
                (int start, int end) = band.InputColumns(phase);
                if (end <= start)
                {
                    continue;
                }

                int first = (start * band.Phases) + phase - band.PadLeft;
                if (band.Phases == 1)
                {
                    w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At("source", Invariant($"{first}"))}, {end - start})"));
                    w.Line(Invariant($"    .CopyTo({MemoryMarshal}.CreateSpan(ref {At("row", Invariant($"{start}"))}, {end - start}));"));
                }
                else
                {
                    w.Line(Invariant($"// phase {phase}: columns {start}..{end - 1} read input columns {first}, {first + band.Phases}, …"));
                    using (w.Block(Invariant($"for (int j = {start}; j < {end}; j++)")))
                    {
                        w.Line($"{At("row", Plus("j", phase * band.RowLength))} = {At("source", Plus(Invariant($"(j * {band.Phases})"), phase - band.PadLeft))};");
                    }
                }
            }
        }
    }
}
