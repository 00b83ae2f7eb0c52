using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// A dense layer over a batch as the matrix product it is, <c>Y[n, o] = act(b[o] + Σᵢ X[n, i] · W[o, i])</c>, written for
/// one path; shared by <c>[Dense]</c> kernels and networks' dense layers. Both operands are contiguous along the input
/// features, so the micro-kernel is a tile of dot products — samples × output features, each in its own vector
/// accumulator, sharing every load of an input row and of a weight row — reduced to scalars once per block of input
/// features (four sums at once, <see cref="SimdPath.SumOfFourHelpers"/>). The input features are split into blocks and
/// the samples into panels whose block of inputs stays in L1 while every output feature's weights stream past it from
/// L2, as BLIS and MLAS block theirs; partial sums go to the output between blocks, and bias and activation are applied
/// after the last. The weights are used as they are stored: no packing step, since each weight row is already
/// contiguous in the order the tile reads it.
/// Samples left over from whole tiles go through a row of output blocks one sample at a time.
/// </summary>
internal static class DenseProduct
{
    /// <summary>
    /// Writes <c>{name}(ref input, ref weights, [ref bias,] ref output, int batch)</c> for <paramref name="path"/> and the
    /// tile and block methods it calls, named after it.
    /// </summary>
    public static void Write(CodeWriter w, DenseSpec s, SimdPath path, DenseBlocking b, string name, string access)
    {
        bool bias = s.Method.HasBias;
        w.Line(AggressiveOptimization);
        using (w.Block($"{access} static void {name}({PathParameters(bias ? ["input", "weights", "bias", "output"] : ["input", "weights", "output"])})"))
        {
            w.Line("int n = 0;");
            if (b.TileSamples > 0)
            {
                WritePanels(w, s, name, b);
            }

            using (w.Block("for (; n < batch; n++)"))
            {
                w.Line(Invariant($"ref float x = ref {At("input", Offset(0, ("n", s.InFeatures)))};"));
                w.Line(Invariant($"ref float y = ref {At("output", Offset(0, ("n", s.OutFeatures)))};"));
                OverOutputs(w, s.OutFeatures, b.BlockOutputs, (rows, o) =>
                    w.Line($"{BlockName(name, rows)}(ref x, ref {At("weights", Offset(0, (o, s.InFeatures)))}, {(bias ? $"ref {At("bias", o)}, " : "")}ref {At("y", o)});"));
            }
        }

        if (b.TileSamples > 0)
        {
            foreach (int outputs in Pieces(s.OutFeatures, b.TileOutputs))
            {
                w.Line();
                WriteTile(w, s, path, name, b, outputs);
            }
        }

        foreach (int rows in Pieces(s.OutFeatures, b.BlockOutputs))
        {
            w.Line();
            WriteBlock(w, s, path, BlockName(name, rows), rows);
        }
    }

    /// <summary>The remarks line that says how <paramref name="path"/> blocks the product.</summary>
    public static string Describe(DenseSpec s, SimdPath path, DenseBlocking b)
    {
        string single = Invariant($"{b.BlockOutputs} output features per block for each sample");
        if (b.TileSamples == 0)
        {
            return Invariant($"{path.Name}: {single}.");
        }

        string inputs = b.InputBlock >= s.InFeatures ? "all input features at once" : Invariant($"input features in blocks of {b.InputBlock}");
        return Invariant($"{path.Name}: tiles of {b.TileSamples} samples × {b.TileOutputs} output features, {inputs}, panels of {b.Panel} samples; samples left over, {single}.");
    }

    private static IEnumerable<int> Pieces(int count, int block) => new[] { count >= block ? block : 0, count % block }.Where(r => r > 0).Distinct();

    private static string BlockName(string name, int rows) => Invariant($"{name}Block{rows}");

    private static string TileName(string name, DenseBlocking b, int outputs) => Invariant($"{name}Tile{b.TileSamples}x{outputs}");

    /// <summary>Writes <paramref name="body"/>(rows, first output) over whole blocks of output features, then the rest.</summary>
    private static void OverOutputs(CodeWriter w, int outputs, int block, Action<int, string> body)
    {
        int full = outputs - (outputs % block);
        if (full == block)
        {
            body(block, "0");
        }
        else if (full > 0)
        {
            using (w.Block(Invariant($"for (int o = 0; o < {full}; o += {block})")))
            {
                body(block, "o");
            }
        }

        if (full < outputs)
        {
            w.Line(Invariant($"// the last {outputs - full} output feature(s)"));
            body(outputs - full, Invariant($"{full}"));
        }
    }

    private static void WritePanels(CodeWriter w, DenseSpec s, string name, DenseBlocking b)
    {
        int inputs = s.InFeatures;
        bool blocked = b.InputBlock < inputs;
        w.Line(Invariant($"int tiled = batch - (batch % {b.TileSamples});"));
        using (w.Block(Invariant($"for (; n < tiled; n += {b.Panel})")))
        {
            w.Line(Invariant($"int panel = {MathClass}.Min(tiled, n + {b.Panel});"));
            void Blocks()
            {
                string k = blocked ? "k" : "0";
                string arguments = blocked
                    ? Invariant($"{MathClass}.Min({b.InputBlock}, {inputs} - k), k == 0, k >= {inputs - b.InputBlock}")
                    : Invariant($"{inputs}, true, true");
                OverOutputs(w, s.OutFeatures, b.TileOutputs, (outputs, o) =>
                {
                    using (w.Block(Invariant($"for (int t = n; t < panel; t += {b.TileSamples})")))
                    {
                        w.Line($"{TileName(name, b, outputs)}(ref {At("input", Offset(0, ("t", inputs), (k, 1)))}, ref {At("weights", Offset(0, (o, inputs), (k, 1)))}, "
                            + $"{(s.Method.HasBias ? $"ref {At("bias", o)}, " : "")}ref {At("output", Offset(0, ("t", s.OutFeatures), (o, 1)))}, {arguments});");
                    }
                });
            }

            if (blocked)
            {
                using (w.Block(Invariant($"for (int k = 0; k < {inputs}; k += {b.InputBlock})")))
                {
                    Blocks();
                }
            }
            else
            {
                Blocks();
            }
        }

        w.Line("n = tiled;");
    }

    /// <summary>
    /// The micro-kernel: <c>TileSamples</c> samples × <paramref name="outputs"/> output features over <c>length</c> input
    /// features, one vector accumulator per pair, every input and weight row loaded once per step.
    /// </summary>
    private static void WriteTile(CodeWriter w, DenseSpec s, SimdPath path, string name, DenseBlocking b, int outputs)
    {
        int inputs = s.InFeatures, samples = b.TileSamples;
        bool bias = s.Method.HasBias;
        var tile = (from k in Enumerable.Range(0, samples) from j in Enumerable.Range(0, outputs) select (k, j)).ToArray();
        w.Line(Invariant($"/// <summary>Samples n..n+{samples - 1} × output features o..o+{outputs - 1} over <paramref name=\"length\"/> input features: {tile.Length} dot products sharing each load; the sums are stored on the <paramref name=\"first\"/> block, added after it, and given bias and activation after the <paramref name=\"last\"/>.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {TileName(name, b, outputs)}(ref float x, ref float w, {(bias ? "ref float bias, " : "")}ref float y, int length, bool first, bool last)"))
        {
            w.Line($"{path.Type} {string.Join(", ", tile.Select(t => Invariant($"a{t.k}{t.j} = {path.Zero}")))};");
            w.Line("int i = 0;");
            using (w.Block(Invariant($"for (; i <= length - {path.Width}; i += {path.Width})")))
            {
                for (int k = 0; k < samples; k++)
                {
                    w.Line(Invariant($"{path.Type} x{k} = {path.Load("x", Plus("i", k * inputs))};"));
                }

                for (int j = 0; j < outputs; j++)
                {
                    w.Line(Invariant($"{path.Type} w{j} = {path.Load("w", Plus("i", j * inputs))};"));
                    for (int k = 0; k < samples; k++)
                    {
                        w.Line(Invariant($"a{k}{j} = {path.MultiplyAdd($"x{k}", $"w{j}", $"a{k}{j}")};"));
                    }
                }
            }

            if (outputs == 4)
            {
                StoreFour(w, s, path, samples);
            }
            else
            {
                StoreEach(w, s, path, tile);
            }
        }
    }

    /// <summary>Each sample's four sums reduced together into one 128-bit vector, stored, added to and biased as one.</summary>
    private static void StoreFour(CodeWriter w, DenseSpec s, SimdPath path, int samples)
    {
        int inputs = s.InFeatures;
        string Y(int k) => Invariant($"{k * s.OutFeatures}");
        for (int k = 0; k < samples; k++)
        {
            w.Line(Invariant($"KgF128 r{k} = {SimdPath.SumOfFour($"a{k}0", $"a{k}1", $"a{k}2", $"a{k}3")};"));
        }

        if (inputs % path.Width != 0)
        {
            w.Line("// the input features after the last whole vector");
            using (w.Block("for (; i < length; i++)"))
            {
                for (int k = 0; k < samples; k++)
                {
                    w.Line(Invariant($"float x{k} = {At("x", Plus("i", k * inputs))};"));
                }

                w.Line(Invariant($"KgF128 u = KgV128.Create({string.Join(", ", Enumerable.Range(0, 4).Select(j => At("w", Plus("i", j * inputs))))});"));
                for (int k = 0; k < samples; k++)
                {
                    w.Line(Invariant($"r{k} += u * x{k};"));
                }
            }
        }

        using (w.Block("if (!first)"))
        {
            for (int k = 0; k < samples; k++)
            {
                w.Line(Invariant($"r{k} += KgV128.LoadUnsafe(ref y{(k == 0 ? "" : $", {Y(k)}")});"));
            }
        }

        if (s.Method.HasBias)
        {
            using (w.Block("if (last)"))
            {
                w.Line("KgF128 b = KgV128.LoadUnsafe(ref bias);");
                for (int k = 0; k < samples; k++)
                {
                    w.Line(Invariant($"r{k} += b;"));
                }
            }
        }

        for (int k = 0; k < samples; k++)
        {
            w.Line(Invariant($"KgV128.StoreUnsafe(r{k}, ref y{(k == 0 ? "" : $", {Y(k)}")});"));
        }

        if (!s.Activation.IsNone)
        {
            using (w.Block("if (last)"))
            using (w.Block("for (int j = 0; j < 4; j++)"))
            {
                for (int k = 0; k < samples; k++)
                {
                    string y = At("y", Plus("j", k * s.OutFeatures));
                    w.Line($"{y} = {ActivationText.Apply(s.Activation, y)};");
                }
            }
        }
    }

    /// <summary>Each of a narrow tile's sums reduced on its own, added to and biased one by one.</summary>
    private static void StoreEach(CodeWriter w, DenseSpec s, SimdPath path, (int k, int j)[] tile)
    {
        int inputs = s.InFeatures;
        bool bias = s.Method.HasBias;
        foreach ((int k, int j) in tile)
        {
            w.Line(Invariant($"float s{k}{j} = {path.Sum($"a{k}{j}")};"));
        }

        if (inputs % path.Width != 0)
        {
            w.Line("// the input features after the last whole vector");
            using (w.Block("for (; i < length; i++)"))
            {
                foreach (int j in tile.Select(t => t.j).Distinct())
                {
                    w.Line(Invariant($"float w{j} = {At("w", Plus("i", j * inputs))};"));
                }

                foreach ((int k, int j) in tile)
                {
                    w.Line(Invariant($"s{k}{j} += {At("x", Plus("i", k * inputs))} * w{j};"));
                }
            }
        }

        string Y(int k, int j) => At("y", Invariant($"{(k * s.OutFeatures) + j}"));
        using (w.Block("if (!first)"))
        {
            foreach ((int k, int j) in tile)
            {
                w.Line(Invariant($"s{k}{j} += {Y(k, j)};"));
            }
        }

        using (w.Block("if (last)"))
        {
            foreach ((int k, int j) in tile)
            {
                string value = bias ? Invariant($"s{k}{j} + {At("bias", Invariant($"{j}"))}") : Invariant($"s{k}{j}");
                w.Line($"{Y(k, j)} = {ActivationText.Apply(s.Activation, s.Activation.IsNone || !bias ? value : $"({value})")};");
            }
        }

        using (w.Block("else"))
        {
            foreach ((int k, int j) in tile)
            {
                w.Line(Invariant($"{Y(k, j)} = s{k}{j};"));
            }
        }
    }

    /// <summary>One sample's output features o..o+rows−1: dot products sharing each input load, reduced once.</summary>
    private static void WriteBlock(CodeWriter w, DenseSpec s, SimdPath path, string name, int rows)
    {
        int vectorsEnd = s.InFeatures / path.Width * path.Width;
        bool bias = s.Method.HasBias;
        w.Line(Invariant($"/// <summary>Output features o..o+{rows - 1}: {rows} dot products of length {s.InFeatures} sharing each input load.</summary>"));
        w.Line(AggressiveOptimization);
        using (w.Block($"private static void {name}(ref float x, ref float w, {(bias ? "ref float bias, " : "")}ref float y)"))
        {
            w.Line($"{path.Type} {string.Join(", ", Enumerable.Range(0, rows).Select(j => $"a{j} = {path.Zero}"))};");
            if (vectorsEnd > 0)
            {
                // One vector of inputs is a step of its own, not a loop that runs once.
                bool once = vectorsEnd == path.Width;
                using (w.Block(once ? "" : Invariant($"for (int i = 0; i < {vectorsEnd}; i += {path.Width})")))
                {
                    w.Line($"{path.Type} xi = {path.Load("x", once ? "0" : "i")};");
                    for (int j = 0; j < rows; j++)
                    {
                        string offset = once ? Invariant($"{j * s.InFeatures}") : j == 0 ? "i" : Invariant($"{j * s.InFeatures} + i");
                        w.Line($"a{j} = {path.MultiplyAdd(path.Load("w", offset), "xi", $"a{j}")};");
                    }
                }
            }

            for (int j = 0; j < rows; j++)
            {
                w.Line($"float s{j} = {path.Sum($"a{j}")};");
            }

            if (vectorsEnd < s.InFeatures)
            {
                w.Line(Invariant($"// input features {vectorsEnd}..{s.InFeatures - 1}, fewer than a vector"));
                using (w.Block(Invariant($"for (int i = {vectorsEnd}; i < {s.InFeatures}; i++)")))
                {
                    w.Line($"float xi = {At("x", "i")};");
                    for (int j = 0; j < rows; j++)
                    {
                        w.Line(Invariant($"s{j} += {At("w", j == 0 ? "i" : Invariant($"{j * s.InFeatures} + i"))} * xi;"));
                    }
                }
            }

            for (int j = 0; j < rows; j++)
            {
                string value = bias ? Invariant($"s{j} + {At("bias", Invariant($"{j}"))}") : $"s{j}";
                w.Line(Invariant($"{At("y", Invariant($"{j}"))} = {ActivationText.Apply(s.Activation, s.Activation.IsNone ? value : $"({value})")};"));
            }
        }
    }
}
