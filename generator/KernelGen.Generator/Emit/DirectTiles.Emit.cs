using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes the register tiles of direct convolution once per assembly, in <c>KernelGen.Generated.DirectTiles</c>: every
/// kernel whose tile has the same <see cref="DirectTile"/> key calls the same method, passing what its own shape fixes
/// (the band's tap offsets and channel stride, the weights per output channel, the output plane) as a struct of constants,
/// its type argument, which the JIT folds into the kernel's copy. A project of many layers so compiles a few dozen tiles
/// instead of ten for every layer: the tiles were most of what it generated.
/// </summary>
internal static class DirectTileEmitter
{
    public const string HintName = "KernelGen.DirectTiles.g.cs";

    public static string Emit(IReadOnlyList<DirectTile> tiles)
    {
        var w = new CodeWriter();
        w.Line("namespace KernelGen.Generated;");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// What a convolution's shape fixes for the tiles of <see cref=\"DirectTiles\"/>: each kernel implements it with constants,");
        w.Line("/// and the JIT, compiling a tile for that kernel's struct, folds them into the kernel's own machine code.");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block(Invariant($"internal interface {DirectTile.ShapeName}")))
        {
            w.Line("/// <summary>Floats between two output channels of the output (of a flattened kernel's own tile buffer: the tile's pixels).</summary>");
            w.Line("static abstract int PlaneOut { get; }");
            w.Line();
            w.Line("/// <summary>Whether output pixels are flattened over whole planes into the tile's own buffer.</summary>");
            w.Line("static abstract bool Flattened { get; }");
            w.Line();
            w.Line("/// <summary>Floats between two output channels' weights.</summary>");
            w.Line("static abstract int WeightStride { get; }");
            w.Line();
            w.Line("/// <summary>Floats of band per input channel.</summary>");
            w.Line("static abstract int ChannelStride { get; }");
            w.Line();
            w.Line("/// <summary>Floats of band between kernel row <paramref name=\"ky\"/> and kernel row 0.</summary>");
            w.Line("static abstract int KernelRow(int ky);");
            w.Line();
            w.Line("/// <summary>Floats of band between kernel column <paramref name=\"kx\"/> and kernel column 0.</summary>");
            w.Line("static abstract int KernelColumn(int kx);");
        }

        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The register tiles of this assembly's direct convolutions, each written once and called by every kernel whose tile it");
        w.Line("/// is: output channels × output pixels accumulated over input channels and the kernel window. A kernel calls a tile with");
        w.Line(Invariant($"/// its own <see cref=\"{DirectTile.ShapeName}\"/> struct, whose constants the JIT folds into the kernel's copy of the tile; the"));
        w.Line("/// method's name says the rest (path, tile, window, flipped, bias, chunks, activation).");
        w.Line("/// </summary>");
        w.Line(GeneratedCode);
        using (w.Block("internal static class DirectTiles"))
        {
            bool first = true;
            foreach (DirectTile tile in tiles)
            {
                if (!first)
                {
                    w.Line();
                }

                first = false;
                WriteTile(w, tile);
            }

            WriteHelpers(w, tiles.Select(t => t.Path).Distinct());
        }

        return WithHeader(w.ToString(), "Edit the attributes of the convolutions, not this file.");
    }

    /// <summary>
    /// A kernel's implementation of the shape interface, <paramref name="name"/>: its constants, and its tap offsets as
    /// the expressions the plan writes for a kernel row and column.
    /// </summary>
    public static void WriteShape(CodeWriter w, ConvPlan plan, string name)
    {
        Conv2DGeometry g = plan.Spec.Geometry;
        w.Line(Invariant($"/// <summary>What this convolution's shape fixes for the shared tiles of <see cref=\"{DirectTile.Class}\"/>, as constants the JIT folds.</summary>"));
        using (w.Block(Invariant($"private readonly struct {name} : {DirectTile.ShapeInterface}")))
        {
            w.Line(Invariant($"public static int PlaneOut => {g.OutputHeight * g.OutputWidth};"));
            w.Line();
            w.Line(Invariant($"public static bool Flattened => {(plan.Flattened ? "true" : "false")};"));
            w.Line();
            w.Line(Invariant($"public static int WeightStride => {g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth};"));
            w.Line();
            w.Line(Invariant($"public static int ChannelStride => {plan.ChannelStride};"));
            w.Line();
            w.Line($"public static int KernelRow(int ky) => {plan.KernelRowOffset("ky")};");
            w.Line();
            w.Line($"public static int KernelColumn(int kx) => {plan.KernelColumnOffset("kx")};");
        }
    }

    private static void WriteTile(CodeWriter w, DirectTile t)
    {
        SimdPath path = t.Path;
        TileShape tile = t.Shape;
        int taps = t.KernelHeight * t.KernelWidth;
        string[] acc = Accumulators(tile);

        w.Line(Invariant($"/// <summary>{tile.Channels} output channel(s) × {Pixels(tile, path)}, accumulated over <paramref name=\"channels\"/> input channels and the {t.KernelHeight}×{t.KernelWidth} window{(t.FlipKernel ? " (flipped)" : "")}, {ConvEmitter.Describe(t.Unroll)}.</summary>"));
        w.Line(AggressiveOptimization);
        string parameters = $"ref float band, ref float weights, {(t.Bias ? "ref float bias, " : "")}ref float output, int channels{(t.Chunked ? ", bool first, bool last" : "")}";
        w.Line($"public static void {t.Name}<TShape>({parameters})");
        using (w.Block($"    where TShape : struct, {DirectTile.ShapeName}"))
        {
            w.Line($"{path.Type} {string.Join(", ", acc)};");
            void Start()
            {
                for (int j = 0; j < tile.Channels; j++)
                {
                    string start = t.Bias ? path.Broadcast(At("bias", Invariant($"{j}"))) : path.Zero;
                    w.Line($"{acc[j * tile.Vectors]} = {start};");
                    for (int v = 1; v < tile.Vectors; v++)
                    {
                        w.Line($"{acc[(j * tile.Vectors) + v]} = {acc[j * tile.Vectors]};");
                    }
                }
            }

            if (t.Chunked)
            {
                using (w.Block("if (first)"))
                {
                    Start();
                }

                using (w.Block("else"))
                {
                    DeclareOutputs(w, tile, path, "stored");
                    ForEachVector(tile, path, (j, v, offset, lanes) =>
                        w.Line($"{acc[(j * tile.Vectors) + v]} = {(lanes < path.Width ? path.PartialLoad(Output(j, "stored"), offset, lanes) : path.Load(Output(j, "stored"), offset))};"));
                }
            }
            else
            {
                w.Line(t.Bias ? "// Start from the bias." : "// Start from zero (no bias).");
                Start();
            }

            w.Line();
            if (tile.Channels > 1)
            {
                w.Line("// Each output channel's weights, WeightStride floats after the last's.");
                w.Line($"int {string.Join(", ", Enumerable.Range(1, tile.Channels - 1).Select(j => j == 1 ? "weights1 = TShape.WeightStride" : Invariant($"weights{j} = TShape.WeightStride * {j}")))};");
            }

            if (tile.InputsFirst)
            {
                w.Line("// The tap's input vectors and one broadcast weight, reused by every tap (few locals keep the JIT tracking all of them).");
                w.Line($"{path.Type} w, {string.Join(", ", Enumerable.Range(0, tile.Vectors).Select(v => Invariant($"x{v}")))};");
            }
            else
            {
                w.Line("// One input vector and each channel's broadcast weight, reused by every tap (few locals keep the JIT tracking all of them).");
                w.Line($"{path.Type} x, {string.Join(", ", Enumerable.Range(0, tile.Channels).Select(j => Invariant($"w{j}")))};");
            }

            using (w.Block("for (int c = 0; c < channels; c++)"))
            {
                WriteTaps(w, t, acc);
                w.Line($"band = ref {Unsafe}.Add(ref band, TShape.ChannelStride);");
                w.Line(Invariant($"weights = ref {Unsafe}.Add(ref weights, {taps});"));
            }

            w.Line();
            if (t.Activation.Vectorised && !t.Activation.IsNone)
            {
                string name = ActivationText.Name(t.Activation);
                w.Line(t.Chunked ? $"// After the last chunk: {name}." : $"// {name}, fused into the store.");
                using (t.Chunked ? w.Block("if (last)") : default(CodeWriter.Scope?))
                {
                    foreach (string a in acc)
                    {
                        w.Line($"{a} = {ActivationText.Apply(path, t.Activation, a)};");
                    }
                }
            }

            w.Line("// Store once.");
            DeclareOutputs(w, tile, path, "output");
            ForEachVector(tile, path, (j, v, offset, lanes) =>
            {
                string a = acc[(j * tile.Vectors) + v];
                if (lanes == path.Width)
                {
                    w.Line(path.Store(a, Output(j), offset));
                }
                else
                {
                    foreach (string store in path.PartialStore(a, Output(j), offset, lanes))
                    {
                        w.Line(store);
                    }
                }
            });

            if (!t.Activation.Vectorised)
            {
                int pixels = ((tile.Vectors - 1) * path.Width) + (tile.PartialLanes > 0 ? tile.PartialLanes : path.Width);
                string function = ActivationText.Apply(t.Activation, "e");
                w.Line(Invariant($"// {t.Activation}, applied to the stored values{(t.Chunked ? " after the last chunk" : "")}."));
                using (t.Chunked ? w.Block("if (last)") : default(CodeWriter.Scope?))
                using (tile.Channels > 1 ? w.Block(Invariant($"for (int j = 0; j < {tile.Channels}; j++)")) : default(CodeWriter.Scope?))
                using (pixels > 1 ? w.Block(Invariant($"for (int k = 0; k < {pixels}; k++)")) : default(CodeWriter.Scope?))
                {
                    string at = (tile.Channels > 1, pixels > 1) switch
                    {
                        (true, true) => Invariant($"(j * (TShape.Flattened ? {tile.Vectors * path.Width} : TShape.PlaneOut)) + k"),
                        (true, false) => Invariant($"j * (TShape.Flattened ? {tile.Vectors * path.Width} : TShape.PlaneOut)"),
                        (false, true) => "k",
                        _ => "0",
                    };
                    w.Line($"ref float e = ref {At("output", at)};");
                    w.Line($"e = {function};");
                }
            }
        }
    }

    /// <summary>Output channel j's first float: <c>output</c>, then <c>{name}1</c> (planeOut on), ….</summary>
    private static string Output(int j, string name = "output") => j == 0 ? "output" : Invariant($"{name}{j}");

    /// <summary>Declares <c>{name}1</c> .. : each output channel's first float after the first's.</summary>
    private static void DeclareOutputs(CodeWriter w, TileShape tile, SimdPath path, string name)
    {
        if (tile.Channels > 1)
        {
            // A flattened kernel's tile writes its own buffer, of the tile's pixels per channel.
            string plane = Invariant($"TShape.Flattened ? {tile.Vectors * path.Width} : TShape.PlaneOut");
            w.Line($"ref float {string.Join(", ", Enumerable.Range(1, tile.Channels - 1).Select(j => Invariant($"{name}{j} = ref {Unsafe}.Add(ref output, {(j == 1 ? plane : Invariant($"({plane}) * {j}"))})")))};");
        }
    }

    /// <summary>The reduction over one input channel: every kernel tap, as the key unrolls it, each at the shape's offset.</summary>
    private static void WriteTaps(CodeWriter w, DirectTile t, string[] acc)
    {
        SimdPath path = t.Path;
        TileShape tile = t.Shape;
        int kh = t.KernelHeight, kw = t.KernelWidth;

        // One tap: broadcast the tile's weights, then for each vector load the input once and update every channel
        // (or, with more channels than vectors, load the inputs, then for each channel broadcast its weight once).
        void Tap(string bandRef, string weightRef, string weightOffset)
        {
            string Weight(int j) => At(weightRef, j == 0 ? weightOffset : weightOffset == "0" ? Invariant($"weights{j}") : Invariant($"weights{j} + {weightOffset}"));
            if (tile.InputsFirst)
            {
                for (int v = 0; v < tile.Vectors; v++)
                {
                    w.Line($"x{v} = {path.Load(bandRef, v * path.Width)};");
                }

                for (int j = 0; j < tile.Channels; j++)
                {
                    w.Line($"w = {path.Broadcast(Weight(j))};");
                    for (int v = 0; v < tile.Vectors; v++)
                    {
                        string a = acc[(j * tile.Vectors) + v];
                        w.Line($"{a} = {path.MultiplyAdd(Invariant($"x{v}"), "w", a)};");
                    }
                }

                return;
            }

            for (int j = 0; j < tile.Channels; j++)
            {
                w.Line($"w{j} = {path.Broadcast(Weight(j))};");
            }

            for (int v = 0; v < tile.Vectors; v++)
            {
                w.Line($"x = {path.Load(bandRef, v * path.Width)};");
                for (int j = 0; j < tile.Channels; j++)
                {
                    string a = acc[(j * tile.Vectors) + v];
                    w.Line($"{a} = {path.MultiplyAdd("x", $"w{j}", a)};");
                }
            }
        }

        switch (t.Unroll)
        {
            case Unroll.Full:
                for (int ky = 0; ky < kh; ky++)
                {
                    for (int kx = 0; kx < kw; kx++)
                    {
                        int index = (ky * kw) + kx, tap = t.FlipKernel ? (kh * kw) - 1 - index : index;
                        w.Line(Invariant($"// tap ({ky}, {kx}){(t.FlipKernel ? Invariant($", weight ({tap / kw}, {tap % kw})") : "")}"));
                        string at = Invariant($"tap{index}");
                        w.Line(Invariant($"ref float {at} = ref {Unsafe}.Add(ref band, TShape.KernelRow({ky}) + TShape.KernelColumn({kx}));"));
                        Tap(at, "weights", Invariant($"{tap}"));
                    }
                }

                break;
            case Unroll.Rows:
                using (w.Block(Invariant($"for (int ky = 0; ky < {kh}; ky++)")))
                {
                    w.Line(Invariant($"ref float bandRow = ref {Unsafe}.Add(ref band, TShape.KernelRow(ky));"));
                    w.Line(t.FlipKernel
                        ? Invariant($"ref float weightRow = ref {Unsafe}.Add(ref weights, ({kh - 1} - ky) * {kw});")
                        : Invariant($"ref float weightRow = ref {Unsafe}.Add(ref weights, ky * {kw});"));
                    for (int kx = 0; kx < kw; kx++)
                    {
                        w.Line(Invariant($"// tap (ky, {kx})"));
                        string at = Invariant($"tap{kx}");
                        w.Line(Invariant($"ref float {at} = ref {Unsafe}.Add(ref bandRow, TShape.KernelColumn({kx}));"));
                        Tap(at, "weightRow", Invariant($"{(t.FlipKernel ? kw - 1 - kx : kx)}"));
                    }
                }

                break;
            case Unroll.None when kh == 1:
                using (w.Block(Invariant($"for (int kx = 0; kx < {kw}; kx++)")))
                {
                    w.Line($"ref float tap = ref {Unsafe}.Add(ref band, TShape.KernelColumn(kx));");
                    w.Line(t.FlipKernel ? Invariant($"int index = {kw - 1} - kx;") : "int index = kx;");
                    Tap("tap", "weights", "index");
                }

                break;
            default:
                using (w.Block(Invariant($"for (int ky = 0; ky < {kh}; ky++)")))
                using (w.Block(Invariant($"for (int kx = 0; kx < {kw}; kx++)")))
                {
                    w.Line($"ref float tap = ref {Unsafe}.Add(ref band, TShape.KernelRow(ky) + TShape.KernelColumn(kx));");
                    w.Line(t.FlipKernel
                        ? Invariant($"int index = (({kh - 1} - ky) * {kw}) + ({kw - 1} - kx);")
                        : Invariant($"int index = (ky * {kw}) + kx;"));
                    Tap("tap", "weights", "index");
                }

                break;
        }
    }

    private static string[] Accumulators(TileShape tile) =>
        Enumerable.Range(0, tile.Channels).SelectMany(j => Enumerable.Range(0, tile.Vectors).Select(v => Invariant($"a{j}_{v}"))).ToArray();

    private static string Pixels(TileShape tile, SimdPath path) => path.IsScalar
        ? Invariant($"{tile.Vectors} pixel(s)")
        : tile.PartialLanes > 0
            ? Invariant($"{tile.Vectors} vector(s) of {path.Width} pixels, the last holding {tile.PartialLanes}")
            : Invariant($"{tile.Vectors} vector(s) of {path.Width} pixels");

    /// <summary>Calls <paramref name="action"/>(channel, vector, pixel offset, lanes) for each accumulator of the tile.</summary>
    private static void ForEachVector(TileShape tile, SimdPath path, System.Action<int, int, int, int> action)
    {
        for (int j = 0; j < tile.Channels; j++)
        {
            for (int v = 0; v < tile.Vectors; v++)
            {
                bool partial = tile.PartialLanes > 0 && v == tile.Vectors - 1;
                action(j, v, v * path.Width, partial ? tile.PartialLanes : path.Width);
            }
        }
    }
}
