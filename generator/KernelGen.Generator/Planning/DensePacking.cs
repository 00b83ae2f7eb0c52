using System;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// How a dense product over packed weights is tiled on one path: <paramref name="Rows"/> samples × <paramref name="Columns"/>
/// vectors of output features, one accumulator each. A sample's input feature is broadcast once and multiplied by every
/// column's vector of packed weights, so a step of the reduction costs <c>Columns</c> loads, <c>Rows</c> broadcasts and
/// <c>Rows × Columns</c> FMAs, and no sums across lanes are needed at the end.
/// </summary>
internal sealed record DensePacking(int Rows, int Columns)
{
    /// <summary>Output features per packed panel: one Vector512, two Vector256, four Vector128, sixteen floats.</summary>
    public const int Panel = 16;

    /// <summary>
    /// Vectors of output features a single-sample tile takes: as many independent FMA chains as hide the FMA's latency,
    /// streaming eight panels at once where every weight is read once (a batch of one is a matrix-vector product, bound by
    /// memory).
    /// </summary>
    public const int SingleColumns = 8;

    /// <summary>The most samples a tile takes: 8 × 2 Vector512 columns measured 95 % of the FMA peak on mnist_fc1_b64.</summary>
    private const int MaxRows = 8;

    /// <summary>
    /// Two Vector512 columns (32 output features, two panels), two Vector256 (one panel), four Vector128 (one panel),
    /// four floats on the scalar path; then as many samples as keep every accumulator, every column's weights and one
    /// broadcast input in registers (<c>Rows × Columns + Columns + 1 ≤ registers</c>), at most <see cref="MaxRows"/> and
    /// even: 8 for Vector512, 6 for Vector256 with AVX2's 16 registers, 2 for Vector128 and scalar.
    /// </summary>
    public static DensePacking For(SimdPath path)
    {
        int columns = path.Bits switch { 512 => 2, 256 => 2, _ => 4 };
        int rows = Math.Min(MaxRows, (path.Registers - columns - 1) / columns);

        // Even, so that the pairs of samples left over from whole tiles are exactly what the tiles of 4 and 2 take.
        return new DensePacking(Math.Max(2, rows - (rows % 2)), columns);
    }

    /// <summary>Bytes of one group's packed weights a block of input features holds: half of the smallest L1 here.</summary>
    private const int BlockBytes = 16 * 1024;

    /// <summary>
    /// Input features per block of the batched pass: as many as keep a group's packed weights in <see cref="BlockBytes"/>
    /// (256 for a Vector256 group of 16 output features, 128 for Vector512's 32), in equal blocks. Every tile of samples
    /// then reads the block's weights from L1, not only the first: MNIST's dense 5408 → 128 at batch 8 on AVX2, a tile of 6
    /// samples then one of 2 over all inputs, read each panel (346 KB) from L3 twice beside the inputs.
    /// </summary>
    public static int InputBlock(int inputs, SimdPath path, DensePacking p)
    {
        int most = System.Math.Max(1, BlockBytes / (p.Columns * path.Width * sizeof(float)));
        int blocks = (inputs + most - 1) / most;
        return (inputs + blocks - 1) / blocks;
    }

    /// <summary>The packed length: output features padded to whole panels, times the input features.</summary>
    public static long Length(DenseSpec spec) => ((spec.OutFeatures + Panel - 1L) / Panel) * Panel * spec.InFeatures;

    /// <summary>Floats between the packed weights' start and output feature <paramref name="o"/> of input feature 0: its panel, then its lane.</summary>
    public static int Offset(int o, int inputs) => (o / Panel * Panel * inputs) + (o % Panel);

    /// <summary><see cref="Offset(int, int)"/> for the output feature held in the variable <paramref name="o"/>, as C#.</summary>
    public static string Offset(string o, int inputs) =>
        FormattableString.Invariant($"({o} / {Panel} * {Panel * inputs}) + ({o} % {Panel})");

    /// <summary>The layout's name, which a packed overload checks its argument against.</summary>
    public static string Layout(DenseSpec spec) =>
        FormattableString.Invariant($"Dense {spec.InFeatures}→{spec.OutFeatures}: output features in panels of {Panel}, each panel by input feature");
}
