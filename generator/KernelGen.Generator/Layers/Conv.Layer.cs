using System;
using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[Conv2D]</c> in a network. Forward: its kernel file (<see cref="ConvPlanner"/>). Backward: the weight gradient
/// by rows of the output or, for narrow outputs, as a matrix product over the unfolded input; the input gradient as a
/// forward convolution with transposed weights (stride 1, <see cref="NetworkLayer.InputGradient"/>), by the product and
/// a fold back (narrow outputs), or by a loop over output positions.
/// </summary>
internal sealed class ConvLayer : WeightedLayer
{
    public static readonly ConvLayer Instance = new();

    protected override string Layout => " (OIHW)";

    public override string Describe(NetworkLayer layer) => layer.Spec is ConvSpec c
        ? Invariant($"{c.KernelHeight}×{c.KernelWidth} convolution{(c.Activation.IsNone ? "" : ", " + c.Activation)}")
        : "convolution";

    public override ActivationSpec Activation(ISpec spec) => ((ConvSpec)spec).Activation;

    public override NetworkLayer Unfused(NetworkLayer layer) =>
        layer with { Spec = (ConvSpec)layer.Spec with { Activation = ActivationSpec.None }, Separate = Activation(layer.Spec) };

    public override IPlan Plan(ISpec spec, bool legacyIntrinsics) => ConvPlanner.Plan((ConvSpec)spec, legacyIntrinsics);

    /// <summary>The fans as PyTorch and Keras count them: in-channels per group, but all out-channels, times the kernel area.</summary>
    public override (int[] Shape, int FanIn, int FanOut) WeightShape(NetworkLayer layer) => layer.Spec is ConvSpec c
        ? (new[] { c.OutChannels, c.InChannels / c.Groups, c.KernelHeight, c.KernelWidth },
            c.InChannels / c.Groups * c.KernelHeight * c.KernelWidth, c.OutChannels * c.KernelHeight * c.KernelWidth)
        : (Array.Empty<int>(), 0, 0);

    public override IEnumerable<WorkspaceBuffer> Buffers(NetworkSpec spec, NetworkLayer layer)
    {
        if (layer.InputGradient is not null)
        {
            yield return new WorkspaceBuffer("TransposedWeight", Invariant($"{WeightLength(layer)}"), $"<c>{layer.Name}</c>'s weights with in and out channels swapped, for its input gradient.");
        }

        if (layer is { WeightGradientByProduct: true, Spec: ConvSpec c })
        {
            int positions = c.Geometry.OutputHeight * c.Geometry.OutputWidth;
            yield return new WorkspaceBuffer("Columns", Invariant($"{positions * ((c.InChannels * c.KernelHeight * c.KernelWidth) + c.OutChannels)}"),
                $"One sample of <c>{layer.Name}</c>'s input unfolded (a row per output position), then its output gradient transposed, for the weight gradient.");
        }
    }

    /// <summary>The convolution's call over its weights as stored.</summary>
    public override string Forward(NetworkCalls c, NetworkLayer layer, string target) => Call(c, layer, target, $"{layer.Owner}Weight.Values");

    /// <summary>At inference, a convolution with a packed form runs it where <see cref="NetworkPacked"/> says.</summary>
    public override void WriteForward(CodeWriter w, NetworkCalls c, NetworkLayer layer, string target)
    {
        if (c.Inference && NetworkPacked.Inference(c.Spec, layer) is { } conv)
        {
            WritePacked(w, layer, conv, $"{layer.Owner}Weight.Values", $"{layer.Owner}Weight.Version", weights => Call(c, layer, target, weights));
            return;
        }

        base.WriteForward(w, c, layer, target);
    }

    /// <summary>
    /// The call of a convolution with a packed form at inference (<paramref name="call"/> of the weights it passes): with
    /// <c>FixedWeights</c>, over the workspace's packed weights, packed again when <paramref name="version"/> moves;
    /// without it, over weights packed again when they compare unequal (<see cref="NetworkPacked.Compared"/>) or as stored.
    /// </summary>
    public static void WritePacked(CodeWriter w, NetworkLayer layer, ConvSpec conv, string weights, string version, System.Func<string, string> call)
    {
        bool winograd = WinogradPlan.For(conv, legacyIntrinsics: false) is not null;
        string packed = NetworkPacked.Weights(layer, conv.Method, weights, version);
        if (NetworkPacked.Compared(conv))
        {
            w.Line("// Winograd over transformed weights, made again when the weights change: by version with FixedWeights, else by comparison.");
            w.Line(call(ComparedWeights(w, layer, conv, weights, version)));
            return;
        }

        WriteFixedOrPlain(w, $"// With FixedWeights, {(winograd ? "Winograd over transformed weights" : "the packed direct form over weights in blocks of 16 output channels")}, made again when the weights change.",
            call(packed), call(weights));
    }

    /// <summary>
    /// Declares <c>{layer}Packed</c>, the Winograd weights of a layer whose weights are compared (<see cref="NetworkPacked.Compared"/>):
    /// made again when <paramref name="version"/> moves with <c>FixedWeights</c>, else when the weights compare unequal; returns its name.
    /// </summary>
    private static string ComparedWeights(CodeWriter w, NetworkLayer layer, ConvSpec conv, string weights, string version)
    {
        string local = char.ToLowerInvariant(layer.Name[0]) + layer.Name.Substring(1) + "Packed";
        w.Line($"global::KernelGen.PackedWeights {local} = FixedWeights");
        w.Line($"    ? {NetworkPacked.Weights(layer, conv.Method, weights, version)}");
        w.Line($"    : {NetworkPacked.Weights(layer, conv.Method, weights, null)};");
        return local;
    }

    private static string Call(NetworkCalls c, NetworkLayer layer, string target, string weights) => Call(c, layer, target, weights, c.Threads);

    /// <summary>
    /// A layer fused into the convolution before it (<see cref="NetworkLayer.FusedProducer"/>) at inference, written into
    /// <paramref name="target"/>: a sum, by the convolution's Winograd overload <c>{Method}Residual</c>, which adds itself
    /// into the buffer of the other operand, the residual, and applies the sum's activation
    /// (<see cref="ConvSpec.Residual"/>); a max pool, by its packed direct overload <c>{Method}Pooled</c>, which stores only
    /// each window's maximum (<see cref="ConvSpec.MaxPool"/>). Without <c>FixedWeights</c>, a layer whose weights are not
    /// compared (<see cref="NetworkPacked.Compared"/>) runs its plain overload into its own buffer and then
    /// <paramref name="plain"/>, the fused layer's own call, with the same results.
    /// </summary>
    public static void WriteFused(CodeWriter w, NetworkCalls c, NetworkLayer producer, NetworkLayer fused, string target, string plain)
    {
        ConvSpec conv = NetworkPacked.Inference(c.Spec, producer)!;
        bool pool = fused.Spec is PoolSpec;
        string weights = $"{producer.Owner}Weight.Values", version = $"{producer.Owner}Weight.Version";
        string Fused(string packed) =>
            $"{conv.Method.Name}{(pool ? "Pooled" : "Residual")}({c.Read(producer.Inputs[0])}, {packed}, {(producer.HasBias ? $"{producer.Owner}Bias.Values, " : "")}{NetworkCalls.Written(fused, target)}, batch{c.Threads});";
        string comment = pool
            ? $"// {fused.Name} fused into {producer.Name}: its tiles keep each window's maximum, and only the pool's output is stored."
            : $"// {fused.Name} fused into {producer.Name}: its Winograd store adds the convolution to the residual, which this buffer holds, {(fused.Activation.IsNone ? "in place" : $"then {fused.Activation}")}.";
        if (NetworkPacked.Compared(conv))
        {
            w.Line(comment);
            w.Line(Fused(ComparedWeights(w, producer, conv, weights, version)));
            return;
        }

        w.Line(comment + $" Without FixedWeights, the convolution and then the {(pool ? "pool" : "sum")}.");
        using (w.Block("if (FixedWeights)"))
        {
            w.Line(Fused(NetworkPacked.Weights(producer, conv.Method, weights, version)));
        }

        using (w.Block("else"))
        {
            w.Line(Call(c, producer, c.Output(producer), weights));
            w.Line(plain);
        }
    }

    public override void WriteInputGradient(CodeWriter w, NetworkCalls c, NetworkLayer layer, int operand, bool add)
    {
        if (layer.InputGradient is not { } gradient)
        {
            base.WriteInputGradient(w, c, layer, operand, add);
            return;
        }

        // dX is a forward convolution of dY with the weights transposed and rotated: the forward kernels' tiling.
        NetworkLayer source = c.Spec.Layers[layer.Inputs[operand]];
        string length = Invariant($"batch * {source.OutputLength}");
        w.Line($"{c.Kernels}.{layer.Name}TransposeWeights({c.Start($"{layer.Owner}Weight.Values")}, {c.Start($"buffers.{layer.Name}TransposedWeight")});");
        w.Line(Invariant($"{gradient.Method.Name}(new {NetworkCalls.ReadOnlySpan}(buffers.{layer.Name}Gradient, 0, batch * {layer.OutputLength}), buffers.{layer.Name}TransposedWeight, new {NetworkCalls.Span}({(add ? "buffers.Scratch" : $"buffers.{source.Name}Gradient")}, 0, {length}), batch);"));
        if (add)
        {
            w.Line($"{c.Kernels}.Accumulate({c.Start("buffers.Scratch")}, {c.Start($"buffers.{source.Name}Gradient")}, {length});");
        }
    }

    protected override string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput) =>
        $"{c.Kernels}.{layer.Name}InputGradient({c.Start($"buffers.{layer.Name}Gradient")}, {c.Start($"{layer.Owner}Weight.Values")}, {gradInput}{(layer.WeightGradientByProduct ? $", {c.Start($"buffers.{layer.Name}Columns")}" : "")}, batch);";

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer) =>
        new Kernels(w, paths).Write(layer, (ConvSpec)layer.Spec);

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        public void Write(NetworkLayer layer, ConvSpec conv)
        {
            w.Line();
            if (layer.WeightGradientByProduct)
            {
                ConvWeightGradientByProduct(layer.Name, conv);
            }
            else
            {
                ConvWeightGradient(layer.Name, conv);
            }

            if (layer.HasBias)
            {
                w.Line();
                BiasGradient(layer.Name, conv.OutChannels, conv.Geometry.OutputHeight * conv.Geometry.OutputWidth);
            }

            // A convolution that reads the network's input needs no input gradient.
            if (layer.Inputs[0] < 0)
            {
                return;
            }

            w.Line();
            if (layer.InputGradient is not null)
            {
                TransposeWeights(layer.Name, conv);
            }
            else if (layer.WeightGradientByProduct)
            {
                ConvInputGradientByProduct(layer.Name, conv);
            }
            else
            {
                ConvInputGradient(layer.Name, conv);
            }
        }

        /// <summary>
        /// A convolution's weights with in and out channels swapped, <c>[in, out, kh, kw]</c>: the weights of the forward
        /// convolution that computes its input gradient (which also rotates each kernel, by <c>FlipKernel</c>).
        /// </summary>
        public void TransposeWeights(string layer, ConvSpec c)
        {
            int area = c.KernelHeight * c.KernelWidth;
            Doc(w, Invariant($"<c>{layer}</c>'s weights [{c.OutChannels}, {c.InChannels}, {c.KernelHeight}, {c.KernelWidth}] with in and out channels swapped, [{c.InChannels}, {c.OutChannels}, {c.KernelHeight}, {c.KernelWidth}], for its input gradient."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}TransposeWeights(ref float weights, ref float transposed)"))
            using (w.Block(Invariant($"for (int o = 0; o < {c.OutChannels}; o++)")))
            using (w.Block(Invariant($"for (int i = 0; i < {c.InChannels}; i++)")))
            {
                w.Line(Invariant($"{MemoryMarshal}.CreateReadOnlySpan(ref {At("weights", Invariant($"((o * {c.InChannels}) + i) * {area}"))}, {area}).CopyTo({MemoryMarshal}.CreateSpan(ref {At("transposed", Invariant($"((i * {c.OutChannels}) + o) * {area}"))}, {area}));"));
            }
        }

        /// <summary>
        /// A convolution's weight gradient as a matrix product, for output rows too narrow to fill a vector: per sample, the
        /// input unfolded so that each output position's receptive field is one row (<c>columns[p, (i, ky, kx)]</c>), the output
        /// gradient transposed (<c>[p, o]</c>), and <c>dW[o, (i, ky, kx)] += Σₚ dY[p, o] · columns[p, (i, ky, kx)]</c> in the
        /// dense layers' register tiles, with the vectors along the weights' rows.
        /// </summary>
        public void ConvWeightGradientByProduct(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int outputs = c.OutChannels, field = c.InChannels * c.KernelHeight * c.KernelWidth, positions = g.OutputHeight * g.OutputWidth;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s weights [{outputs}, {c.InChannels}, {c.KernelHeight}, {c.KernelWidth}], a sample at a time: dW += dYᵀ · columns, {positions} output positions × {field} taps, in register tiles."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}WeightGradient(ref float input, ref float gradOutput, ref float gradWeights, ref float columns, int batch)"))
            {
                Clear("gradWeights", Invariant($"{outputs * field}"));
                w.Line(Invariant($"ref float transposed = ref {At("columns", Invariant($"{positions * field}"))};"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line(Invariant($"{layer}Unfold(ref {At("input", Invariant($"n * {c.InChannels * g.Height * g.Width}"))}, ref columns);"));
                    w.Line(Invariant($"{layer}TransposeGradient(ref {At("gradOutput", Invariant($"n * {outputs * positions}"))}, ref transposed);"));
                    w.Line(Invariant($"{layer}Product(ref columns, ref transposed, ref gradWeights, {positions});"));
                }
            }

            w.Line();
            Doc(w, Invariant($"One sample of <c>{layer}</c>'s output gradient transposed, [{outputs}, {positions}] as [{positions}, {outputs}], for its products."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}TransposeGradient(ref float gradOutput, ref float transposed)"))
            using (w.Block(Invariant($"for (int o = 0; o < {outputs}; o++)")))
            using (w.Block(Invariant($"for (int p = 0; p < {positions}; p++)")))
            {
                w.Line(Invariant($"{At("transposed", Invariant($"(p * {outputs}) + o"))} = {At("gradOutput", Invariant($"(o * {positions}) + p"))};"));
            }

            w.Line();
            Doc(w, Invariant($"<c>{layer}</c>'s weight gradient for one sample: <c>gradWeights[o, k] += Σₚ gradOutput[p, o] · input[p, k]</c> over <paramref name=\"batch\"/> = {positions} positions."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Product(ref float input, ref float gradOutput, ref float gradWeights, int batch)"))
            {
                Product(field, outputs, accumulate: true);
            }

            w.Line();
            Doc(w, Invariant($"One sample of <c>{layer}</c>'s input unfolded: for each of the {positions} output positions, the {field} inputs its window reads (0 in the padding), in the weights' order (i, ky, kx)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Unfold(ref float input, ref float columns)"))
            {
                EachTap(c, (tap, source, rowInside, colInside) =>
                    w.Line($"{At("column", tap)} = {rowInside} && {colInside} ? {At("input", source)} : 0f;"));
            }
        }

        /// <summary>
        /// A convolution's input gradient as a matrix product, for one that is not a stride-1 forward convolution in reverse
        /// (a stride or dilation) and whose output rows are narrow: per sample, <c>columns[p, (i, ky, kx)] = Σₒ dY[p, o] ·
        /// W[o, (i, ky, kx)]</c> in the dense layers' register tiles, then each column added back to the input positions its
        /// window read (col2im). The output gradient is transposed by <see cref="ConvWeightGradientByProduct"/>'s kernel.
        /// </summary>
        public void ConvInputGradientByProduct(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int outputs = c.OutChannels, field = c.InChannels * c.KernelHeight * c.KernelWidth, positions = g.OutputHeight * g.OutputWidth;
            int plane = c.InChannels * g.Height * g.Width;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input, a sample at a time: columns = dYᵀ · W ({positions} positions × {field} taps, in register tiles), each added back where its window read."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float weights, ref float gradInput, ref float columns, int batch)"))
            {
                Clear("gradInput", Invariant($"batch * {plane}"));
                w.Line(Invariant($"ref float transposed = ref {At("columns", Invariant($"{positions * field}"))};"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line(Invariant($"{layer}TransposeGradient(ref {At("gradOutput", Invariant($"n * {outputs * positions}"))}, ref transposed);"));
                    w.Line(Invariant($"{layer}Spread(ref transposed, ref weights, ref columns, {positions});"));
                    w.Line(Invariant($"{layer}Refold(ref columns, ref {At("gradInput", Invariant($"n * {plane}"))});"));
                }
            }

            w.Line();
            Doc(w, Invariant($"<c>{layer}</c>'s input gradient for one sample, unfolded: <c>gradInput[p, k] = Σₒ gradOutput[p, o] · weights[o, k]</c> over <paramref name=\"batch\"/> = {positions} positions."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Spread(ref float gradOutput, ref float weights, ref float gradInput, int batch)"))
            {
                Spread(field, outputs);
            }

            w.Line();
            Doc(w, Invariant($"Adds each of the {positions} unfolded columns of <c>{layer}</c>'s input gradient to the input positions its window read (col2im)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Refold(ref float columns, ref float gradInput)"))
            {
                EachTap(c, (tap, source, rowInside, colInside) =>
                {
                    using (w.Block($"if ({rowInside} && {colInside})"))
                    {
                        w.Line($"{At("gradInput", source)} += {At("column", tap)};");
                    }
                });
            }
        }

        /// <summary>
        /// The loops over a convolution's output positions and window taps that im2col and col2im share: per position the
        /// row of <c>columns</c> it owns (<c>column</c>), per tap <paramref name="body"/>(its index in that row, the input
        /// element's offset in the sample, whether its row and its column are inside the plane). A loop of one is a constant.
        /// </summary>
        private void EachTap(ConvSpec c, Action<string, string, string, string> body)
        {
            Conv2DGeometry g = c.Geometry;
            int field = c.InChannels * c.KernelHeight * c.KernelWidth;
            string? Loop(string variable, int count) => count == 1 ? null : variable;
            string? i = Loop("i", c.InChannels), ky = Loop("ky", c.KernelHeight), kx = Loop("kx", c.KernelWidth);
            string? y = Loop("y", g.OutputHeight), x = Loop("x", g.OutputWidth);
            using (y is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int y = 0; y < {g.OutputHeight}; y++)")))
            using (x is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int x = 0; x < {g.OutputWidth}; x++)")))
            {
                w.Line(Invariant($"ref float column = ref {At("columns", Offset(0, (y, (long)g.OutputWidth * field), (x, field)))};"));
                using (i is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int i = 0; i < {c.InChannels}; i++)")))
                using (ky is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int ky = 0; ky < {c.KernelHeight}; ky++)")))
                {
                    w.Line($"int row = {Offset(-c.PadTop, (y, c.StrideHeight), (ky, c.DilationHeight))};");
                    using (kx is null ? default(CodeWriter.Scope?) : w.Block(Invariant($"for (int kx = 0; kx < {c.KernelWidth}; kx++)")))
                    {
                        w.Line($"int col = {Offset(-c.PadLeft, (x, c.StrideWidth), (kx, c.DilationWidth))};");
                        string tap = Offset(0, (i, (long)c.KernelHeight * c.KernelWidth), (ky, c.KernelWidth), (kx, 1));
                        string source = Offset(0, (i, (long)g.Height * g.Width), ("row", g.Width), ("col", 1));
                        body(tap, source, Invariant($"(uint)row < {g.Height}"), Invariant($"(uint)col < {g.Width}"));
                    }
                }
            }
        }

        /// <summary>
        /// dW[o, i, ky, kx] = Σₙ Σ_y Σ_x dY[n, o, y, x] · X[n, i, y·sh + ky·dh − pt, x·sw + kx·dw − pl]: per (o, i, ky),
        /// one accumulator per kx, so each output-gradient vector is loaded once for the whole kernel row.
        /// </summary>
        public void ConvWeightGradient(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int inPerGroup = g.InChannelsPerGroup, taps = c.KernelWidth;
            bool vector = c.StrideWidth == 1 && taps <= 12;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s weights [{c.OutChannels}, {inPerGroup}, {c.KernelHeight}, {c.KernelWidth}]: output gradients times the inputs under each tap, summed over positions and the batch."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}WeightGradient(ref float input, ref float gradOutput, ref float gradWeights, int batch)"))
            using (w.Block(Invariant($"for (int o = 0; o < {c.OutChannels}; o++)")))
            using (inPerGroup > 1 ? w.Block(Invariant($"for (int i = 0; i < {inPerGroup}; i++)")) : default(CodeWriter.Scope?))
            {
                string i = inPerGroup > 1 ? "i" : "0";
                w.Line(Invariant($"ref float weights = ref {At("gradWeights", Offset(0, ("o", inPerGroup * c.KernelHeight * c.KernelWidth), (i, c.KernelHeight * c.KernelWidth)))};"));
                for (int ky = 0; ky < c.KernelHeight; ky++)
                {
                    (int yLo, int yHi) = Valid(ky, c.StrideHeight, c.DilationHeight, c.PadTop, g.Height, g.OutputHeight);
                    int wy = c.FlipKernel ? c.KernelHeight - 1 - ky : ky;
                    w.Line(Invariant($"// Kernel row {ky}: output rows {yLo}…{yHi - 1} see input rows inside the plane."));
                    if (yLo >= yHi)
                    {
                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"{At("weights", Invariant($"{(wy * c.KernelWidth) + Flip(c, kx)}"))} = 0f;"));
                        }

                        continue;
                    }

                    using (w.Block(""))
                    {
                        w.Line($"float {string.Join(", ", Enumerable.Range(0, taps).Select(kx => Invariant($"s{kx} = 0f")))};");
                        var row = new WeightGradientRow(c, ky, yLo, yHi, i);
                        if (vector)
                        {
                            VectorPaths(row.CommonEnd - row.CommonStart, v =>
                            {
                                w.Line($"{v.Type} {string.Join(", ", Enumerable.Range(0, taps).Select(kx => Invariant($"a{kx} = {v.Zero}")))};");
                                ConvWeightGradientRows(row, v);
                                for (int kx = 0; kx < taps; kx++)
                                {
                                    w.Line(Invariant($"s{kx} += {v.Sum(Invariant($"a{kx}"))};"));
                                }
                            });

                            if (row.CommonEnd - row.CommonStart >= NarrowestVector)
                            {
                                using (w.Block("else"))
                                {
                                    ConvWeightGradientRows(row, null);
                                }
                            }
                            else
                            {
                                ConvWeightGradientRows(row, null);
                            }
                        }
                        else
                        {
                            ConvWeightGradientRows(row, null);
                        }

                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"{At("weights", Invariant($"{(wy * c.KernelWidth) + Flip(c, kx)}"))} = s{kx};"));
                        }
                    }
                }
            }
        }

        /// <summary>One kernel row of a weight gradient: the layer, the row, the output rows it sees, and the input channel (a variable or 0).</summary>
        private sealed class WeightGradientRow
        {
            public WeightGradientRow(ConvSpec c, int ky, int yLo, int yHi, string channel)
            {
                Conv = c;
                Ky = ky;
                YLo = yLo;
                YHi = yHi;
                Conv2DGeometry g = c.Geometry;
                Channel = c.Groups == 1 ? channel : Offset(0, (Invariant($"(o / {g.OutChannelsPerGroup})"), g.InChannelsPerGroup), (channel, 1));
                Ranges = Enumerable.Range(0, c.KernelWidth).Select(kx => Valid(kx, c.StrideWidth, c.DilationWidth, c.PadLeft, g.Width, g.OutputWidth)).ToArray();
                CommonStart = Ranges.Max(r => r.Lo);
                CommonEnd = Ranges.Min(r => r.Hi);
            }

            public ConvSpec Conv { get; }

            public int Ky { get; }

            public int YLo { get; }

            public int YHi { get; }

            /// <summary>The input channel read, as C#.</summary>
            public string Channel { get; }

            /// <summary>Per tap, the output columns whose input is inside the row.</summary>
            public (int Lo, int Hi)[] Ranges { get; }

            /// <summary>The output columns every tap reads inside the row: [start, end).</summary>
            public int CommonStart { get; }

            public int CommonEnd { get; }
        }

        /// <summary>
        /// The loops over the batch and output rows of one kernel row: with <paramref name="v"/>, the columns every tap
        /// reads inside the row in vectors (accumulators <c>a0…</c>), the rest in scalars (<c>s0…</c>); without, every tap's
        /// columns in scalars.
        /// </summary>
        private void ConvWeightGradientRows(WeightGradientRow row, SimdPath? v)
        {
            ConvSpec c = row.Conv;
            Conv2DGeometry g = c.Geometry;
            int taps = c.KernelWidth, plane = g.Height * g.Width, outPlane = g.OutputHeight * g.OutputWidth;
            int common0 = row.CommonStart, common1 = row.CommonEnd;
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"((n * {c.OutChannels}) + o) * {outPlane}"))};"));
                w.Line(Invariant($"ref float x = ref {At("input", Invariant($"({Offset(0, ("n", c.InChannels), (row.Channel, 1))}) * {plane}"))};"));
                using (w.Block(Invariant($"for (int y = {row.YLo}; y < {row.YHi}; y++)")))
                {
                    w.Line(Invariant($"ref float dyRow = ref {At("dy", Invariant($"y * {g.OutputWidth}"))};"));
                    w.Line(Invariant($"ref float xRow = ref {At("x", Invariant($"({Plus(Times("y", c.StrideHeight), (row.Ky * c.DilationHeight) - c.PadTop)}) * {g.Width}"))};"));
                    if (v is null)
                    {
                        for (int kx = 0; kx < taps; kx++)
                        {
                            if (row.Ranges[kx].Hi > row.Ranges[kx].Lo)
                            {
                                using (w.Block(Invariant($"for (int col = {row.Ranges[kx].Lo}; col < {row.Ranges[kx].Hi}; col++)")))
                                {
                                    w.Line(Invariant($"s{kx} += {At("dyRow", "col")} * {At("xRow", Plus(Times("col", c.StrideWidth), (kx * c.DilationWidth) - c.PadLeft))};"));
                                }
                            }
                        }

                        return;
                    }

                    // Every tap is inside the row for these columns: one load of dY feeds every tap.
                    int width = v.Width, tail = (common1 - common0) % width;
                    w.Line(Invariant($"int col = {common0};"));
                    using (w.Block(Invariant($"for (; col <= {common1 - width}; col += {width})")))
                    {
                        w.Line($"{v.Type} d = {v.Load("dyRow", "col")};");
                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"a{kx} = {v.MultiplyAdd("d", v.Load("xRow", Plus("col", (kx * c.DilationWidth) - c.PadLeft)), $"a{kx}")};"));
                        }
                    }

                    if (tail > 0)
                    {
                        // The last columns as one vector ending at the row's end, the lanes already summed masked off.
                        w.Line(Invariant($"{v.Type} last = {v.Load("dyRow", common1 - width)} * {v.Constant(l => l < width - tail ? "0f" : "1f")};"));
                        for (int kx = 0; kx < taps; kx++)
                        {
                            w.Line(Invariant($"a{kx} = {v.MultiplyAdd("last", v.Load("xRow", common1 - width + (kx * c.DilationWidth) - c.PadLeft), $"a{kx}")};"));
                        }
                    }

                    // The border columns where some taps fall in the padding.
                    for (int kx = 0; kx < taps; kx++)
                    {
                        foreach ((int from, int to) in new[] { (row.Ranges[kx].Lo, common0), (common1, row.Ranges[kx].Hi) })
                        {
                            if (to > from)
                            {
                                if (to - from == 1)
                                {
                                    // One column: a statement, not a loop that runs once.
                                    w.Line(Invariant($"s{kx} += {At("dyRow", $"{from}")} * {At("xRow", $"{from + (kx * c.DilationWidth) - c.PadLeft}")};"));
                                }
                                else
                                {
                                    using (w.Block(Invariant($"for (int edge = {from}; edge < {to}; edge++)")))
                                    {
                                        w.Line(Invariant($"s{kx} += {At("dyRow", "edge")} * {At("xRow", Plus("edge", (kx * c.DilationWidth) - c.PadLeft))};"));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>dX: each output gradient, times each tap's weight, added to the input position that tap read (a row at a time).</summary>
        public void ConvInputGradient(string layer, ConvSpec c)
        {
            Conv2DGeometry g = c.Geometry;
            int inPerGroup = g.InChannelsPerGroup, plane = g.Height * g.Width, outPlane = g.OutputHeight * g.OutputWidth;
            bool vector = c.StrideWidth == 1;
            Doc(w, Invariant($"The gradient of <c>{layer}</c>'s input: each output gradient row, times each tap's weight, added to the input row and columns that tap read."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}InputGradient(ref float gradOutput, ref float weights, ref float gradInput, int batch)"))
            {
                Clear("gradInput", Invariant($"batch * {c.InChannels * plane}"));
                using (w.Block("for (int n = 0; n < batch; n++)"))
                using (w.Block(Invariant($"for (int o = 0; o < {c.OutChannels}; o++)")))
                {
                    w.Line(Invariant($"ref float dy = ref {At("gradOutput", Invariant($"((n * {c.OutChannels}) + o) * {outPlane}"))};"));
                    using (w.Block(Invariant($"for (int y = 0; y < {g.OutputHeight}; y++)")))
                    {
                        w.Line(Invariant($"ref float dyRow = ref {At("dy", Invariant($"y * {g.OutputWidth}"))};"));
                        for (int ky = 0; ky < c.KernelHeight; ky++)
                        {
                            int wy = c.FlipKernel ? c.KernelHeight - 1 - ky : ky;
                            using (w.Block(""))
                            {
                                w.Line(Invariant($"int row = {Plus(Times("y", c.StrideHeight), (ky * c.DilationHeight) - c.PadTop)};"));
                                using (w.Block(Invariant($"if ((uint)row < {g.Height})")))
                                using (inPerGroup > 1 ? w.Block(Invariant($"for (int i = 0; i < {inPerGroup}; i++)")) : default(CodeWriter.Scope?))
                                {
                                    string i = inPerGroup > 1 ? "i" : "0";
                                    string channel = c.Groups == 1 ? i : Offset(0, (Invariant($"(o / {g.OutChannelsPerGroup})"), inPerGroup), (i, 1));
                                    string taps = Offset(wy * c.KernelWidth, ("o", inPerGroup * c.KernelHeight * c.KernelWidth), (i, c.KernelHeight * c.KernelWidth));
                                    w.Line(Invariant($"ref float dxRow = ref {At("gradInput", Invariant($"(({Offset(0, ("n", c.InChannels), (channel, 1))}) * {plane}) + {Times("row", g.Width)}"))};"));
                                    w.Line(Invariant($"ref float taps = ref {At("weights", taps)};"));
                                    for (int kx = 0; kx < c.KernelWidth; kx++)
                                    {
                                        (int lo, int hi) = Valid(kx, c.StrideWidth, c.DilationWidth, c.PadLeft, g.Width, g.OutputWidth);
                                        if (hi <= lo)
                                        {
                                            continue;
                                        }

                                        int shift = (kx * c.DilationWidth) - c.PadLeft;
                                        using (w.Block(""))
                                        {
                                            w.Line(Invariant($"float weight = {At("taps", Invariant($"{Flip(c, kx)}"))};"));
                                            w.Line(Invariant($"int col = {lo};"));
                                            if (vector)
                                            {
                                                VectorPaths(hi - lo, v =>
                                                {
                                                    w.Line($"{v.Type} b = {v.Broadcast("weight")};");
                                                    using (w.Block(Invariant($"for (; col <= {hi - v.Width}; col += {v.Width})")))
                                                    {
                                                        string at = Plus("col", shift);
                                                        w.Line(v.Store(v.MultiplyAdd("b", v.Load("dyRow", "col"), v.Load("dxRow", at)), "dxRow", at));
                                                    }
                                                });
                                            }

                                            using (w.Block(Invariant($"for (; col < {hi}; col++)")))
                                            {
                                                w.Line(Invariant($"{At("dxRow", Plus(Times("col", c.StrideWidth), shift))} += weight * {At("dyRow", "col")};"));
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        private static int Flip(ConvSpec c, int kx) => c.FlipKernel ? c.KernelWidth - 1 - kx : kx;

        /// <summary>The output positions [Lo, Hi) whose tap <paramref name="k"/> reads inside the input (not padding).</summary>
        private static (int Lo, int Hi) Valid(int k, int stride, int dilation, int pad, int size, int outputs)
        {
            int offset = (k * dilation) - pad;
            int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
            int last = size - 1 - offset;
            int hi = last < 0 ? 0 : Math.Min(outputs, (last / stride) + 1);
            return (Math.Min(lo, hi), hi);
        }
    }
}
