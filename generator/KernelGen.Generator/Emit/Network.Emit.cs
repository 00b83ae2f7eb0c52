using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes a <c>[Network]</c> class: one forward kernel file per layer (by the layers' own emitters), and the
/// network file — parameters, workspace buffers, <c>Forward</c>, <c>Predict</c>, <c>ForwardBackward</c> with
/// the backward kernels (<see cref="BackwardEmitter"/>), <c>Save</c> and <c>Load</c>.
/// </summary>
internal static class NetworkEmitter
{
    private const string Training = "global::KernelGen.Training";
    private const string Span = "global::System.Span<float>";
    private const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    private static readonly string Version = typeof(NetworkEmitter).Assembly.GetName().Version?.ToString() ?? "1.0.0.0";

    /// <summary>Every file of the network: (hint name, source): each kernel of the plan, by its layer kind's emitter, then the network's.</summary>
    public static IEnumerable<(string Hint, string Source)> Emit(NetworkPlan plan)
    {
        foreach (KernelPlan kernel in plan.Kernels)
        {
            yield return (kernel.Plan.Method.HintName, kernel.Plan switch
            {
                ConvPlan conv => ConvEmitter.Emit(conv),
                PoolPlan pool => PoolEmitter.Emit(pool),
                GlobalPoolPlan global => GlobalPoolEmitter.Emit(global),
                BatchNormPlan norm => BatchNormEmitter.Emit(norm),
                _ => throw new System.InvalidOperationException($"No emitter for {kernel.Plan.GetType().Name}."),
            });
        }

        yield return (plan.Spec.HintName, Network(plan.Spec, plan.Paths));
    }

    private static string Network(NetworkSpec spec, IReadOnlyList<SimdPath> paths)
    {
        var w = new CodeWriter();
        string backward = $"{string.Concat(spec.Types.Select(t => t.Name))}Kernels".Replace("@", "");
        using (Namespace(w, spec.Namespace, spec.Types, (type, network) =>
        {
            if (network)
            {
                w.Line($"/// <summary>{Summary(spec)}</summary>");
            }

            return $"partial {type.Keyword} {type.Name}{(network ? $" : {Training}.INetwork" : "")}";
        }))
        {
            WriteMembers(w, spec, backward);
        }

        w.Line();
        w.Line($"/// <summary>The kernels of <c>{spec.Name}</c> that run across the batch: dense layers forward, and every backward kernel, each specialised to its layer's shape.</summary>");
        using (w.Block($"file static class {backward}"))
        {
            BackwardEmitter.Write(w, spec, paths);
            WriteHelpers(w, paths);
        }

        return WithHeader(w.ToString(), "Edit the attributes, not this file.");
    }

    private static string Summary(NetworkSpec spec) =>
        Invariant($"A network of {spec.Layers.Count} layers from {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth} inputs to {spec.OutputLength} outputs: ")
        + string.Join(", ", spec.Layers.Select(l => Invariant($"{l.Name} ({Kind(l)}, {Shape(l)})"))) + ".";

    private static string Kind(NetworkLayer layer) => layer.Spec switch
    {
        ConvSpec c => Invariant($"{c.KernelHeight}×{c.KernelWidth} convolution{(c.Activation.IsNone ? "" : ", " + c.Activation)}"),
        PoolSpec p => Invariant($"{p.KernelHeight}×{p.KernelWidth} {(p.Kind == PoolKind.Max ? "max" : "average")} pool"),
        GlobalPoolSpec g => g.Kind == PoolKind.Max ? "global max pool" : "global average pool",
        DenseSpec d => "dense" + (d.Activation.IsNone ? "" : ", " + d.Activation),
        AddSpec a => Invariant($"sum of {layer.Inputs.Count} tensors{(layer.Activation.IsNone ? "" : ", " + layer.Activation)}"),
        ConcatSpec c => Invariant($"{c.Channels.Count} tensors joined along channels"),
        BatchNormSpec b => "batch norm" + (b.Activation.IsNone ? "" : ", " + b.Activation) + (layer.Folded is null ? "" : ", folded into the convolution before it for inference"),
        _ => "layer",
    };

    private static string Shape(NetworkLayer layer) =>
        layer.OutHeight == 1 && layer.OutWidth == 1 && layer.Kind is NetworkLayerKind.Dense or NetworkLayerKind.GlobalAvgPool or NetworkLayerKind.GlobalMaxPool
            ? Invariant($"{layer.OutChannels}")
            : Invariant($"{layer.OutChannels}×{layer.OutHeight}×{layer.OutWidth}");

    private static void WriteMembers(CodeWriter w, NetworkSpec spec, string backward)
    {
        string generated = $"[global::System.CodeDom.Compiler.GeneratedCode(\"KernelGen.Generator\", \"{Version}\")]";
        NetworkLayer last = spec.Layers[spec.Layers.Count - 1];
        w.Line(Invariant($"/// <summary>Floats in one input sample: {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth}, NCHW.</summary>"));
        w.Line(Invariant($"public const int InputSize = {spec.InputLength};"));
        w.Line();
        w.Line(Invariant($"/// <summary>Floats in one output sample: the {spec.OutputLength} scores of <c>{last.Name}</c>.</summary>"));
        w.Line(Invariant($"public const int OutputSize = {spec.OutputLength};"));
        w.Line();
        w.Line($"private readonly {Training}.Parameter[] _parameters;");
        w.Line("private readonly Workspace _workspace;");
        w.Line();

        // Constructor.
        w.Line("/// <summary>");
        w.Line(spec.HeForRelu
            ? "/// Creates the network with parameters drawn from <c>new Random(seed)</c> (He uniform for layers followed by ReLU,"
            : "/// Creates the network with parameters drawn from <c>new Random(seed)</c> (Glorot uniform weights,");
        w.Line(spec.HeForRelu
            ? "/// Glorot uniform for the others, biases zero), and buffers for <see cref=\"Forward(global::System.ReadOnlySpan{float}, global::System.Span{float}, int)\"/> and"
            : "/// biases zero), and buffers for <see cref=\"Forward(global::System.ReadOnlySpan{float}, global::System.Span{float}, int)\"/> and");
        w.Line("/// <see cref=\"Predict(global::System.ReadOnlySpan{float})\"/> that hold <paramref name=\"maxBatch\"/> samples at a time.");
        w.Line("/// </summary>");
        w.Line(generated);
        using (w.Block($"public {spec.Name}(int seed = 0, int maxBatch = 64)"))
        {
            w.Line("global::System.ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);");
            foreach (NetworkLayer layer in spec.Layers.Where(l => l.OwnsParameters))
            {
                foreach (ParameterTensor t in Tensors(layer, He(spec, layer)))
                {
                    string shape = string.Join(", ", t.Shape);
                    w.Line(t.Buffer
                        ? Invariant($"{layer.Name}{t.Member} = {Training}.Parameter.Buffer(\"{layer.Prefix}.{t.Suffix}\", new[] {{ {shape} }}, {Training}.Initialization.{t.Initialization});")
                        : Invariant($"{layer.Name}{t.Member} = new {Training}.Parameter(\"{layer.Prefix}.{t.Suffix}\", new[] {{ {shape} }}, {Training}.Initialization.{t.Initialization}, {t.FanIn}, {t.FanOut});"));
                }
            }

            // In the order the layers run; a long list one layer to a line.
            string[] owned = [.. spec.Layers.Where(l => l.OwnsParameters).Select(l => string.Join(", ", Tensors(l, false).Select(t => l.Name + t.Member)))];
            string list = string.Join(", ", owned);
            if (list.Length <= 100)
            {
                w.Line($"_parameters = new[] {{ {list} }};");
            }
            else
            {
                w.Line("_parameters = new[]");
                w.Line("{");
                foreach (string layer in owned)
                {
                    w.Line($"    {layer},");
                }

                w.Line("};");
            }

            w.Line("InitializeParameters(seed);");
            w.Line("_workspace = new Workspace(this, maxBatch);");
        }

        w.Line();
        foreach (NetworkLayer layer in spec.Layers.Where(l => l.OwnsParameters))
        {
            foreach (ParameterTensor t in Tensors(layer, He(spec, layer)))
            {
                w.Line(Invariant($"/// <summary>{t.Description} of <c>{layer.Name}</c>, [{string.Join(", ", t.Shape)}]{t.Layout}, saved as <c>{layer.Prefix}.{t.Suffix}</c>.</summary>"));
                w.Line($"public {Training}.Parameter {layer.Name}{t.Member} {{ get; }}");
                w.Line();
            }
        }

        w.Line("/// <inheritdoc/>");
        w.Line($"public global::System.Collections.Generic.IReadOnlyList<{Training}.Parameter> Parameters => _parameters;");
        w.Line();
        w.Line($"int {Training}.INetwork.InputLength => InputSize;");
        w.Line();
        w.Line($"int {Training}.INetwork.OutputLength => OutputSize;");
        w.Line();

        w.Line("/// <summary>Draws every parameter anew from <c>new Random(seed)</c>, in layer order, as the constructor does.</summary>");
        w.Line(generated);
        using (w.Block("public void InitializeParameters(int seed)"))
        {
            w.Line("var random = new global::System.Random(seed);");
            using (w.Block($"foreach ({Training}.Parameter parameter in _parameters)"))
            {
                w.Line("parameter.Initialize(random);");
            }
        }

        w.Line();
        w.Line("/// <summary>Runs the network on <paramref name=\"batch\"/> samples with its own buffers (so not from two threads at once), writing <see cref=\"OutputSize\"/> scores per sample.</summary>");
        w.Line(generated);
        w.Line($"public void Forward({ReadOnlySpan} input, {Span} logits, int batch = 1) => Forward(_workspace, input, logits, batch);");
        w.Line();
        w.Line("/// <summary>The class with the highest score for one sample (the first, on a tie); uses the network's own buffers, as <c>Forward</c> does.</summary>");
        w.Line(generated);
        using (w.Block($"public int Predict({ReadOnlySpan} image)"))
        {
            w.Line($"{Arguments}.Length(image.Length, InputSize, nameof(image));");
            w.Line($"RunForward(_workspace, image, 1{Inference(spec)});");
            w.Line($"return ArgMax(new {ReadOnlySpan}(_workspace.{last.Name}Output, 0, OutputSize));");
        }

        w.Line();
        w.Line("/// <summary>The class with the highest score for each of <paramref name=\"batch\"/> samples; uses the network's own buffers, as <c>Forward</c> does.</summary>");
        w.Line(generated);
        using (w.Block($"public void Predict({ReadOnlySpan} images, global::System.Span<int> classes, int batch)"))
        {
            w.Line($"{Arguments}.Batch(batch);");
            w.Line($"{Arguments}.Length(images.Length, batch, InputSize, nameof(images));");
            w.Line($"{Arguments}.Length(classes.Length, batch, 1, nameof(classes));");
            using (w.Block("for (int first = 0; first < batch; first += _workspace.MaxBatch)"))
            {
                w.Line("int count = global::System.Math.Min(_workspace.MaxBatch, batch - first);");
                w.Line($"RunForward(_workspace, images.Slice(first * InputSize, count * InputSize), count{Inference(spec)});");
                using (w.Block("for (int n = 0; n < count; n++)"))
                {
                    w.Line($"classes[first + n] = ArgMax(new {ReadOnlySpan}(_workspace.{last.Name}Output, n * OutputSize, OutputSize));");
                }
            }
        }

        w.Line();
        w.Line("/// <summary>Writes every parameter to a safetensors file, under its name (<c>Layer.weight</c>, <c>Layer.bias</c>) and in PyTorch's layout.</summary>");
        w.Line(generated);
        w.Line($"public void Save(string path) => {Training}.ParameterFile.Save(path, _parameters);");
        w.Line();
        w.Line("/// <summary>Reads every parameter from a safetensors file; a missing tensor or a wrong shape throws, naming the tensor, and changes nothing.</summary>");
        w.Line(generated);
        w.Line($"public void Load(string path) => {Training}.ParameterFile.Load(path, _parameters);");
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line(generated);
        w.Line($"public {Training}.NetworkWorkspace CreateWorkspace(int maxBatch) => new Workspace(this, maxBatch);");
        w.Line();

        if (spec.Normalizes)
        {
            WriteRunningStatistics(w, spec, generated);
        }

        // Forward with a workspace.
        w.Line("/// <inheritdoc/>");
        w.Line(generated);
        using (w.Block($"public void Forward({Training}.NetworkWorkspace workspace, {ReadOnlySpan} input, {Span} logits, int batch)"))
        {
            w.Line("Workspace buffers = Workspace.Of(workspace, this);");
            w.Line($"{Arguments}.Batch(batch);");
            w.Line($"{Arguments}.Length(input.Length, batch, InputSize, nameof(input));");
            w.Line($"{Arguments}.Length(logits.Length, batch, OutputSize, nameof(logits));");
            using (w.Block("for (int first = 0; first < batch; first += buffers.MaxBatch)"))
            {
                w.Line("int count = global::System.Math.Min(buffers.MaxBatch, batch - first);");
                w.Line($"RunForward(buffers, input.Slice(first * InputSize, count * InputSize), count{Inference(spec)});");
                w.Line($"new {ReadOnlySpan}(buffers.{last.Name}Output, 0, count * OutputSize).CopyTo(logits.Slice(first * OutputSize));");
            }
        }

        w.Line();
        WriteForwardBackward(w, spec, backward, generated);
        w.Line();

        WriteRunForward(w, spec, backward);
        w.Line();
        using (w.Block($"private static int ArgMax({ReadOnlySpan} scores)"))
        {
            if (spec.Loss == LossKind.BinaryCrossEntropy && spec.OutputLength == 1)
            {
                w.Line("// One sigmoid output: class 1 where its probability is above one half.");
                w.Line("return scores[0] > 0.5f ? 1 : 0;");
            }
            else
            {
                w.Line("int best = 0;");
                using (w.Block("for (int k = 1; k < scores.Length; k++)"))
                {
                    using (w.Block("if (scores[k] > scores[best])"))
                    {
                        w.Line("best = k;");
                    }
                }

                w.Line("return best;");
            }
        }

        w.Line();
        foreach (NetworkLayer layer in spec.Layers.Where(l => l.HasKernelFile))
        {
            w.Line(layer.Kind == NetworkLayerKind.BatchNorm
                ? $"private static partial void {layer.Spec.Method.Name}({ReadOnlySpan} input, {ReadOnlySpan} scale, {ReadOnlySpan} shift, {ReadOnlySpan} mean, {ReadOnlySpan} variance, {Span} output, int batch);"
                : layer.HasWeights
                ? $"private static partial void {layer.Spec.Method.Name}({ReadOnlySpan} input, {ReadOnlySpan} weights, {(layer.HasBias ? $"{ReadOnlySpan} bias, " : "")}{Span} output, int batch);"
                : $"private static partial void {layer.Spec.Method.Name}({ReadOnlySpan} input, {Span} output, int batch);");
            w.Line();
        }

        foreach (ConvSpec folded in spec.Layers.Select(l => l.Folded).OfType<ConvSpec>())
        {
            w.Line($"private static partial void {folded.Method.Name}({ReadOnlySpan} input, {ReadOnlySpan} weights, {ReadOnlySpan} bias, {Span} output, int batch);");
            w.Line();
        }

        foreach (ConvSpec gradient in spec.Layers.Select(l => l.InputGradient).OfType<ConvSpec>())
        {
            w.Line($"private static partial void {gradient.Method.Name}({ReadOnlySpan} gradOutput, {ReadOnlySpan} weights, {Span} gradInput, int batch);");
            w.Line();
        }

        WriteWorkspace(w, spec, generated);
    }

    /// <summary>
    /// <c>RunForward</c>: the layers' forward kernels back to back into the workspace's buffers. With batch norms it takes
    /// <c>training</c>: batch statistics (training) or the running ones, folded into the convolution before where there is one.
    /// </summary>
    private static void WriteRunForward(CodeWriter w, NetworkSpec spec, string backward)
    {
        w.Line(spec.Normalizes
            ? "/// <summary>Runs the layers' forward kernels back to back into the workspace's buffers; batch norms use the batch's statistics when <paramref name=\"training\"/>, the running ones otherwise.</summary>"
            : "/// <summary>Runs the layers' forward kernels back to back into the workspace's buffers.</summary>");
        using (w.Block($"private void RunForward(Workspace buffers, {ReadOnlySpan} input, int batch{(spec.Normalizes ? ", bool training" : "")})"))
        {
            string Start(string array) => $"ref {backward}.Start({array})";
            string Read(int index) => index < 0 ? "input" : Invariant($"new {ReadOnlySpan}(buffers.{spec.Layers[index].Name}Output, 0, batch * {spec.Layers[index].OutputLength})");
            string Output(NetworkLayer layer, string buffer) => Invariant($"new {Span}(buffers.{layer.Name}{buffer}, 0, batch * {layer.OutputLength})");

            // One layer's kernel; a layer that keeps its pre-activation stores it, then applies its activation into the output.
            void Run(NetworkLayer layer)
            {
                string target = layer.KeepsPreActivation ? "PreActivation" : "Output";
                string sources = string.Join(", ", layer.Inputs.Select(k => Start(Tensor(spec, k))));
                string owner = layer.Owner;
                w.Line(layer.Kind switch
                {
                    NetworkLayerKind.Dense => $"{backward}.{layer.Name}Forward({sources}, {Start($"{owner}Weight.Values")}, {(layer.HasBias ? $"{Start($"{owner}Bias.Values")}, " : "")}{Start($"buffers.{layer.Name}{target}")}, batch);",
                    NetworkLayerKind.Add or NetworkLayerKind.Concat => $"{backward}.{layer.Name}Forward({sources}, {Start($"buffers.{layer.Name}{target}")}, batch);",
                    NetworkLayerKind.BatchNorm => $"{backward}.{layer.Name}TrainingForward({sources}, {Start($"{owner}Weight.Values")}, {Start($"{owner}Bias.Values")}, {Start($"buffers.{layer.Name}Normalized")}, {Start($"buffers.{layer.Name}Mean")}, {Start($"buffers.{layer.Name}Variance")}, {Start($"buffers.{layer.Name}{target}")}, batch);",
                    _ when layer.HasWeights => $"{layer.Spec.Method.Name}({Read(layer.Inputs[0])}, {owner}Weight.Values, {(layer.HasBias ? $"{owner}Bias.Values, " : "")}{Output(layer, target)}, batch);",
                    _ => $"{layer.Spec.Method.Name}({Read(layer.Inputs[0])}, {Output(layer, target)}, batch);",
                });
                if (layer.KeepsPreActivation)
                {
                    w.Line(Invariant($"{backward}.{layer.Activation.Kind}Forward({Start($"buffers.{layer.Name}PreActivation")}, {Start($"buffers.{layer.Name}Output")}, batch * {layer.OutputLength}{layer.Activation.SlopeArgument});"));
                }
            }

            foreach (NetworkLayer layer in spec.Layers)
            {
                if (spec.Layers.Any(l => l.Folded is not null && spec.Layers[l.Inputs[0]] == layer))
                {
                    continue; // A convolution a batch norm folds into runs with that batch norm, below.
                }

                if (layer.Spec is not BatchNormSpec)
                {
                    Run(layer);
                    continue;
                }

                NetworkLayer? conv = layer.Folded is null ? null : spec.Layers[layer.Inputs[0]];
                using (w.Block("if (training)"))
                {
                    if (conv is not null)
                    {
                        Run(conv);
                    }

                    Run(layer);
                }

                using (w.Block("else"))
                {
                    string owner = layer.Owner;
                    if (conv is not null)
                    {
                        w.Line($"// {conv.Name} with {layer.Name} folded in: its weights and bias scaled by each channel's scale / √(running_var + ε).");
                        w.Line($"{backward}.{layer.Name}Fold({Start($"{conv.Owner}Weight.Values")}, {(conv.HasBias ? Start($"{conv.Owner}Bias.Values") + ", " : "")}{Start($"{owner}Weight.Values")}, {Start($"{owner}Bias.Values")}, {Start($"{owner}RunningMean.Values")}, {Start($"{owner}RunningVar.Values")}, {Start($"buffers.{layer.Name}FoldedWeight")}, {Start($"buffers.{layer.Name}FoldedBias")});");
                        w.Line($"{layer.Folded!.Method.Name}({Read(conv.Inputs[0])}, buffers.{layer.Name}FoldedWeight, buffers.{layer.Name}FoldedBias, {Output(layer, "Output")}, batch);");
                    }
                    else
                    {
                        w.Line($"{layer.Spec.Method.Name}({Read(layer.Inputs[0])}, {owner}Weight.Values, {owner}Bias.Values, {owner}RunningMean.Values, {owner}RunningVar.Values, {Output(layer, "Output")}, batch);");
                    }
                }
            }
        }
    }

    private static void WriteForwardBackward(CodeWriter w, NetworkSpec spec, string backward, string generated)
    {
        NetworkLayer last = spec.Layers[spec.Layers.Count - 1];
        bool classes = spec.Loss == LossKind.SoftmaxCrossEntropy;
        w.Line("/// <inheritdoc/>");
        w.Line(generated);
        using (w.Block($"public float ForwardBackward({Training}.NetworkWorkspace workspace, {ReadOnlySpan} input, global::System.ReadOnlySpan<int> labels, {Span} logits, int batch, float gradientScale)"))
        {
            if (!classes)
            {
                w.Line(Invariant($"throw new global::System.NotSupportedException(\"{spec.Name.TrimStart('@')} is trained with {spec.Loss}: pass float targets, one per output.\");"));
            }
            else
            {
                w.Line("Workspace buffers = Workspace.Of(workspace, this);");
                w.Line("buffers.Check(batch);");
                w.Line($"{Arguments}.Length(input.Length, batch, InputSize, nameof(input));");
                w.Line($"{Arguments}.Length(labels.Length, batch, 1, nameof(labels));");
                w.Line($"{Arguments}.Length(logits.Length, batch, OutputSize, nameof(logits));");
                using (w.Block("foreach (int label in labels)"))
                {
                    using (w.Block("if ((uint)label >= OutputSize)"))
                    {
                        w.Line("throw new global::System.ArgumentOutOfRangeException(nameof(labels), label, \"A label must be a class index from 0 to \" + (OutputSize - 1) + \".\");");
                    }
                }

                w.Line();
                TrainingForward(w, spec);
                w.Line($"new {ReadOnlySpan}(buffers.{last.Name}Output, 0, batch * OutputSize).CopyTo(logits);");
                w.Line();
                w.Line("// The loss and its gradient with respect to the last layer's output.");
                w.Line($"float loss = {backward}.SoftmaxCrossEntropy(ref {backward}.Start(buffers.{last.Name}Output), ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(labels), ref {backward}.Start(buffers.{last.Name}Gradient), batch, gradientScale);");
                w.Line("Backward(buffers, input, batch);");
                w.Line("return loss;");
            }
        }

        if (!classes)
        {
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line(generated);
            w.Line($"global::KernelGen.Loss {Training}.INetwork.Loss => global::KernelGen.Loss.{spec.Loss};");
            w.Line();
            w.Line("/// <inheritdoc/>");
            w.Line(generated);
            using (w.Block($"public float ForwardBackward({Training}.NetworkWorkspace workspace, {ReadOnlySpan} input, {ReadOnlySpan} targets, {Span} outputs, int batch, float gradientScale)"))
            {
                w.Line("Workspace buffers = Workspace.Of(workspace, this);");
                w.Line("buffers.Check(batch);");
                w.Line($"{Arguments}.Length(input.Length, batch, InputSize, nameof(input));");
                w.Line($"{Arguments}.Length(targets.Length, batch, OutputSize, nameof(targets));");
                w.Line($"{Arguments}.Length(outputs.Length, batch, OutputSize, nameof(outputs));");
                w.Line();
                TrainingForward(w, spec);
                w.Line($"new {ReadOnlySpan}(buffers.{last.Name}Output, 0, batch * OutputSize).CopyTo(outputs);");
                w.Line();
                string from = spec.Loss == LossKind.BinaryCrossEntropy && last.KeepsPreActivation ? "PreActivation" : "Output";
                w.Line(spec.Loss == LossKind.BinaryCrossEntropy
                    ? "// The loss from the last layer's pre-activation, and its gradient with respect to it (so the sigmoid's own derivative is not taken)."
                    : "// The loss and its gradient with respect to the last layer's output.");
                w.Line($"float loss = {backward}.{spec.Loss}(ref {backward}.Start(buffers.{last.Name}{from}), ref {backward}.Start(targets), ref {backward}.Start(buffers.{last.Name}Gradient), batch, gradientScale);");
                w.Line("Backward(buffers, input, batch);");
                w.Line("return loss;");
            }
        }

        w.Line();
        w.Line("/// <summary>The backward pass, from the gradient of the loss with respect to the last layer's output (or pre-activation) down.</summary>");
        using (w.Block($"private void Backward(Workspace buffers, {ReadOnlySpan} input, int batch)"))
        {
            w.Line("// Layers below the lowest one with a trainable parameter need no gradients at all.");
            w.Line("int lowest = LowestTrainable();");
            var written = new HashSet<int>();
            var sharedWritten = new HashSet<string>(System.StringComparer.Ordinal);
            for (int i = spec.Layers.Count - 1; i >= 0; i--)
            {
                NetworkLayer layer = spec.Layers[i];
                string inputRef = $"ref {backward}.Start({Tensor(spec, layer.Inputs[0])})";
                string gradOut = $"ref {backward}.Start(buffers.{layer.Name}Gradient)";
                w.Line();
                w.Line(Invariant($"// {layer.Name}: {Kind(layer)}."));
                using (w.Block(Invariant($"if (lowest <= {i})")))
                {
                    // With binary cross-entropy the loss's gradient is already with respect to the last layer's pre-activation.
                    if (!layer.Activation.IsNone && !(spec.Loss == LossKind.BinaryCrossEntropy && i == spec.Layers.Count - 1))
                    {
                        string slope = layer.Activation.SlopeArgument;
                        w.Line(layer.KeepsPreActivation
                            ? Invariant($"{backward}.{layer.Activation.Kind}InputBackward(ref {backward}.Start(buffers.{layer.Name}PreActivation), {gradOut}, batch * {layer.OutputLength}{slope});")
                            : Invariant($"{backward}.{layer.Activation.Kind}Backward(ref {backward}.Start(buffers.{layer.Name}Output), {gradOut}, batch * {layer.OutputLength}{slope});"));
                    }

                    if (layer.Spec is BatchNormSpec norm)
                    {
                        // The sums of dY·x̂ and dY per channel: the scale's and shift's gradients, which the input's gradient also needs.
                        int index = ParameterIndex(spec, layer);
                        w.Line($"{backward}.{layer.Name}StatisticsGradient(ref {backward}.Start(buffers.{layer.Name}Normalized), {gradOut}, ref {backward}.Start(buffers.{layer.Name}Sums), batch);");
                        foreach ((string parameter, int slot, int offset) in new[] { ("Weight", index, 0), ("Bias", index + 1, norm.Channels) })
                        {
                            using (w.Block($"if (!{layer.Name}{parameter}.Frozen)"))
                            {
                                w.Line(Invariant($"new {ReadOnlySpan}(buffers.{layer.Name}Sums, {offset}, {norm.Channels}).CopyTo(buffers.Gradients[{slot}]);"));
                            }
                        }
                    }
                    else if (layer.HasParameters)
                    {
                        // Layers that share parameters: the first here writes their gradients, the others add theirs in.
                        NetworkLayer owner = spec.Layers.First(l => l.Name == layer.Owner);
                        bool add = !sharedWritten.Add(owner.Name);
                        int index = ParameterIndex(spec, owner);
                        (string Parameter, string Kernel, int Index, int Length)[] gradients = owner.HasBias
                            ? [("Weight", "WeightGradient", index, WeightLength(owner)), ("Bias", "BiasGradient", index + 1, WeightShape(owner).Shape[0])]
                            : [("Weight", "WeightGradient", index, WeightLength(owner))];
                        foreach ((string parameter, string kernel, int slot, int length) in gradients)
                        {
                            using (w.Block($"if (!{owner.Name}{parameter}.Frozen)"))
                            {
                                string target = $"ref {backward}.Start(buffers.Gradients[{slot}])";
                                string arguments = kernel == "WeightGradient" ? $"{inputRef}, {gradOut}" : gradOut;
                                string columns = kernel == "WeightGradient" && layer.WeightGradientByProduct ? $", ref {backward}.Start(buffers.{layer.Name}Columns)" : "";
                                w.Line($"{backward}.{layer.Name}{kernel}({arguments}, {(add ? $"ref {backward}.Start(buffers.ParameterScratch)" : target)}{columns}, batch);");
                                if (add)
                                {
                                    w.Line(Invariant($"{backward}.Accumulate(ref {backward}.Start(buffers.ParameterScratch), {target}, {length});"));
                                }
                            }
                        }
                    }

                    // The gradient with respect to each tensor it reads: written by the tensor's last reader (the first here),
                    // added in by the others.
                    for (int k = 0; k < layer.Inputs.Count; k++)
                    {
                        int producer = layer.Inputs[k];
                        if (producer < 0)
                        {
                            continue;
                        }

                        NetworkLayer source = spec.Layers[producer];
                        bool add = written.Contains(producer);
                        written.Add(producer);
                        string target = $"ref {backward}.Start(buffers.{source.Name}Gradient)";
                        string length = Invariant($"batch * {source.OutputLength}");
                        using (w.Block(Invariant($"if (lowest <= {producer})")))
                        {
                            if (layer.Kind == NetworkLayerKind.Add)
                            {
                                w.Line(add
                                    ? $"{backward}.Accumulate({gradOut}, {target}, {length});"
                                    : $"new {ReadOnlySpan}(buffers.{layer.Name}Gradient, 0, {length}).CopyTo(buffers.{source.Name}Gradient);");
                                continue;
                            }

                            if (layer.Spec is ConcatSpec concat)
                            {
                                int offset = concat.Channels.Take(k).Sum() * concat.Plane;
                                w.Line(Invariant($"{backward}.Slice({gradOut}, {target}, batch, {offset}, {concat.Channels[k] * concat.Plane}, {layer.OutputLength}, {(add ? "true" : "false")});"));
                                continue;
                            }

                            string gradIn = add ? $"ref {backward}.Start(buffers.Scratch)" : target;
                            if (layer.InputGradient is { } gradient)
                            {
                                // dX is a forward convolution of dY with the weights transposed and rotated: the forward kernels' tiling.
                                w.Line($"{backward}.{layer.Name}TransposeWeights(ref {backward}.Start({layer.Owner}Weight.Values), ref {backward}.Start(buffers.{layer.Name}TransposedWeight));");
                                w.Line(Invariant($"{gradient.Method.Name}(new {ReadOnlySpan}(buffers.{layer.Name}Gradient, 0, batch * {layer.OutputLength}), buffers.{layer.Name}TransposedWeight, new {Span}({(add ? "buffers.Scratch" : $"buffers.{source.Name}Gradient")}, 0, {length}), batch);"));
                            }
                            else
                            {
                                w.Line(layer.Kind switch
                                {
                                    NetworkLayerKind.Conv when layer.WeightGradientByProduct => $"{backward}.{layer.Name}InputGradient({gradOut}, ref {backward}.Start({layer.Owner}Weight.Values), {gradIn}, ref {backward}.Start(buffers.{layer.Name}Columns), batch);",
                                    NetworkLayerKind.Conv or NetworkLayerKind.Dense => $"{backward}.{layer.Name}InputGradient({gradOut}, ref {backward}.Start({layer.Owner}Weight.Values), {gradIn}, batch);",
                                    NetworkLayerKind.MaxPool => $"{backward}.{layer.Name}InputGradient({inputRef}, ref {backward}.Start(buffers.{layer.Name}Output), {gradOut}, {gradIn}, batch);",
                                    NetworkLayerKind.GlobalMaxPool => $"{backward}.{layer.Name}InputGradient({inputRef}, {gradOut}, {gradIn}, batch);",
                                    NetworkLayerKind.BatchNorm => $"{backward}.{layer.Name}InputGradient(ref {backward}.Start(buffers.{layer.Name}Normalized), {gradOut}, ref {backward}.Start({layer.Name}Weight.Values), ref {backward}.Start(buffers.{layer.Name}Variance), ref {backward}.Start(buffers.{layer.Name}Sums), {gradIn}, batch);",
                                    _ => $"{backward}.{layer.Name}InputGradient({gradOut}, {gradIn}, batch);",
                                });
                            }

                            if (add)
                            {
                                w.Line($"{backward}.Accumulate(ref {backward}.Start(buffers.Scratch), {target}, {length});");
                            }
                        }
                    }
                }
            }

        }

        w.Line();
        w.Line("/// <summary>The index of the lowest layer with a parameter that is not frozen; the layer count when all are.</summary>");
        using (w.Block("private int LowestTrainable()"))
        {
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                NetworkLayer layer = spec.Layers[i];
                if (layer.HasParameters)
                {
                    using (w.Block(layer.HasBias ? $"if (!{layer.Owner}Weight.Frozen || !{layer.Owner}Bias.Frozen)" : $"if (!{layer.Owner}Weight.Frozen)"))
                    {
                        w.Line(Invariant($"return {i};"));
                    }
                }
            }

            w.Line(Invariant($"return {spec.Layers.Count};"));
        }
    }

    private static void WriteWorkspace(CodeWriter w, NetworkSpec spec, string generated)
    {
        w.Line($"/// <summary>One thread's buffers for <c>{spec.Name}</c>: each layer's output and the gradient with respect to it, for <see cref=\"{Training}.NetworkWorkspace.MaxBatch\"/> samples.</summary>");
        w.Line(generated);
        using (w.Block($"public sealed class Workspace : {Training}.NetworkWorkspace"))
        {
            w.Line($"private readonly {spec.Name} _network;");
            w.Line();
            using (w.Block($"internal Workspace({spec.Name} network, int maxBatch) : base(maxBatch, network._parameters)"))
            {
                w.Line("_network = network;");
                foreach (NetworkLayer layer in spec.Layers)
                {
                    w.Line(Invariant($"{layer.Name}Output = new float[checked(maxBatch * {layer.OutputLength})];"));
                    w.Line(Invariant($"{layer.Name}Gradient = new float[checked(maxBatch * {layer.OutputLength})];"));
                    if (layer.KeepsPreActivation)
                    {
                        w.Line(Invariant($"{layer.Name}PreActivation = new float[checked(maxBatch * {layer.OutputLength})];"));
                    }

                    if (layer.InputGradient is not null)
                    {
                        w.Line(Invariant($"{layer.Name}TransposedWeight = new float[{WeightLength(layer)}];"));
                    }

                    if (layer is { WeightGradientByProduct: true, Spec: ConvSpec unfolded })
                    {
                        int positions = unfolded.Geometry.OutputHeight * unfolded.Geometry.OutputWidth;
                        w.Line(Invariant($"{layer.Name}Columns = new float[{positions * ((unfolded.InChannels * unfolded.KernelHeight * unfolded.KernelWidth) + unfolded.OutChannels)}];"));
                    }

                    if (layer.Spec is BatchNormSpec norm)
                    {
                        w.Line(Invariant($"{layer.Name}Normalized = new float[checked(maxBatch * {layer.OutputLength})];"));
                        w.Line(Invariant($"{layer.Name}Mean = new float[{norm.Channels}];"));
                        w.Line(Invariant($"{layer.Name}Variance = new float[{norm.Channels}];"));
                        w.Line(Invariant($"{layer.Name}Sums = new float[{2 * norm.Channels}];"));
                        if (layer.Folded is not null)
                        {
                            w.Line(Invariant($"{layer.Name}FoldedWeight = new float[{WeightLength(spec.Layers[layer.Inputs[0]])}];"));
                            w.Line(Invariant($"{layer.Name}FoldedBias = new float[{norm.Channels}];"));
                        }
                    }
                }

                if (spec.SharesWeights)
                {
                    int largest = spec.Layers.Where(l => l.SharesWith is not null).Max(WeightLength);
                    w.Line(Invariant($"ParameterScratch = new float[{largest}];"));
                }

                if (spec.Branches)
                {
                    // Only a tensor read more than once has a share of its gradient added in through the scratch buffer.
                    int shared = spec.Layers.SelectMany(l => l.Inputs).Where(i => i >= 0).GroupBy(i => i).Where(g => g.Count() > 1).Select(g => spec.Layers[g.Key].OutputLength).DefaultIfEmpty(1).Max();
                    w.Line(Invariant($"Scratch = new float[checked(maxBatch * {shared})];"));
                }
            }

            foreach (NetworkLayer layer in spec.Layers)
            {
                w.Line();
                w.Line($"internal float[] {layer.Name}Output {{ get; }}");
                w.Line();
                w.Line($"internal float[] {layer.Name}Gradient {{ get; }}");
                if (layer.KeepsPreActivation)
                {
                    w.Line();
                    w.Line($"/// <summary><c>{layer.Name}</c>'s output before its {layer.Activation}, whose derivative is taken from it.</summary>");
                    w.Line($"internal float[] {layer.Name}PreActivation {{ get; }}");
                }

                if (layer.InputGradient is not null)
                {
                    w.Line();
                    w.Line($"/// <summary><c>{layer.Name}</c>'s weights with in and out channels swapped, for its input gradient.</summary>");
                    w.Line($"internal float[] {layer.Name}TransposedWeight {{ get; }}");
                }

                if (layer.WeightGradientByProduct)
                {
                    w.Line();
                    w.Line($"/// <summary>One sample of <c>{layer.Name}</c>'s input unfolded (a row per output position), then its output gradient transposed, for the weight gradient.</summary>");
                    w.Line($"internal float[] {layer.Name}Columns {{ get; }}");
                }

                if (layer.Spec is BatchNormSpec)
                {
                    w.Line();
                    w.Line($"/// <summary><c>{layer.Name}</c>'s input normalised with the training batch's statistics, x̂ = (x − mean) / √(variance + ε).</summary>");
                    w.Line($"internal float[] {layer.Name}Normalized {{ get; }}");
                    w.Line();
                    w.Line($"/// <summary>The training batch's mean per channel, as <c>{layer.Name}</c> normalised with it.</summary>");
                    w.Line($"internal float[] {layer.Name}Mean {{ get; }}");
                    w.Line();
                    w.Line($"/// <summary>The training batch's variance per channel (divided by the count, as the normalisation uses it).</summary>");
                    w.Line($"internal float[] {layer.Name}Variance {{ get; }}");
                    w.Line();
                    w.Line($"/// <summary>Per channel, Σ dY · x̂ (the scale's gradient), then Σ dY (the shift's).</summary>");
                    w.Line($"internal float[] {layer.Name}Sums {{ get; }}");
                    if (layer.Folded is not null)
                    {
                        w.Line();
                        w.Line($"/// <summary>The weights of <c>{spec.Layers[layer.Inputs[0]].Name}</c> with <c>{layer.Name}</c> folded in, for inference.</summary>");
                        w.Line($"internal float[] {layer.Name}FoldedWeight {{ get; }}");
                        w.Line();
                        w.Line($"/// <summary>The bias of <c>{spec.Layers[layer.Inputs[0]].Name}</c> with <c>{layer.Name}</c> folded in, for inference.</summary>");
                        w.Line($"internal float[] {layer.Name}FoldedBias {{ get; }}");
                    }
                }
            }

            if (spec.Normalizes)
            {
                w.Line();
                w.Line("/// <summary>The samples of the last training pass, whose batch statistics the buffers hold (0 before the first).</summary>");
                w.Line("internal int TrainingBatch { get; set; }");
            }

            if (spec.SharesWeights)
            {
                w.Line();
                w.Line("/// <summary>A second user's share of shared parameters' gradient, before it is added in.</summary>");
                w.Line("internal float[] ParameterScratch { get; }");
            }

            if (spec.Branches)
            {
                w.Line();
                w.Line("/// <summary>A second reader's share of a tensor's gradient, before it is added in.</summary>");
                w.Line("internal float[] Scratch { get; }");
            }

            w.Line();
            using (w.Block($"internal static Workspace Of({Training}.NetworkWorkspace workspace, {spec.Name} network)"))
            {
                w.Line("global::System.ArgumentNullException.ThrowIfNull(workspace);");
                w.Line("return workspace is Workspace own && ReferenceEquals(own._network, network) ? own");
                w.Line($"    : throw new global::System.ArgumentException(\"The workspace was not created by this {spec.Name.TrimStart('@')}'s CreateWorkspace.\", nameof(workspace));");
            }

            w.Line();
            w.Line("internal void Check(int batch) => CheckBatch(batch);");
        }
    }

    /// <summary>
    /// <c>UpdateRunningStatistics</c>: per batch norm and channel, the parts' means and variances combined into the whole
    /// batch's (Chan, Golub and LeVeque's pairwise update, in double, in the workspaces' order), then PyTorch's update with
    /// the unbiased variance.
    /// </summary>
    private static void WriteRunningStatistics(CodeWriter w, NetworkSpec spec, string generated)
    {
        w.Line("/// <inheritdoc/>");
        w.Line(generated);
        using (w.Block($"public void UpdateRunningStatistics(global::System.ReadOnlySpan<{Training}.NetworkWorkspace> workspaces)"))
        {
            foreach (NetworkLayer layer in spec.Layers.Where(l => l.Kind == NetworkLayerKind.BatchNorm))
            {
                var norm = (BatchNormSpec)layer.Spec;
                string momentum = norm.Momentum.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
                w.Line(Invariant($"// {layer.Name}: momentum {momentum}, {norm.Plane} values per channel and sample."));
                using (w.Block(Invariant($"for (int c = 0; c < {norm.Channels}; c++)")))
                {
                    w.Line("double count = 0, mean = 0, squares = 0;");
                    using (w.Block($"foreach ({Training}.NetworkWorkspace part in workspaces)"))
                    {
                        w.Line("Workspace buffers = Workspace.Of(part, this);");
                        w.Line(Invariant($"double n = (double)buffers.TrainingBatch * {norm.Plane};"));
                        using (w.Block("if (n > 0)"))
                        {
                            w.Line($"double delta = buffers.{layer.Name}Mean[c] - mean, total = count + n;");
                            w.Line("mean += delta * n / total;");
                            w.Line($"squares += (buffers.{layer.Name}Variance[c] * n) + (delta * delta * count * n / total);");
                            w.Line("count = total;");
                        }
                    }

                    w.Line();
                    using (w.Block("if (count > 0)"))
                    {
                        w.Line("double unbiased = count > 1 ? squares / (count - 1) : squares;");
                        w.Line($"float[] runningMean = {layer.Name}RunningMean.Values, runningVar = {layer.Name}RunningVar.Values;");
                        w.Line(Invariant($"runningMean[c] = (float)(((1 - {momentum}) * runningMean[c]) + ({momentum} * mean));"));
                        w.Line(Invariant($"runningVar[c] = (float)(((1 - {momentum}) * runningVar[c]) + ({momentum} * unbiased));"));
                    }
                }

                if (layer != spec.Layers.Last(l => l.Kind == NetworkLayerKind.BatchNorm))
                {
                    w.Line();
                }
            }
        }

        w.Line();
    }

    /// <summary>The forward pass of a training step; with batch norms, on the batch's statistics, whose size the workspace notes.</summary>
    private static void TrainingForward(CodeWriter w, NetworkSpec spec)
    {
        if (spec.Normalizes)
        {
            w.Line("RunForward(buffers, input, batch, training: true);");
            w.Line("buffers.TrainingBatch = batch;");
        }
        else
        {
            w.Line("RunForward(buffers, input, batch);");
        }
    }

    /// <summary>The trailing argument of an inference call to <c>RunForward</c>: <c>, training: false</c> when the network has batch norms.</summary>
    private static string Inference(NetworkSpec spec) => spec.Normalizes ? ", training: false" : "";

    /// <summary>The tensor a layer reads, as the workspace holds it: the network's input (-1) or a layer's output.</summary>
    private static string Tensor(NetworkSpec spec, int index) => index < 0 ? "input" : $"buffers.{spec.Layers[index].Name}Output";

    private static int ParameterIndex(NetworkSpec spec, NetworkLayer layer) =>
        spec.Layers.TakeWhile(l => !ReferenceEquals(l, layer)).Where(l => l.OwnsParameters).Sum(l => Tensors(l, false).Count);

    /// <summary>
    /// Whether a layer's weights start He uniform: with <c>Initialization.He</c>, when ReLU follows it — its own, or that of
    /// the batch norm that alone reads it (<c>conv → bn → relu</c>).
    /// </summary>
    private static bool He(NetworkSpec spec, NetworkLayer layer)
    {
        int index = spec.Layers.ToList().IndexOf(layer);
        NetworkLayer[] readers = [.. spec.Layers.Where(l => l.Inputs.Contains(index))];
        return spec.HeForRelu && (layer.Activation.Kind == ActivationKind.Relu
            || (readers is [{ Kind: NetworkLayerKind.BatchNorm, Activation.Kind: ActivationKind.Relu }] && layer.Activation.IsNone));
    }

    /// <summary>
    /// The tensors a layer owns, in the order <c>Parameters</c> lists them: a convolution's or dense layer's weights and bias; a
    /// batch norm's scale and shift (PyTorch's <c>weight</c> and <c>bias</c>) and its running statistics, which are buffers.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <param name="he">Whether its weights start He uniform (<see cref="He"/>) rather than Glorot uniform.</param>
    internal static IReadOnlyList<ParameterTensor> Tensors(NetworkLayer layer, bool he)
    {
        if (layer.Spec is BatchNormSpec norm)
        {
            int[] channels = [norm.Channels];
            return
            [
                new("Weight", "weight", channels, "Ones", false, 0, 0, "The scale"),
                new("Bias", "bias", channels, "Zeros", false, 0, 0, "The shift"),
                new("RunningMean", "running_mean", channels, "Zeros", true, 0, 0, "The running mean (a buffer, moved by each training step)"),
                new("RunningVar", "running_var", channels, "Ones", true, 0, 0, "The running variance (a buffer, moved by each training step)"),
            ];
        }

        if (!layer.HasWeights)
        {
            return [];
        }

        (int[] shape, int fanIn, int fanOut) = WeightShape(layer);
        string layout = layer.Kind == NetworkLayerKind.Conv ? " (OIHW)" : " ([out, in])";
        var weight = new ParameterTensor("Weight", "weight", shape, he ? "He" : "Glorot", false, fanIn, fanOut, "The weights", layout);
        return layer.HasBias ? [weight, new("Bias", "bias", [shape[0]], "Zeros", false, fanIn, fanOut, "The bias")] : [weight];
    }

    /// <summary>Floats in a layer's weights: the product of <see cref="WeightShape"/>'s dimensions.</summary>
    private static int WeightLength(NetworkLayer layer) => WeightShape(layer).Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The weights' shape as PyTorch has it, and the fans for initialisation.</summary>
    internal static (int[] Shape, int FanIn, int FanOut) WeightShape(NetworkLayer layer) => layer.Spec switch
    {
        // The fans as PyTorch and Keras count them: in-channels per group, but all out-channels, times the kernel area.
        ConvSpec c => (new[] { c.OutChannels, c.InChannels / c.Groups, c.KernelHeight, c.KernelWidth },
            c.InChannels / c.Groups * c.KernelHeight * c.KernelWidth, c.OutChannels * c.KernelHeight * c.KernelWidth),
        DenseSpec d => (new[] { d.OutFeatures, d.InFeatures }, d.InFeatures, d.OutFeatures),
        _ => (System.Array.Empty<int>(), 0, 0),
    };
}

/// <summary>
/// One tensor of a network layer's state: its member suffix (<c>Conv1Weight</c>), its name suffix in saved files
/// (<c>conv1.weight</c>), shape, initialisation, whether it is a buffer (saved, not trained), and its fans.
/// </summary>
internal sealed record ParameterTensor(
    string Member, string Suffix, int[] Shape, string Initialization, bool Buffer, int FanIn, int FanOut, string Description, string Layout = "");
