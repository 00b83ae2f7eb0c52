using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// A <c>[Dense]</c> kernel's packed form: <c>{Method}PackWeights(weights)</c>, which rearranges the weights once into
/// panels of <see cref="DensePacking.Panel"/> output features stored input feature by input feature, and the overload
/// <c>{Method}(input, PackedWeights, …)</c> that reads them. With output features contiguous, the micro-kernel is the
/// one of BLIS and MLAS: a tile of samples × vectors of output features, each sample's input broadcast once per step
/// and multiplied by every vector of weights, the accumulators stored with bias and activation — no sums across lanes.
/// Where a group's weights outgrow L1 (<see cref="DensePacking.InputBlock"/>), every tile of samples passes over a block
/// of input features at a time, its sums kept in the output between blocks, so that each group's weights come from
/// memory once and the tiles after the first read them from L1.
/// </summary>
internal static class DensePacked
{
    /// <summary>The packed overload exists when the padded weights still fit in one array.</summary>
    public static bool Applies(DenseSpec s) => DensePacking.Length(s) <= int.MaxValue;

    /// <summary>The remarks line that says how <paramref name="path"/> tiles the packed product.</summary>
    public static string Describe(SimdPath path, DensePacking p) =>
        Invariant($"{path.Name}, packed: tiles of {p.Rows} samples × {p.Columns} {(path.IsScalar ? "output features" : "vectors of output features")}{string.Concat(LeftoverRows(p).Select(r => Invariant($", {r}")))} samples for pairs left over, one sample × {DensePacking.SingleColumns} for an odd batch's last.");

    /// <summary>The packing method and the packed overload, written into the user's type beside the partial method.</summary>
    public static void WriteMembers(CodeWriter w, DensePlan plan, string kernel)
    {
        DenseSpec s = plan.Spec;
        MethodTarget m = s.Method;
        long length = DensePacking.Length(s);
        PackedOverload.WritePackMethod(w, m, kernel,
            Invariant($"Packs <paramref name=\"{m.Parameters[1]}\"/> ([{s.OutFeatures}, {s.InFeatures}], row-major, as <see cref=\"{m.Name}({PackedOverload.Cref(m)})\"/> takes them) for the packed overload of <c>{m.Name}</c>: output features in panels of {DensePacking.Panel}, each panel stored input feature by input feature ({Number(length)} floats, the last panel padded with zeros)."),
            s.InFeatures * s.OutFeatures, length, "Layout", "Pack");

        w.Line();
        w.Line(Invariant($"/// <summary><c>{m.Name}</c> over weights packed once by <see cref=\"{m.Name}PackWeights\"/>, read in the order its tiles use them; each sum is taken input feature by input feature, so results may differ from the plain overload's in the last bits.</summary>"));
        w.Line(GeneratedCode);
        using (w.Block($"{PackedOverload.Access(m)} void {m.Name}({PackedOverload.Parameters(m)})"))
        {
            PackedOverload.WriteChecks(w, m, s.InFeatures, s.OutFeatures, s.OutFeatures, kernel, "Layout", length);
            string bias = m.HasBias ? m.Parameters[2] + ", " : "";
            w.Line($"{kernel}.RunPacked({m.Input}, {m.Parameters[1]}.Values, {bias}{m.Output}, {m.Batch}, {m.Parameters[1]}.AllFinite);");
        }
    }

    /// <summary>The kernel class's packed members: the layout, <c>Pack</c>, <c>RunPacked</c> and each path's tiles.</summary>
    public static void WriteKernel(CodeWriter w, DensePlan plan)
    {
        DenseSpec s = plan.Spec;
        bool bias = s.Method.HasBias;
        int inputs = s.InFeatures;
        w.Line("/// <summary>The packed weights' layout, which the packed overload checks its argument against.</summary>");
        w.Line($"public const string Layout = \"{DensePacking.Layout(s)}\";");
        w.Line();
        w.Line(Invariant($"/// <summary>Weight [o, i] goes to [o / {DensePacking.Panel}, i, o % {DensePacking.Panel}]: each panel of {DensePacking.Panel} output features holds, input feature by input feature, the weights of all {DensePacking.Panel}.</summary>"));
        using (w.Block("public static void Pack(KgReadOnlySpan weights, KgSpan packed)"))
        {
            w.Line($"ref float source = ref {MemoryMarshal}.GetReference(weights);");
            w.Line($"ref float target = ref {MemoryMarshal}.GetReference(packed);");
            using (w.Block(Invariant($"for (int o = 0; o < {s.OutFeatures}; o++)")))
            {
                w.Line(Invariant($"ref float row = ref {At("source", "o * " + Invariant($"{inputs}"))};"));
                w.Line(Invariant($"ref float column = ref {At("target", DensePacking.Offset("o", inputs))};"));
                using (w.Block(Invariant($"for (int i = 0; i < {inputs}; i++)")))
                {
                    w.Line(Invariant($"{At("column", Invariant($"i * {DensePacking.Panel}"))} = {At("row", "i")};"));
                }
            }
        }

        w.Line();
        string[] roles = bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"];
        w.Line("/// <summary>The packed product on the widest accelerated path; <paramref name=\"skipZeros\"/> where every weight is finite (<c>PackedWeights.AllFinite</c>).</summary>");
        using (w.Block($"public static void RunPacked({string.Join(", ", roles.Select(r => $"{(r == "output" ? "KgSpan" : "KgReadOnlySpan")} {r}").Append("int batch").Append("bool skipZeros"))})"))
        {
            w.Line($"ref float {string.Join(", ", roles.Select(r => $"{r[0]} = ref {MemoryMarshal}.GetReference({r})"))};");
            string arguments = string.Join(", ", roles.Select(r => $"ref {r[0]}").Append("batch").Append("skipZeros"));
            WriteDispatch(w, plan.Paths.Select(p => p.Path), path => $"{path.Name}Packed({arguments});");
        }

        foreach (DensePathPlan path in plan.Paths)
        {
            w.Line();
            WritePath(w, s, path.Path, path.Packing);
        }
    }

    /// <summary>
    /// Tiles of fewer samples for those left over from whole tiles: the powers of two from 4 down to 2 below the tile's
    /// rows. Every pair of samples is taken by a tile of several; an odd batch's last sample goes through the wide
    /// single-sample pass.
    /// </summary>
    private static IEnumerable<int> LeftoverRows(DensePacking p) => SmallerTiles.Where(r => r < p.Rows);

    private static readonly int[] SmallerTiles = [4, 2];

    /// <summary>A pass's groups of output features: whole groups of <c>columns</c> vectors, then the rest, if any, in as many vectors as it needs.</summary>
    private static IEnumerable<(string First, int Columns, int Lanes, bool Loop)> Groups(int outputs, SimdPath path, int columns)
    {
        int group = columns * path.Width, full = outputs - (outputs % group), tail = outputs - full;
        if (full > 0)
        {
            yield return (full > group ? "o" : "0", columns, path.Width, full > group);
        }

        if (tail > 0)
        {
            yield return (Invariant($"{full}"), (tail + path.Width - 1) / path.Width, tail - ((tail - 1) / path.Width * path.Width), false);
        }
    }

    private static void WritePath(CodeWriter w, DenseSpec s, SimdPath path, DensePacking p)
    {
        bool bias = s.Method.HasBias;
        int outputs = s.OutFeatures;
        int wide = System.Math.Min(DensePacking.SingleColumns, (outputs + path.Width - 1) / path.Width);
        int block = DensePacking.InputBlock(s.InFeatures, path, p);
        bool blocked = block < s.InFeatures;
        w.Line(Invariant($"/// <summary>Pairs of samples in tiles of {p.Rows}{string.Concat(LeftoverRows(p).Select(r => Invariant($", {r}")))} over groups of {p.Columns * path.Width} output features, each group's packed weights kept in cache while every tile passes over them{(blocked ? Invariant($", {block} input features at a time") : "")}; an odd batch's last sample over groups of {wide * path.Width}, every weight read once, skipping the weights of inputs of zero where <paramref name=\"skipZeros\"/>.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"public static void {path.Name}Packed({PathParameters(bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"])}, bool skipZeros)"))
        {
            void Group((string First, int Columns, int Lanes, bool Loop) g, int columns, System.Action<string> body)
            {
                int group = columns * path.Width;
                if (g.Columns != columns || g.Lanes < path.Width)
                {
                    w.Line(Invariant($"// the last {outputs % group} output feature(s)"));
                }

                using (w.Block(g.Loop ? Invariant($"for (int o = 0; o < {outputs - (outputs % group)}; o += {group})") : ""))
                {
                    string o = g.First;
                    // Groups of whole panels start at o × inputs; a group within a panel at its lane.
                    string offset = group % DensePacking.Panel == 0
                        ? Offset(0, (o, s.InFeatures))
                        : int.TryParse(o, out int first) ? Invariant($"{DensePacking.Offset(first, s.InFeatures)}")
                        : DensePacking.Offset(o, s.InFeatures);
                    w.Line($"ref float w = ref {At("weights", offset)};");
                    if (bias)
                    {
                        w.Line($"ref float b = ref {At("bias", o)};");
                    }

                    body(o);
                }
            }

            string Call(int rows, (string First, int Columns, int Lanes, bool Loop) g, string n, string o) =>
                $"{TileName(path, rows, g.Columns, g.Lanes)}(ref {At("input", Offset(0, (n, s.InFeatures), (rows > 1 && blocked ? "k" : null, 1)))}, ref {(rows > 1 && blocked ? At("w", Invariant($"k * {DensePacking.Panel}")) : "w")}, {(bias ? "ref b, " : "")}ref {At("output", Offset(0, (n, outputs), (o, 1)))}{(rows == 1 ? ", skipZeros" : blocked ? ", count, first, last" : "")});";

            w.Line("int pairs = batch & ~1;");
            using (w.Block("if (pairs > 0)"))
            {
                foreach (var g in Groups(outputs, path, p.Columns))
                {
                    Group(g, p.Columns, o =>
                    {
                        if (blocked)
                        {
                            w.Line(Invariant($"// Input features in blocks of {block}: every tile of samples reads the block's weights from L1, the group's read from memory once; each sum waits in the output between blocks."));
                        }

                        using var blocks = blocked ? w.Block(Invariant($"for (int k = 0; k < {s.InFeatures}; k += {block})")) : default(CodeWriter.Scope?);
                        if (blocked)
                        {
                            w.Line(Invariant($"int count = KgMath.Min({block}, {s.InFeatures} - k);"));
                            w.Line(Invariant($"bool first = k == 0, last = k + count == {s.InFeatures};"));
                        }

                        w.Line("int n = 0;");
                        // Tiles of 6 leave 8 samples to tiles of 4 and 4, not 6 and 2: a tile of 2 samples (4 accumulators) waits on the
                        // multiply-add's latency.
                        bool fours = p.Rows > 4 && p.Rows % 4 == 2;
                        using (w.Block(fours
                            ? Invariant($"for (; pairs - n >= {p.Rows} && pairs - n != {p.Rows + 2}; n += {p.Rows})")
                            : Invariant($"for (; n <= pairs - {p.Rows}; n += {p.Rows})")))
                        {
                            w.Line(Call(p.Rows, g, "n", o));
                        }

                        foreach (int rows in LeftoverRows(p))
                        {
                            using (w.Block(fours && rows == 4 ? "for (; pairs - n >= 4; n += 4)" : Invariant($"if (pairs - n >= {rows})")))
                            {
                                w.Line(Call(rows, g, "n", o));
                                if (rows > 2 && !(fours && rows == 4))
                                {
                                    w.Line(Invariant($"n += {rows};"));
                                }
                            }
                        }
                    });
                }
            }

            w.Line();
            w.Line("// an odd batch's last sample");
            using (w.Block("if (pairs < batch)"))
            {
                foreach (var g in Groups(outputs, path, wide))
                {
                    Group(g, wide, o => w.Line(Call(1, g, "pairs", o)));
                }
            }
        }

        foreach (var g in Groups(outputs, path, p.Columns))
        {
            foreach (int rows in LeftoverRows(p).Prepend(p.Rows))
            {
                w.Line();
                WriteTile(w, s, path, rows, g.Columns, g.Lanes, blocked);
            }
        }

        foreach (var g in Groups(outputs, path, wide))
        {
            w.Line();
            WriteTile(w, s, path, 1, g.Columns, g.Lanes, blocked: false);
        }
    }

    /// <summary><c>{Path}Packed{rows}x{columns}</c>, with the last column's lane count when it is partial.</summary>
    private static string TileName(SimdPath path, int rows, int columns, int lanes) =>
        Invariant($"{path.Name}Packed{rows}x{columns}{(lanes < path.Width ? Invariant($"Lanes{lanes}") : "")}");

    /// <summary>
    /// The micro-kernel: <paramref name="rows"/> samples × <paramref name="columns"/> vectors of output features over every
    /// input feature, the last vector holding <paramref name="lanes"/> of them.
    /// </summary>
    private static void WriteTile(CodeWriter w, DenseSpec s, SimdPath path, int rows, int columns, int lanes, bool blocked)
    {
        int inputs = s.InFeatures, outputs = s.OutFeatures, width = path.Width;
        int features = ((columns - 1) * width) + lanes;
        bool bias = s.Method.HasBias;
        int ColumnOffset(int c) => DensePacking.Offset(c * width, inputs);
        var tile = (from r in Enumerable.Range(0, rows) from c in Enumerable.Range(0, columns) select (r, c)).ToArray();
        bool single = rows == 1, whole = single || !blocked;
        string samples = single ? "Sample n" : Invariant($"Samples n..n+{rows - 1}");
        bool partial = lanes < width;
        string Accumulator((int r, int c) t) => Invariant($"a{t.r}{t.c}");
        int Place((int r, int c) t) => (t.r * outputs) + (t.c * width);
        w.Line(whole
            ? Invariant($"/// <summary>{samples} × output features o..o+{features - 1}: {tile.Length} accumulator{(tile.Length == 1 ? "" : "s")} over all {inputs} input features, each input broadcast once per step{(single ? "; where <paramref name=\"skipZeros\"/>, an input of zero is passed over without reading its weights" : "")}.</summary>")
            : Invariant($"/// <summary>{samples} × output features o..o+{features - 1}: {tile.Length} accumulators over <paramref name=\"count\"/> input features, each input broadcast once per step, starting from zero where <paramref name=\"first\"/> and else from the sums in the output; bias and activation where <paramref name=\"last\"/>.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {TileName(path, rows, columns, lanes)}(ref float x, ref float w, {(bias ? "ref float bias, " : "")}ref float y{(single ? ", bool skipZeros" : whole ? "" : ", int count, bool first, bool last")})"))
        {
            if (whole)
            {
                w.Line($"{path.Type} {string.Join(", ", tile.Select(t => $"{Accumulator(t)} = {path.Zero}"))};");
            }
            else
            {
                w.Line($"{path.Type} {string.Join(", ", tile.Select(Accumulator))};");
                using (w.Block("if (first)"))
                {
                    w.Line($"{string.Join(" = ", tile.Select(Accumulator))} = {path.Zero};");
                }

                using (w.Block("else"))
                {
                    foreach (var t in tile)
                    {
                        w.Line($"{Accumulator(t)} = {(partial && t.c == columns - 1 ? path.PartialLoad("y", Place(t), lanes) : path.Load("y", Place(t)))};");
                    }
                }
            }

            using (w.Block(whole ? Invariant($"for (int i = 0; i < {inputs}; i++)") : "for (int i = 0; i < count; i++)"))
            {
                void Step()
                {
                    w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, columns).Select(c => Invariant($"w{c} = {path.Load("w", ColumnOffset(c))}")))};");
                    for (int r = 0; r < rows; r++)
                    {
                        w.Line(Invariant($"{path.Type} x{r} = {path.Broadcast(single ? "v" : At("x", Invariant($"{r * inputs}")))};"));
                        for (int c = 0; c < columns; c++)
                        {
                            w.Line(Invariant($"a{r}{c} = {path.MultiplyAdd($"x{r}", $"w{c}", $"a{r}{c}")};"));
                        }
                    }
                }

                if (single)
                {
                    // One sample reads every weight once, from memory when they outgrow the caches: an input of exactly
                    // zero (as ReLU gives a third of the MNIST CNN's dense inputs) adds a product of ±0, which leaves a sum
                    // as it is, where no weight is infinite or NaN (0 × ∞ is NaN). The one difference: a sum that is −0
                    // because every product before underflowed to −0 stays −0, where adding +0 would make it +0.
                    w.Line("// An input of zero adds nothing where every weight is finite: its weights are not read.");
                    w.Line("float v = x;");
                    using (w.Block("if (v != 0f || !skipZeros)"))
                    {
                        Step();
                    }

                    w.Line();
                }
                else
                {
                    Step();
                }

                w.Line($"x = ref {Unsafe}.Add(ref x, 1);");
                w.Line(Invariant($"w = ref {Unsafe}.Add(ref w, {DensePacking.Panel});"));
            }

            if (!whole)
            {
                using (w.Block("if (!last)"))
                {
                    w.Line("// the block's sums, for the next");
                    foreach (var t in tile)
                    {
                        if (partial && t.c == columns - 1)
                        {
                            foreach (string line in path.PartialStore(Accumulator(t), "y", Place(t), lanes))
                            {
                                w.Line(line);
                            }
                        }
                        else
                        {
                            w.Line(path.Store(Accumulator(t), "y", Place(t)));
                        }
                    }

                    w.Line("return;");
                }
            }

            if (bias)
            {
                w.Line("// bias, activation and one store per accumulator");
                w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, columns).Select(c => Invariant($"b{c} = {(partial && c == columns - 1 ? path.PartialLoad("bias", c * width, lanes) : path.Load("bias", c * width))}")))};");
            }

            bool vectorised = s.Activation.Vectorised;
            foreach ((int r, int c) in tile)
            {
                string sum = Invariant($"a{r}{c}");
                if (bias)
                {
                    w.Line(Invariant($"{sum} += b{c};"));
                }

                string value = vectorised ? ActivationText.Apply(path, s.Activation, sum) : sum;
                int offset = (r * outputs) + (c * width);
                if (partial && c == columns - 1)
                {
                    if (value != sum)
                    {
                        w.Line($"{sum} = {value};");
                    }

                    foreach (string line in path.PartialStore(sum, "y", offset, lanes))
                    {
                        w.Line(line);
                    }
                }
                else
                {
                    w.Line(path.Store(value, "y", offset));
                }
            }

            if (!vectorised)
            {
                w.Line(Invariant($"// {s.Activation.Kind} on the stored values"));
                using (w.Block(Invariant($"for (int j = 0; j < {features}; j++)")))
                {
                    for (int r = 0; r < rows; r++)
                    {
                        string y = At("y", Plus("j", r * outputs));
                        w.Line($"{y} = {ActivationText.Apply(s.Activation, y)};");
                    }
                }
            }
        }
    }
}
