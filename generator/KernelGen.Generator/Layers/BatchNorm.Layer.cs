using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// A <c>[BatchNorm2D]</c> in a network: PyTorch's <c>weight</c> and <c>bias</c> and its <c>running_mean</c> and
/// <c>running_var</c> buffers. Training normalises with the batch's statistics (in the network's kernel class, keeping x̂
/// for the backward pass); inference runs its kernel file on the running statistics, or — folded into the convolution it
/// reads (<see cref="NetworkLayer.Folded"/>) — that convolution's folded kernel with weights scaled at each call.
/// </summary>
internal sealed class BatchNormLayer : LayerKind
{
    public static readonly BatchNormLayer Instance = new();

    public override string Describe(NetworkLayer layer) =>
        "batch norm" + (Activation(layer.Spec).IsNone ? "" : ", " + Activation(layer.Spec)) + (layer.Folded is null ? "" : ", folded into the convolution before it for inference");

    public override bool HasParameters => true;

    /// <summary>Its shift is its bias.</summary>
    public override bool HasBias(NetworkLayer layer) => true;

    public override ActivationSpec Activation(ISpec spec) => ((BatchNormSpec)spec).Activation;

    /// <summary>The inference kernel keeps its activation fused; only the training form applies it separately.</summary>
    public override NetworkLayer Unfused(NetworkLayer layer) => Activation(layer.Spec).IsNone ? layer : layer with { Separate = Activation(layer.Spec) };

    public override IPlan Plan(ISpec spec, bool legacyIntrinsics) => BatchNormPlan.Plan((BatchNormSpec)spec, legacyIntrinsics);

    public override string Declaration(NetworkLayer layer) =>
        $"private static partial void {layer.Spec.Method.Name}({NetworkCalls.ReadOnlySpan} input, {NetworkCalls.ReadOnlySpan} scale, {NetworkCalls.ReadOnlySpan} shift, {NetworkCalls.ReadOnlySpan} mean, {NetworkCalls.ReadOnlySpan} variance, {NetworkCalls.Span} output, int batch);";

    public override IReadOnlyList<ParameterTensor> Tensors(NetworkLayer layer, bool he)
    {
        int[] channels = [((BatchNormSpec)layer.Spec).Channels];
        return
        [
            new("Weight", "weight", channels, "Ones", false, 0, 0, "The scale"),
            new("Bias", "bias", channels, "Zeros", false, 0, 0, "The shift"),
            new("RunningMean", "running_mean", channels, "Zeros", true, 0, 0, "The running mean (a buffer, moved by each training step)"),
            new("RunningVar", "running_var", channels, "Ones", true, 0, 0, "The running variance (a buffer, moved by each training step)"),
        ];
    }

    public override IEnumerable<WorkspaceBuffer> Buffers(NetworkSpec spec, NetworkLayer layer)
    {
        int channels = ((BatchNormSpec)layer.Spec).Channels;
        yield return new("Normalized", Invariant($"checked(maxBatch * {layer.OutputLength})"), $"<c>{layer.Name}</c>'s input normalised with the training batch's statistics, x̂ = (x − mean) / √(variance + ε).");
        yield return new("Mean", Invariant($"{channels}"), $"The training batch's mean per channel, as <c>{layer.Name}</c> normalised with it.");
        yield return new("Variance", Invariant($"{channels}"), "The training batch's variance per channel (divided by the count, as the normalisation uses it).");
        yield return new("Sums", Invariant($"{2 * channels}"), "Per channel, Σ dY · x̂ (the scale's gradient), then Σ dY (the shift's).");
        if (layer.Folded is not null)
        {
            NetworkLayer conv = spec.Layers[layer.Inputs[0]];
            yield return new("FoldedWeight", Invariant($"{ConvLayer.Instance.WeightLength(conv)}"), $"The weights of <c>{conv.Name}</c> with <c>{layer.Name}</c> folded in, for inference.", Inference: true);
            yield return new("FoldedBias", Invariant($"{channels}"), $"The bias of <c>{conv.Name}</c> with <c>{layer.Name}</c> folded in, for inference.", Inference: true);
        }
    }

    /// <summary>The training form: normalised with the batch's statistics, which it keeps with x̂ for the backward pass.</summary>
    public override string Forward(NetworkCalls c, NetworkLayer layer, string target)
    {
        string Buffer(string name) => c.Start($"buffers.{layer.Name}{name}");
        return $"{c.Kernels}.{layer.Name}TrainingForward({c.Sources(layer)}, {c.Start($"{layer.Owner}Weight.Values")}, {c.Start($"{layer.Owner}Bias.Values")}, {Buffer("Normalized")}, {Buffer("Mean")}, {Buffer("Variance")}, {c.Start(target)}, batch);";
    }

    /// <summary>
    /// The inference form, on the running statistics: its own kernel, or, when it folds into the convolution it reads
    /// (<paramref name="conv"/>), the convolution's weights and bias scaled into the workspace and its folded kernel run.
    /// </summary>
    public static void WriteInference(CodeWriter w, NetworkCalls c, NetworkLayer layer, NetworkLayer? conv)
    {
        string owner = layer.Owner;
        if (conv is null)
        {
            w.Line($"{layer.Spec.Method.Name}({c.Read(layer.Inputs[0])}, {owner}Weight.Values, {owner}Bias.Values, {owner}RunningMean.Values, {owner}RunningVar.Values, {NetworkCalls.Written(layer, c.Output(layer))}, batch);");
            return;
        }

        w.Line($"// {conv.Name} with {layer.Name} folded in: its weights and bias scaled by each channel's scale / √(running_var + ε).");
        w.Line($"{c.Kernels}.{layer.Name}Fold({c.Start($"{conv.Owner}Weight.Values")}, {(conv.HasBias ? c.Start($"{conv.Owner}Bias.Values") + ", " : "")}{c.Start($"{owner}Weight.Values")}, {c.Start($"{owner}Bias.Values")}, {c.Start($"{owner}RunningMean.Values")}, {c.Start($"{owner}RunningVar.Values")}, {c.Start($"buffers.{layer.Name}FoldedWeight")}, {c.Start($"buffers.{layer.Name}FoldedBias")});");
        string weights = $"buffers.{layer.Name}FoldedWeight";
        string Call(string packed) =>
            $"{layer.Folded!.Method.Name}({c.Read(conv.Inputs[0])}, {packed}, buffers.{layer.Name}FoldedBias, {NetworkCalls.Written(layer, c.Output(layer))}, batch{c.Threads});";
        if (NetworkPacked.Inference(c.Spec, layer) is { } packed)
        {
            ConvLayer.WritePacked(w, layer, packed, weights, $"FoldedVersion({conv.Owner}Weight, {owner}Weight, {owner}RunningVar)", Call);
        }
        else
        {
            w.Line(Call(weights));
        }
    }

    /// <summary>The sums of dY·x̂ and dY per channel: the scale's and shift's gradients, which the input's gradient also needs.</summary>
    public override void WriteParameterGradients(CodeWriter w, NetworkCalls c, NetworkLayer layer, bool accumulate)
    {
        int channels = ((BatchNormSpec)layer.Spec).Channels, index = c.ParameterIndex(layer);
        w.Line($"{c.Kernels}.{layer.Name}StatisticsGradient({c.Start($"buffers.{layer.Name}Normalized")}, {c.Start($"buffers.{layer.Name}Gradient")}, {c.Start($"buffers.{layer.Name}Sums")}, batch);");
        foreach ((string parameter, int slot, int offset) in new[] { ("Weight", index, 0), ("Bias", index + 1, channels) })
        {
            using (w.Block($"if (!{layer.Name}{parameter}.Frozen)"))
            {
                w.Line(Invariant($"new {NetworkCalls.ReadOnlySpan}(buffers.{layer.Name}Sums, {offset}, {channels}).CopyTo(buffers.Gradients[{slot}]);"));
            }
        }
    }

    protected override string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput)
    {
        string Buffer(string name) => c.Start($"buffers.{layer.Name}{name}");
        return $"{c.Kernels}.{layer.Name}InputGradient({Buffer("Normalized")}, {Buffer("Gradient")}, {c.Start($"{layer.Name}Weight.Values")}, {Buffer("Variance")}, {Buffer("Sums")}, {gradInput}, batch);";
    }

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer)
    {
        var kernels = new Kernels(w, paths);
        w.Line();
        kernels.BatchNormTraining(layer, (BatchNormSpec)layer.Spec);
        if (layer.Folded is not null)
        {
            w.Line();
            kernels.BatchNormFold(layer.Name, (BatchNormSpec)layer.Spec, spec.Layers[layer.Inputs[0]]);
        }
    }

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        /// <summary>
        /// A batch norm in training: its forward pass with the batch's statistics, and the two halves of its backward pass.
        /// Statistics are sums of float vectors over each plane, added up in double across planes.
        /// </summary>
        public void BatchNormTraining(NetworkLayer layer, BatchNormSpec s)
        {
            string name = layer.Name, eps = Invariant($"{s.Epsilon.ToString("R", CultureInfo.InvariantCulture)}f");
            int c = s.Channels, plane = s.Plane;
            string planeAt(string reference) => At(reference, Invariant($"((n * {c}) + c) * {plane}"));
            ActivationSpec act = layer.KeepsPreActivation ? ActivationSpec.None : s.Activation;
            Doc(w, Invariant($"<c>{name}</c> in training: each channel's mean and variance over the batch's {plane} values per sample, x̂ = (x − mean) / √(variance + ε) kept, y = scale · x̂ + shift{(act.IsNone ? "" : $", then {act}")}."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}TrainingForward(ref float input, ref float scale, ref float shift, ref float normalized, ref float mean, ref float variance, ref float output, int batch)"))
            {
                w.Line(Invariant($"double count = (double)batch * {plane};"));
                using (w.Block(Invariant($"for (int c = 0; c < {c}; c++)")))
                {
                    w.Line("double sum = 0, squares = 0;");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line(Invariant($"sum += PlaneSum(ref {planeAt("input")}, {plane});"));
                    }

                    w.Line();
                    w.Line("float mu = (float)(sum / count);");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line(Invariant($"squares += PlaneDeviation(ref {planeAt("input")}, {plane}, mu);"));
                    }

                    w.Line();
                    w.Line($"{At("mean", "c")} = mu;");
                    w.Line($"{At("variance", "c")} = (float)(squares / count);");
                    w.Line($"float inverse = (float)(1 / KgMath.Sqrt((squares / count) + {eps}));");
                    w.Line($"float gamma = {At("scale", "c")}, beta = {At("shift", "c")};");
                    w.Line();
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line($"ref float x = ref {planeAt("input")}, xh = ref {planeAt("normalized")}, y = ref {planeAt("output")};");
                        w.Line("int i = 0;");
                        VectorPaths(plane, v =>
                        {
                            w.Line($"{v.Type} m = {v.Broadcast("mu")}, k = {v.Broadcast("inverse")}, g = {v.Broadcast("gamma")}, b = {v.Broadcast("beta")};");
                            ConstantVectorLoop(v, plane, () =>
                            {
                                w.Line($"{v.Type} h = ({v.Load("x", "i")} - m) * k;");
                                w.Line(v.Store("h", "xh", "i"));
                                w.Line($"{v.Type} value = (g * h) + b;");
                                w.Line(v.Store(act.Vectorised ? ActivationText.Apply(v, act, "value") : "value", "y", "i"));
                            });
                        });

                        using (w.Block(Invariant($"for (; i < {plane}; i++)")))
                        {
                            w.Line($"float h = ({At("x", "i")} - mu) * inverse;");
                            w.Line($"{At("xh", "i")} = h;");
                            w.Line($"float value = (gamma * h) + beta;");
                            w.Line($"{At("y", "i")} = {(act.Vectorised ? ActivationText.Apply(act, "value") : "value")};");
                        }
                    }
                }

                if (!act.Vectorised)
                {
                    using (w.Block(Invariant($"for (int j = 0; j < batch * {s.Length}; j++)")))
                    {
                        w.Line($"{At("output", "j")} = {ActivationText.Apply(act, At("output", "j"))};");
                    }
                }
            }

            w.Line();
            Doc(w, Invariant($"<c>{name}</c>'s parameter gradients, per channel: Σ dY · x̂ (the scale's) into <c>sums[c]</c>, Σ dY (the shift's) into <c>sums[{c} + c]</c>."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}StatisticsGradient(ref float normalized, ref float gradOutput, ref float sums, int batch)"))
            using (w.Block(Invariant($"for (int c = 0; c < {c}; c++)")))
            {
                w.Line("double scale = 0, shift = 0;");
                using (w.Block("for (int n = 0; n < batch; n++)"))
                {
                    w.Line($"ref float g = ref {planeAt("gradOutput")};");
                    w.Line(Invariant($"shift += PlaneSum(ref g, {plane});"));
                    w.Line(Invariant($"scale += PlaneDot(ref g, ref {planeAt("normalized")}, {plane});"));
                }

                w.Line();
                w.Line($"{At("sums", "c")} = (float)scale;");
                w.Line($"{At("sums", Invariant($"{c} + c"))} = (float)shift;");
            }

            w.Line();
            Doc(w, Invariant($"<c>{name}</c>'s input gradient through the batch statistics: dX = scale / √(variance + ε) · (dY − mean(dY) − x̂ · mean(dY · x̂)), per channel."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}InputGradient(ref float normalized, ref float gradOutput, ref float scale, ref float variance, ref float sums, ref float gradInput, int batch)"))
            {
                w.Line(Invariant($"double count = (double)batch * {plane};"));
                using (w.Block(Invariant($"for (int c = 0; c < {c}; c++)")))
                {
                    w.Line($"float k = (float)({At("scale", "c")} / KgMath.Sqrt((double){At("variance", "c")} + {eps}));");
                    w.Line($"float a = (float)({At("sums", Invariant($"{c} + c"))} / count), b = (float)({At("sums", "c")} / count);");
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line($"ref float g = ref {planeAt("gradOutput")}, xh = ref {planeAt("normalized")}, dx = ref {planeAt("gradInput")};");
                        w.Line("int i = 0;");
                        VectorPaths(plane, v =>
                        {
                            w.Line($"{v.Type} kv = {v.Broadcast("k")}, av = {v.Broadcast("a")}, bv = {v.Broadcast("b")};");
                            ConstantVectorLoop(v, plane, () => w.Line(v.Store($"kv * ({v.Load("g", "i")} - av - ({v.Load("xh", "i")} * bv))", "dx", "i")));
                        });

                        using (w.Block(Invariant($"for (; i < {plane}; i++)")))
                        {
                            w.Line($"{At("dx", "i")} = k * ({At("g", "i")} - a - ({At("xh", "i")} * b));");
                        }
                    }
                }
            }
        }

        /// <summary>
        /// A batch norm folded into the convolution before it, for inference: each output channel's weights times
        /// <c>scale / √(running_var + ε)</c>, and its bias <c>(b − running_mean) · that + shift</c>.
        /// </summary>
        public void BatchNormFold(string name, BatchNormSpec s, NetworkLayer conv)
        {
            int perChannel = conv.Kind.WeightShape(conv).Shape.Skip(1).Aggregate(1, (a, b) => a * b);
            string eps = Invariant($"{s.Epsilon.ToString("R", CultureInfo.InvariantCulture)}f");
            Doc(w, Invariant($"<c>{conv.Name}</c>'s weights and bias with <c>{name}</c> folded in, from the running statistics: {perChannel} weights per output channel."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {name}Fold(ref float weights, {(conv.HasBias ? "ref float bias, " : "")}ref float scale, ref float shift, ref float mean, ref float variance, ref float foldedWeights, ref float foldedBias)"))
            using (w.Block(Invariant($"for (int o = 0; o < {s.Channels}; o++)")))
            {
                w.Line($"double factor = {At("scale", "o")} / KgMath.Sqrt((double){At("variance", "o")} + {eps});");
                w.Line(conv.HasBias
                    ? $"{At("foldedBias", "o")} = (float)((((double){At("bias", "o")} - {At("mean", "o")}) * factor) + {At("shift", "o")});"
                    : $"{At("foldedBias", "o")} = (float)({At("shift", "o")} - ({At("mean", "o")} * factor));");
                w.Line("float f = (float)factor;");
                w.Line(Invariant($"ref float from = ref {At("weights", $"o * {perChannel}")}, to = ref {At("foldedWeights", $"o * {perChannel}")};"));
                w.Line("int i = 0;");
                VectorPaths(perChannel, v =>
                {
                    w.Line($"{v.Type} fv = {v.Broadcast("f")};");
                    ConstantVectorLoop(v, perChannel, () => w.Line(v.Store($"{v.Load("from", "i")} * fv", "to", "i")));
                });

                using (w.Block(Invariant($"for (; i < {perChannel}; i++)")))
                {
                    w.Line($"{At("to", "i")} = {At("from", "i")} * f;");
                }
            }
        }
    }
}
