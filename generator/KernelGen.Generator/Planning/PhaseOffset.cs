using System.Globalization;

namespace KernelGen.Generator.Planning;

/// <summary>
/// Where tap <c>k</c> of a window lies in a band split into stride phases: tap k reads input element k × dilation,
/// which is in phase (k × dilation) mod phases, (k × dilation) div phases steps into it. So its offset is
/// <c>(k·d mod phases) · phaseStride + (k·d div phases) · step</c> — for a kernel column, the phases of a row (step 1);
/// for a kernel row, the row phases of a plane (step: a row's length). One formula for every band layout.
/// </summary>
internal static class PhaseOffset
{
    /// <summary>The offset of tap <paramref name="k"/>.</summary>
    public static int Of(int k, int dilation, int phases, int phaseStride, int step) =>
        (k * dilation % phases * phaseStride) + (k * dilation / phases * step);

    /// <summary>The offset of the tap held in the variable <paramref name="k"/>, as C#.</summary>
    public static string Of(string k, int dilation, int phases, int phaseStride, int step)
    {
        string dilated = dilation == 1 ? k : $"({k} * {Int(dilation)})";
        string steps = phases == 1 ? dilated : $"{dilated} / {Int(phases)}";
        string along = step == 1 ? steps : $"{steps} * {Int(step)}";
        return phases == 1 ? along : $"({dilated} % {Int(phases)} * {Int(phaseStride)}) + ({along})";
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
