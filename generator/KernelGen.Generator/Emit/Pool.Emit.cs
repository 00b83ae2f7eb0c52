using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>Writes <c>[MaxPool2D]</c> and <c>[AvgPool2D]</c> kernels from their plans.</summary>
internal static class PoolEmitter
{
    public static string Emit(PoolPlan plan)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        MethodTarget m = s.Method;
        var spans = new List<SpanArgument> { new(m.Input, g.InputLength, true), new(m.Output, g.OutputLength, true) };
        string name = s.Kind == PoolKind.Max ? "MaxPool2D" : "AvgPool2D";
        string divisor = (s.CeilMode ? ", ceil mode" : "") + (s.Kind == PoolKind.Max ? "" : s.CountIncludePad ? ", padding counted in the divisor" : ", padding not counted in the divisor");
        string summary = Invariant($"{name} {g.Channels}×{g.Height}×{g.Width} → {g.Channels}×{g.OutputHeight}×{g.OutputWidth}: window {g.KernelHeight}×{g.KernelWidth}, stride {g.StrideHeight}×{g.StrideWidth}, padding {g.PadTop},{g.PadBottom},{g.PadLeft},{g.PadRight} (top, bottom, left, right){(g.IsDilated ? Invariant($", dilation {g.DilationHeight}×{g.DilationWidth}") : "")}{divisor}.");
        string neutral = s.Kind == PoolKind.Max ? "−∞" : "0";
        var remarks = new List<string>
        {
            Invariant($"Memory-bound: reads {Number(4L * g.InputLength)} bytes and writes {Number(4L * g.OutputLength)} per sample."),
        };
        if (plan.Pairs)
        {
            remarks.Add(Invariant($"Strategy: the 2×2 windows at stride 2 tile the input exactly, so input rows 2r and 2r + 1 of every plane make output row r, and the kernel is one pass over the batch × {g.Channels} × {g.OutputHeight} row pairs with no plane loop: each step loads a vector from both rows, {(s.Kind == PoolKind.Max ? "takes their maximum" : "adds them")}, gathers the even and the odd columns with two shuffles, {(s.Kind == PoolKind.Max ? "takes their maximum" : "adds them and scales by ¼")} and stores half a vector of outputs. A last step that would pass the row's end is moved back to end with it (it writes some outputs twice, the same values)."));
            remarks.AddRange(plan.Paths.Select(p => Invariant($"{p.Path.Name}: {PairSteps(plan, p.PairVectors)}.")));
        }
        else
        {
            remarks.Add(Invariant($"Strategy: one output row at a time, separably. The window's {g.KernelHeight} rows are reduced into one row with vectors along the input columns (rows outside the input skipped), stored {(plan.Phases == 2 ? "split into even and odd columns" : "as it is")} between padding columns that hold {neutral} from the start; then the window's {g.KernelWidth} columns are reduced from that row{(plan.Phases == s.StrideWidth ? ", each tap a contiguous load" : "")}. No loop checks bounds; a last step that would pass the row's end is moved back to end with it."));
            remarks.AddRange(plan.Paths.Select(p => Invariant($"{p.Path.Name}: rows with {Vectors(p.Rows)} ({plan.RowStep(p.Rows)} column(s) per step), columns with {Vectors(p.Columns)}.")));
        }

        return Write(m, summary, remarks, spans, plan.Paths.Select(p => p.Path), w => WriteKernel(w, plan), parts: Parts(s.Geometry));
    }

    private static string PairSteps(PoolPlan plan, SimdPath v) => v.IsScalar
        ? "scalars, an output at a time"
        : Invariant($"{v.Name} steps of {v.Width / 2} outputs, {StepStarts(plan.Spec.Geometry.OutputWidth, v.Width / 2).Count} per row");

    /// <summary>The first output of each step along an output row of <paramref name="outputs"/>: whole steps, then one moved back to end with the row.</summary>
    private static List<int> StepStarts(int outputs, int step)
    {
        var starts = Enumerable.Range(0, outputs / step).Select(i => i * step).ToList();
        if (outputs % step != 0)
        {
            starts.Add(outputs - step);
        }

        return starts;
    }

    /// <summary>The pair pass of a path: every row pair of the batch, its outputs in steps of half a vector (<see cref="PoolPlan.Pairs"/>).</summary>
    private static void WritePairs(CodeWriter w, PoolPlan plan, PoolPathPlan path)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        bool max = s.Kind == PoolKind.Max;
        SimdPath v = path.PairVectors;
        int width = g.Width, outputs = g.OutputWidth;
        w.Line(Parts(g).PathSummary(Invariant($", as output rows of {g.OutputHeight} from input row pairs")));
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Path.Name}({PartPathParameters(["input", "output"])})"))
        using (w.Block("for (int n = 0; n < batch; n++)"))
        using (w.Block(Invariant($"for (int r = ((n * {g.Channels}) + from) * {g.OutputHeight}; r < ((n * {g.Channels}) + to) * {g.OutputHeight}; r++)")))
        {
            w.Line(Invariant($"ref float top = ref {At("input", Offset(0, ("r", 2 * width)))};"));
            w.Line(Invariant($"ref float o = ref {At("output", Offset(0, ("r", outputs)))};"));
            if (v.IsScalar)
            {
                using (w.Block(Invariant($"for (int c = 0; c < {outputs}; c++)")))
                {
                    string Tap(int dy, int dx) => At("top", Invariant($"{Plus("(2 * c)", (dy * width) + dx)}"));
                    w.Line(max
                        ? $"{At("o", "c")} = KgMathF.Max(KgMathF.Max({Tap(0, 0)}, {Tap(0, 1)}), KgMathF.Max({Tap(1, 0)}, {Tap(1, 1)}));"
                        : $"{At("o", "c")} = (({Tap(0, 0)} + {Tap(1, 0)}) + ({Tap(0, 1)} + {Tap(1, 1)})) * 0.25f;");
                }

                return;
            }

            int step = v.Width / 2;
            string Indices(int first) => $"{v.Static}.Create({string.Join(", ", Enumerable.Range(0, v.Width).Select(i => Invariant($"{(i < step ? first + (2 * i) : first)}")))})";
            string evens = Indices(0), odds = Indices(1);
            foreach (int c in StepStarts(outputs, step))
            {
                w.Line(Invariant($"// outputs {c}..{c + step - 1}"));
                using (w.Block(""))
                {
                    w.Line($"{v.Type} m = {(max ? v.MaxOrNaN(v.Load("top", 2 * c), v.Load("top", width + (2 * c))) : $"{v.Load("top", 2 * c)} + {v.Load("top", width + (2 * c))}")};");
                    string even = $"{v.Static}.Shuffle(m, {evens})", odd = $"{v.Static}.Shuffle(m, {odds})";
                    w.Line($"{v.Type} pair = {(max ? v.MaxOrNaN(even, odd) : $"({even} + {odd}) * 0.25f")};");
                    foreach (string line in v.PartialStore("pair", "o", c, step))
                    {
                        w.Line(line);
                    }
                }
            }
        }
    }

    /// <summary>A pool's call splits by channels.</summary>
    private static Parts Parts(Pool2DGeometry g) => new(g.Channels, "channels");

    private static string Vectors(SimdPath path) => path.IsScalar ? "scalars" : path.Name;

    /// <summary>Whether an average's divisor differs between windows: not counting the padding, or counting it with some windows clipped.</summary>
    private static bool ScalesPerPixel(PoolSpec s) => s.Kind == PoolKind.Average && (!s.CountIncludePad || s.ClippedWindows);

    private static void WriteKernel(CodeWriter w, PoolPlan plan)
    {
        if (plan.Pairs)
        {
            foreach (PoolPathPlan path in plan.Paths)
            {
                WritePairs(w, plan, path);
                w.Line();
            }

            return;
        }

        foreach (PoolPathPlan path in plan.Paths)
        {
            WritePath(w, plan, path);
            w.Line();
        }

        // A pass is named after the vectors it uses, and paths whose shape makes them use the same share it.
        foreach (SimdPath rows in plan.Paths.Select(p => p.Rows).Distinct())
        {
            WriteRows(w, plan, rows);
            w.Line();
        }

        foreach (SimdPath columns in plan.Paths.Select(p => p.Columns).Distinct())
        {
            WriteColumns(w, plan, columns);
            w.Line();
        }

        if (ScalesPerPixel(plan.Spec))
        {
            WriteColumnScale(w, plan.Spec);
        }
    }

    /// <summary>
    /// The path: per plane, each output row's input rows reduced into the row buffer, then its columns into the output.
    /// Rows whose window reaches outside the input (at the top and bottom) are written one by one, with the taps inside.
    /// The loop over the others keeps two row buffers and lets the column pass run a row behind: reading a row just
    /// stored, in loads that straddle the stores, stalls each load until its stores reach the cache (maxpool 3×3 stride 2
    /// on 64×112×112: 68–75 µs against 78–82).
    /// </summary>
    private static void WritePath(CodeWriter w, PoolPlan plan, PoolPathPlan path)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        bool scales = ScalesPerPixel(s);
        string name = path.Path.Name, rowPass = RowPass(path.Rows), columnPass = ColumnPass(path.Columns);

        // Output rows whose whole window lies inside the input run in a loop; the others are written out.
        int first = (g.PadTop + g.StrideHeight - 1) / g.StrideHeight;
        int end = System.Math.Max(first, System.Math.Min(g.OutputHeight, ((g.Height - 1 - ((g.KernelHeight - 1) * g.DilationHeight) + g.PadTop) / g.StrideHeight) + 1));
        if (g.Height - 1 - ((g.KernelHeight - 1) * g.DilationHeight) + g.PadTop < 0)
        {
            end = first;
        }

        void Row(int oy)
        {
            int top = (oy * g.StrideHeight) - g.PadTop;
            int[] taps = InputTaps(top, g.KernelHeight, g.DilationHeight, g.Height);
            w.Line(Invariant($"// Output row {oy}: input rows {string.Join(", ", taps.Select(ky => top + (ky * g.DilationHeight)))} of the window's {g.KernelHeight}."));
            if (taps.Length == 0)
            {
                w.Line(Invariant($"rowBuffer.Fill({Neutral(s)});"));
            }
            else
            {
                w.Line(Invariant($"{rowPass}({RefAt("source", (top + (taps[0] * g.DilationHeight)) * g.Width)}, ref rows, {taps.Length});"));
            }

            string scale = scales ? Invariant($", 1f / {g.DivisorRows(oy, s.CountIncludePad)}") : "";
            w.Line(Invariant($"{columnPass}(ref rows, {RefAt("target", oy * g.OutputWidth)}{scale});"));
        }

        w.Line(Parts(g).PathSummary());
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {name}({PartPathParameters(["input", "output"])})"))
        {
            bool loop = end > first;
            w.Line(Invariant($"KgSpan rowBuffer = stackalloc float[{(loop ? plan.SecondRow + plan.RowFloats : plan.RowFloats)}];"));
            w.Line(Invariant($"rowBuffer.Fill({Neutral(s)});"));
            w.Line($"ref float rows = ref {MemoryMarshal}.GetReference(rowBuffer);");
            using (w.Block("for (int n = 0; n < batch; n++)"))
            using (w.Block(Invariant($"for (int plane = (n * {g.Channels}) + from; plane < (n * {g.Channels}) + to; plane++)")))
            {
                w.Line(Invariant($"ref float source = ref {At("input", Offset(0, ("plane", g.Height * g.Width)))};"));
                w.Line(Invariant($"ref float target = ref {At("output", Offset(0, ("plane", g.OutputHeight * g.OutputWidth)))};"));
                for (int oy = 0; oy < first && oy < g.OutputHeight; oy++)
                {
                    Row(oy);
                }

                if (loop)
                {
                    string scale = scales ? Invariant($", 1f / {g.KernelHeight}") : "";
                    string Buffer(string row) => Invariant($"ref {At("rows", Invariant($"({row} & 1) * {plan.SecondRow}"))}");
                    w.Line(Invariant($"// Output rows {first} .. {end - 1}: each row's input rows into one buffer while the columns of the row before come from the other."));
                    w.Line(Invariant($"{rowPass}({RefAt("source", ((first * g.StrideHeight) - g.PadTop) * g.Width)}, {RefAt("rows", (first & 1) * plan.SecondRow)}, {g.KernelHeight});"));
                    using (w.Block(Invariant($"for (int oy = {first + 1}; oy < {end}; oy++)")))
                    {
                        w.Line(Invariant($"{rowPass}(ref {At("source", Offset(-g.PadTop * g.Width, ("oy", g.StrideHeight * g.Width)))}, {Buffer("oy")}, {g.KernelHeight});"));
                        w.Line(Invariant($"{columnPass}({Buffer("(oy - 1)")}, ref {At("target", Offset(0, ("(oy - 1)", g.OutputWidth)))}{scale});"));
                    }

                    w.Line(Invariant($"{columnPass}({RefAt("rows", ((end - 1) & 1) * plan.SecondRow)}, {RefAt("target", (end - 1) * g.OutputWidth)}{scale});"));
                }

                for (int oy = System.Math.Max(end, first); oy < g.OutputHeight; oy++)
                {
                    Row(oy);
                }
            }
        }
    }

    private static string Neutral(PoolSpec s) => s.Kind == PoolKind.Max ? "float.NegativeInfinity" : "0f";

    /// <summary>
    /// The row pass: <c>count</c> input rows from <c>top</c> reduced column by column into the row buffer, after its left
    /// padding; with two phases each step's two vectors are split into the even columns and the odd ones (the low and
    /// high halves of each 64-bit pair, narrowed), so that the column pass reads every tap contiguously.
    /// </summary>
    private static string RowPass(SimdPath vectors) => $"Rows{vectors.Name}";

    private static string ColumnPass(SimdPath vectors) => $"Columns{vectors.Name}";

    private static void WriteRows(CodeWriter w, PoolPlan plan, SimdPath v)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        bool max = s.Kind == PoolKind.Max;
        int rowStep = g.DilationHeight * g.Width, pad = g.PadLeft, length = plan.PhaseLength, step = plan.RowStep(v);
        string Combine(string a, string x) => max ? $"{a} = {v.MaxOrNaN(a, x)};" : $"{a} += {x};";

        w.Line(Invariant($"/// <summary>Reduces <paramref name=\"count\"/> input rows, {rowStep} floats apart from <paramref name=\"top\"/>, into the row buffer{(plan.Phases == 2 ? ", split into even and odd columns" : "")}.</summary>"));
        w.Line("[KgMethodImpl(KgImpl.AggressiveInlining)]");
        using (w.Block($"private static void {RowPass(v)}(ref float top, ref float rows, int count)"))
        {
            if (v.IsScalar)
            {
                using (w.Block(Invariant($"for (int at = 0; at < {g.Width}; at++)")))
                {
                    w.Line($"float a = {At("top", "at")};");
                    using (w.Block("for (int k = 1; k < count; k++)"))
                    {
                        w.Line(Combine("a", At("top", Invariant($"at + (k * {rowStep})"))));
                    }

                    w.Line(plan.Phases == 2
                        ? Invariant($"{At("rows", Invariant($"(((at + {pad}) & 1) * {length}) + ((at + {pad}) >> 1)"))} = a;")
                        : $"{At("rows", Plus("at", pad))} = a;");
                }

                return;
            }

            // The last step starts where it ends with the row (at an even column, when the columns are split).
            int last = g.Width - step;
            bool oddTail = plan.Phases == 2 && last % 2 != 0;
            if (oddTail)
            {
                last--;
            }

            using (Steps(w, "c", last, step))
            {

                w.Line("ref float column = ref " + At("top", "at") + ";");
                int vectors = plan.Phases == 2 ? 2 : 1;
                w.Line($"{v.Type} {string.Join(", ", Enumerable.Range(0, vectors).Select(i => $"a{i} = {v.Load("column", i * v.Width)}"))};");
                using (w.Block("for (int k = 1; k < count; k++)"))
                {
                    w.Line(Invariant($"ref float row = ref {At("column", $"k * {rowStep}")};"));
                    for (int i = 0; i < vectors; i++)
                    {
                        w.Line(Combine($"a{i}", v.Load("row", i * v.Width)));
                    }
                }

                if (plan.Phases == 1)
                {
                    w.Line(v.Store("a0", "rows", Plus("at", pad)));
                }
                else
                {
                    // Input column at + j goes to padded column p = at + j + pad: phase p % 2, place p / 2 (at is even).
                    (string evens, string odds) = SimdPath.Split("a0", "a1");
                    w.Line("// The even columns and the odd ones.");
                    w.Line(v.Store(evens, "rows", Plus("(at >> 1)", (pad % 2 * length) + (pad / 2))));
                    w.Line(v.Store(odds, "rows", Plus("(at >> 1)", ((pad + 1) % 2 * length) + ((pad + 1) / 2))));
                }
            }

            if (oddTail)
            {
                int column = g.Width - 1, p = column + pad;
                w.Line(Invariant($"// The last column, which the steps of two vectors from even columns do not reach."));
                w.Line(Invariant($"float tail = {At("top", Invariant($"{column}"))};"));
                using (w.Block("for (int k = 1; k < count; k++)"))
                {
                    w.Line(max
                        ? Invariant($"tail = {MathClass}.Max(tail, {At("top", Invariant($"{column} + (k * {rowStep})"))});")
                        : Invariant($"tail += {At("top", Invariant($"{column} + (k * {rowStep})"))};"));
                }

                w.Line(Invariant($"{At("rows", Invariant($"{(p % 2 * length) + (p / 2)}"))} = tail;"));
            }
        }
    }

    /// <summary>The column pass: each output of a row the reduction of its window's columns in the row buffer, divided for an average.</summary>
    private static void WriteColumns(CodeWriter w, PoolPlan plan, SimdPath v)
    {
        PoolSpec s = plan.Spec;
        Pool2DGeometry g = s.Geometry;
        bool max = s.Kind == PoolKind.Max, scales = ScalesPerPixel(s);
        int length = plan.PhaseLength;

        // Where window column kx of the output at "at" sits in the row buffer.
        string Tap(int kx)
        {
            int column = kx * g.DilationWidth;
            return plan.Phases == g.StrideWidth
                ? Plus("at", (column % plan.Phases * length) + (column / plan.Phases))
                : Plus(Invariant($"(at * {g.StrideWidth})"), column);
        }

        w.Line(scales
            ? "/// <summary>Reduces each output's window columns from the row buffer, divided by the rows (<paramref name=\"rowScale\"/>) and columns its window covers.</summary>"
            : "/// <summary>Reduces each output's window columns from the row buffer into the output row.</summary>");
        w.Line("[KgMethodImpl(KgImpl.AggressiveInlining)]");
        using (w.Block($"private static void {ColumnPass(v)}(ref float rows, ref float output{(scales ? ", float rowScale" : "")})"))
        {
            if (scales)
            {
                w.Line($"ref float columnScale = ref {MemoryMarshal}.GetReference(ColumnScale);");
            }

            using (Steps(w, "x", g.OutputWidth - v.Width, v.Width))
            {

                w.Line($"{v.Type} a = {v.Load("rows", Tap(0))};");
                if (g.KernelWidth <= 16)
                {
                    for (int kx = 1; kx < g.KernelWidth; kx++)
                    {
                        w.Line(max ? $"a = {v.MaxOrNaN("a", v.Load("rows", Tap(kx)))};" : $"a += {v.Load("rows", Tap(kx))};");
                    }
                }
                else
                {
                    using (w.Block(Invariant($"for (int kx = 1; kx < {g.KernelWidth}; kx++)")))
                    {
                        string column = g.DilationWidth > 1 ? Invariant($"(kx * {g.DilationWidth})") : "kx";
                        string tap = plan.Phases == g.StrideWidth
                            ? Invariant($"at + ({column} % {plan.Phases} * {length}) + ({column} / {plan.Phases})")
                            : Invariant($"(at * {g.StrideWidth}) + {column}");
                        w.Line(max ? $"a = {v.MaxOrNaN("a", v.Load("rows", tap))};" : $"a += {v.Load("rows", tap)};");
                    }
                }

                if (s.Kind == PoolKind.Average)
                {
                    w.Line(scales
                        ? $"a *= {v.Broadcast("rowScale")} * {v.Load("columnScale", "at")};"
                        : $"a *= {v.Broadcast(Invariant($"1f / {g.KernelHeight * g.KernelWidth}f"))};");
                }

                w.Line(v.Store("a", "output", "at"));
            }
        }
    }

    /// <summary>
    /// Opens the block of a row's steps of <paramref name="step"/> columns, each at <c>at</c>, the last at
    /// <paramref name="last"/>: one step, a loop, or a loop whose last step is moved back to end with the row.
    /// </summary>
    private static CodeWriter.Scope Steps(CodeWriter w, string counter, int last, int step)
    {
        if (last == 0)
        {
            CodeWriter.Scope block = w.Block("");
            w.Line("const int at = 0;");
            return block;
        }

        if (last % step == 0)
        {
            return w.Block(Invariant($"for (int at = 0; at <= {last}; at += {step})"));
        }

        CodeWriter.Scope loop = w.Block(Invariant($"for (int {counter} = 0; {counter} < {last + step}; {counter} += {step})"));
        w.Line(Invariant($"int at = {MathClass}.Min({counter}, {last});"));
        return loop;
    }

    /// <summary>One over the number of input columns each output column's window covers.</summary>
    private static void WriteColumnScale(CodeWriter w, PoolSpec s)
    {
        Pool2DGeometry g = s.Geometry;
        var values = new List<string>();
        for (int x = 0; x < g.OutputWidth; x++)
        {
            values.Add(Invariant($"1f / {g.DivisorColumns(x, s.CountIncludePad)}"));
        }

        w.Line(s.CountIncludePad
            ? "/// <summary>For each output column, one over the columns its window covers within the padded input.</summary>"
            : "/// <summary>For each output column, one over the input columns its window covers (the padding is not counted).</summary>");
        w.Line($"private static KgReadOnlySpan ColumnScale => new float[] {{ {string.Join(", ", values)} }};");
    }

    /// <summary>
    /// The window taps (0 ≤ k &lt; <paramref name="kernel"/>) whose input row <paramref name="top"/> + k · <paramref name="dilation"/>
    /// lies in [0, <paramref name="size"/>): a run of consecutive taps, found by arithmetic rather than by trying every tap,
    /// since a window may be far larger than its input (<c>KernelHeight = int.MaxValue</c> with SAME padding).
    /// </summary>
    internal static int[] InputTaps(int top, int kernel, int dilation, int size)
    {
        long first = top >= 0 ? 0 : (-(long)top + dilation - 1) / dilation;
        long last = System.Math.Min(kernel - 1L, ((size - 1L) - top) < 0 ? -1 : ((size - 1L) - top) / dilation);
        return last < first ? [] : [.. Enumerable.Range((int)first, (int)(last - first + 1))];
    }
}
