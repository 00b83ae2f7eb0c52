using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Layers;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes a <c>[Network]</c> class: one forward kernel file per layer (by the layers' own emitters), and the
/// network file — parameters, workspace buffers, <c>Forward</c>, <c>Predict</c>, <c>ForwardBackward</c> with
/// the network's kernels (<see cref="NetworkKernelsEmitter"/>), <c>Save</c> and <c>Load</c>.
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
                DensePlan dense => DenseEmitter.Emit(dense),
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
            NetworkKernelsEmitter.Write(w, spec, paths);
            WriteHelpers(w, paths);
        }

        return WithHeader(w.ToString(), "Edit the attributes, not this file.");
    }

    private static string Summary(NetworkSpec spec) =>
        Invariant($"A network of {spec.Layers.Count} layers from {spec.InputChannels}×{spec.InputHeight}×{spec.InputWidth} inputs to {spec.OutputLength} outputs: ")
        + string.Join(", ", spec.Layers.Select(l => Invariant($"{l.Name} ({l.Kind.Describe(l)}, {Shape(l)})"))) + ".";

    private static string Shape(NetworkLayer layer) =>
        layer.OutHeight == 1 && layer.OutWidth == 1 && layer.Kind.FlatOutput
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
                foreach (ParameterTensor t in layer.Kind.Tensors(layer, He(spec, layer)))
                {
                    string shape = string.Join(", ", t.Shape);
                    w.Line(t.Buffer
                        ? Invariant($"{layer.Name}{t.Member} = {Training}.Parameter.Buffer(\"{layer.Prefix}.{t.Suffix}\", new[] {{ {shape} }}, {Training}.Initialization.{t.Initialization});")
                        : Invariant($"{layer.Name}{t.Member} = new {Training}.Parameter(\"{layer.Prefix}.{t.Suffix}\", new[] {{ {shape} }}, {Training}.Initialization.{t.Initialization}, {t.FanIn}, {t.FanOut});"));
                }
            }

            // In the order the layers run; a long list one layer to a line.
            string[] owned = [.. spec.Layers.Where(l => l.OwnsParameters).Select(l => string.Join(", ", l.Kind.Tensors(l, false).Select(t => l.Name + t.Member)))];
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
            foreach (ParameterTensor t in layer.Kind.Tensors(layer, He(spec, layer)))
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
        w.Line("/// <summary>");
        w.Line("/// How many threads one call of <c>Forward</c> or <c>Predict</c> may use: one by default; with more, each convolution's and pool's work");
        w.Line("/// is split among them (the samples of the batch, or one sample's channels, rows or groups) and the scores are bit-identical to one thread's.");
        w.Line("/// </summary>");
        w.Line("public global::KernelGen.Parallelism Parallelism { get; set; }");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Declares that the parameters' values change only through the library — <c>Load</c>, <c>InitializeParameters</c>, training, an optimizer —");
        w.Line("/// or with <c>Parameter.ValuesChanged()</c> after a direct write. <c>Forward</c> and <c>Predict</c> then run each dense layer, and each");
        w.Line("/// convolution that has a packed form (Winograd, packed direct), over weights packed once per change, as ONNX Runtime's sessions prepack the");
        w.Line("/// weights they own. Off by default: a layer then runs packed only where comparing its weights with those it packed costs less than the form");
        w.Line("/// saves, and a write to <c>Parameter.Values</c> reaches the next call with nothing more to do. The packed weights are kept in each workspace.");
        w.Line("/// </summary>");
        w.Line("public bool FixedWeights { get; set; }");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Where set, <c>Forward</c> and <c>Predict</c> time each kernel call of the forward pass into it (see <see cref=\"global::KernelGen.LayerProfile\"/>);");
        w.Line("/// null by default: nothing is timed.");
        w.Line("/// </summary>");
        w.Line("public global::KernelGen.LayerProfile? Profile { get; set; }");
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
            w.Line("RunInference(_workspace, image, 1);");
            w.Line($"return ArgMax(new {ReadOnlySpan}(_workspace.Activations{last.Slot}, 0, OutputSize));");
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
                w.Line("RunInference(_workspace, images.Slice(first * InputSize, count * InputSize), count);");
                using (w.Block("for (int n = 0; n < count; n++)"))
                {
                    w.Line($"classes[first + n] = ArgMax(new {ReadOnlySpan}(_workspace.Activations{last.Slot}, n * OutputSize, OutputSize));");
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
                w.Line("RunInference(buffers, input.Slice(first * InputSize, count * InputSize), count);");
                w.Line($"new {ReadOnlySpan}(buffers.Activations{last.Slot}, 0, count * OutputSize).CopyTo(logits.Slice(first * OutputSize));");
            }
        }

        w.Line();
        WriteForwardBackward(w, spec, backward, generated);
        w.Line();

        WriteRunForward(w, spec, backward);
        w.Line();
        WriteRunInference(w, spec, backward);
        w.Line();
        if (spec.Layers.Any(l => l.Folded is not null && NetworkPacked.Inference(spec, l) is not null))
        {
            w.Line("/// <summary>The version of a convolution's weights with a batch norm folded in: it moves whenever one of the parameters they are made from does.</summary>");
            w.Line($"private static long FoldedVersion({Training}.Parameter weights, {Training}.Parameter scale, {Training}.Parameter variance) =>");
            w.Line("    weights.Version + scale.Version + variance.Version;");
            w.Line();
        }

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
            w.Line(layer.Kind.Declaration(layer));
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
    /// <c>RunForward</c>, the forward pass of a training step: the layers' forward kernels back to back, each into its own
    /// buffers, which the backward pass reads; batch norms normalise with the batch's statistics.
    /// </summary>
    private static void WriteRunForward(CodeWriter w, NetworkSpec spec, string backward)
    {
        w.Line(spec.Normalizes
            ? "/// <summary>The forward pass of a training step: each layer into its own buffers, which the backward pass reads; batch norms use the batch's statistics.</summary>"
            : "/// <summary>The forward pass of a training step: each layer into its own buffers, which the backward pass reads.</summary>");
        using (w.Block($"private void RunForward(Workspace buffers, {ReadOnlySpan} input, int batch)"))
        {
            w.Line("buffers.ReserveTraining();");
            var calls = new NetworkCalls(spec, backward);
            foreach (NetworkLayer layer in spec.Layers)
            {
                // A layer that keeps its pre-activation stores it, then applies its activation into the output.
                string output = calls.Output(layer);
                w.Line(layer.Kind.Forward(calls, layer, layer.KeepsPreActivation ? $"buffers.{layer.Name}PreActivation" : output));
                if (layer.KeepsPreActivation)
                {
                    w.Line(Invariant($"{backward}.{layer.Activation.Kind}Forward({calls.Start($"buffers.{layer.Name}PreActivation")}, {calls.Start(output)}, batch * {layer.OutputLength}{layer.Activation.SlopeArgument});"));
                }
            }
        }
    }

    /// <summary>
    /// <c>RunInference</c>, the forward pass of <c>Forward</c> and <c>Predict</c>: the layers' forward kernels back to back
    /// into the buffers they share (<see cref="NetworkLayer.Slot"/>); batch norms on their running statistics, folded into the
    /// convolution before where there is one.
    /// </summary>
    private static void WriteRunInference(CodeWriter w, NetworkSpec spec, string backward)
    {
        var names = new List<string>();
        w.Line(Invariant($"/// <summary>The forward pass of <c>Forward</c> and <c>Predict</c>: the layers' outputs go to {spec.Slots.Count} buffers, each reused once no later layer reads what it holds{(spec.Normalizes ? "; batch norms use their running statistics" : "")}.</summary>"));
        using (w.Block($"private void RunInference(Workspace buffers, {ReadOnlySpan} input, int batch)"))
        {
            w.Line("buffers.ReserveInference(batch);");
            w.Line("// With more than one thread, the others wait for the convolutions' and pools' parts from here to the last layer, and then go.");
            w.Line("using global::KernelGen.KernelParts.HeldThreads held = global::KernelGen.KernelParts.Hold(Parallelism);");
            w.Line("// With a profile set, each call below is timed into it: ProfiledCalls names them.");
            w.Line("global::KernelGen.LayerProfile? profile = Profile;");
            w.Line("long mark = profile is null ? 0 : profile.Start(ProfiledCalls);");
            var calls = new NetworkCalls(spec, backward, inference: true);
            for (int index = 0; index < spec.Layers.Count; index++)
            {
                NetworkLayer layer = spec.Layers[index];
                if (layer.Slot < 0)
                {
                    continue; // A convolution a batch norm folds into runs with that batch norm.
                }

                if (index + 1 < spec.Layers.Count && spec.Layers[index + 1].FusedProducer == index)
                {
                    continue; // A convolution a sum or pool is fused into runs with that layer, the one after it.
                }

                string output = calls.Output(layer);
                if (layer.FusedProducer >= 0)
                {
                    ConvLayer.WriteFused(w, calls, spec.Layers[layer.FusedProducer], layer, output, layer.Kind.Forward(calls, layer, output));
                    WriteRecord(w, names, spec.Layers[layer.FusedProducer], layer);
                    continue;
                }

                if (layer.Spec is BatchNormSpec)
                {
                    NetworkLayer? folded = layer.Folded is null ? null : spec.Layers[layer.Inputs[0]];
                    BatchNormLayer.WriteInference(w, calls, layer, folded);
                    WriteRecord(w, names, folded, layer);
                    continue;
                }

                // A layer whose activation the network applies separately: its activation in place.
                layer.Kind.WriteForward(w, calls, layer, output);
                if (layer.KeepsPreActivation)
                {
                    w.Line(Invariant($"{backward}.{layer.Activation.Kind}Forward({calls.Start(output)}, {calls.Start(output)}, batch * {layer.OutputLength}{layer.Activation.SlopeArgument});"));
                }

                WriteRecord(w, names, null, layer);
            }
        }

        w.Line();
        w.Line("/// <summary>The calls of the forward pass a <see cref=\"Profile\"/> times, in order: the declared layers each runs.</summary>");
        w.Line("private static readonly string[] ProfiledCalls = new string[]");
        w.Line("{");
        foreach (string name in names)
        {
            w.Line($"    \"{name}\",");
        }

        w.Line("};");
    }

    /// <summary>
    /// After a call of the forward pass, its time into the profile, if one is set; the call's name — the layer, after the
    /// layer fused or folded into it, if any — goes to <paramref name="names"/>.
    /// </summary>
    private static void WriteRecord(CodeWriter w, List<string> names, NetworkLayer? into, NetworkLayer layer)
    {
        w.Line(Invariant($"profile?.Record({names.Count}, ref mark);"));
        names.Add(into is null ? layer.Name.TrimStart('@') : $"{into.Name.TrimStart('@')} + {layer.Name.TrimStart('@')}");
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
            var calls = new NetworkCalls(spec, backward);
            var written = new HashSet<int>();
            var sharedWritten = new HashSet<string>(System.StringComparer.Ordinal);
            for (int i = spec.Layers.Count - 1; i >= 0; i--)
            {
                NetworkLayer layer = spec.Layers[i];
                w.Line();
                w.Line(Invariant($"// {layer.Name}: {layer.Kind.Describe(layer)}."));
                using (w.Block(Invariant($"if (lowest <= {i})")))
                {
                    // With binary cross-entropy the loss's gradient is already with respect to the last layer's pre-activation.
                    if (!layer.Activation.IsNone && !(spec.Loss == LossKind.BinaryCrossEntropy && i == spec.Layers.Count - 1))
                    {
                        string gradOut = calls.Start($"buffers.{layer.Name}Gradient"), slope = layer.Activation.SlopeArgument;
                        w.Line(layer.KeepsPreActivation
                            ? Invariant($"{backward}.{layer.Activation.Kind}InputBackward({calls.Start($"buffers.{layer.Name}PreActivation")}, {gradOut}, batch * {layer.OutputLength}{slope});")
                            : Invariant($"{backward}.{layer.Activation.Kind}Backward({calls.Start($"buffers.{layer.Name}Output")}, {gradOut}, batch * {layer.OutputLength}{slope});"));
                    }

                    // Layers that share parameters: the first here writes their gradients, the others add theirs in.
                    if (layer.HasParameters)
                    {
                        layer.Kind.WriteParameterGradients(w, calls, layer, accumulate: !sharedWritten.Add(layer.Owner));
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

                        using (w.Block(Invariant($"if (lowest <= {producer})")))
                        {
                            layer.Kind.WriteInputGradient(w, calls, layer, k, add: !written.Add(producer));
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
        int kept = spec.Layers.Sum(l => l.OutputLength), shared = spec.Slots.Sum();
        w.Line("/// <summary>");
        w.Line($"/// One thread's buffers for <c>{spec.Name}</c>, each allocated on first use: for inference, the {spec.Slots.Count} buffers the layers'");
        w.Line(Invariant($"/// outputs share ({shared} floats per sample, where keeping every layer's output would take {kept}); for training, each"));
        w.Line($"/// layer's output and the gradient with respect to it, for <see cref=\"{Training}.NetworkWorkspace.MaxBatch\"/> samples.");
        w.Line("/// </summary>");
        w.Line(generated);
        using (w.Block($"public sealed class Workspace : {Training}.NetworkWorkspace"))
        {
            w.Line($"private readonly {spec.Name} _network;");
            w.Line();
            w.Line("/// <summary>The samples the inference buffers hold (0 before the first inference).</summary>");
            w.Line("private int _inferenceBatch;");
            w.Line();
            w.Line("/// <summary>Whether the training buffers are allocated.</summary>");
            w.Line("private bool _training;");
            w.Line();
            using (w.Block($"internal Workspace({spec.Name} network, int maxBatch) : base(maxBatch, network._parameters)"))
            {
                w.Line("_network = network;");
            }

            IEnumerable<(NetworkLayer Layer, WorkspaceBuffer Buffer)> LayerBuffers(bool inference) =>
                spec.Layers.SelectMany(l => l.Kind.Buffers(spec, l).Where(b => b.Inference == inference).Select(b => (l, b)));

            w.Line();
            w.Line("/// <summary>Allocates the buffers inference writes to for <paramref name=\"batch\"/> samples, unless those it has hold as many.</summary>");
            using (w.Block("internal void ReserveInference(int batch)"))
            {
                using (w.Block("if (batch <= _inferenceBatch)"))
                {
                    w.Line("return;");
                }

                w.Line();
                for (int k = 0; k < spec.Slots.Count; k++)
                {
                    w.Line(Invariant($"Activations{k} = new float[checked(batch * {spec.Slots[k]})];"));
                }

                foreach ((NetworkLayer layer, WorkspaceBuffer buffer) in LayerBuffers(inference: true))
                {
                    w.Line($"{layer.Name}{buffer.Name} = new float[{buffer.Length}];");
                }

                w.Line("_inferenceBatch = batch;");
            }

            w.Line();
            w.Line("/// <summary>Allocates the buffers of the forward and backward passes of training, unless it has them.</summary>");
            using (w.Block("internal void ReserveTraining()"))
            {
                using (w.Block("if (_training)"))
                {
                    w.Line("return;");
                }

                w.Line();
                w.Line("int maxBatch = MaxBatch;");
                foreach (NetworkLayer layer in spec.Layers)
                {
                    w.Line(Invariant($"{layer.Name}Output = new float[checked(maxBatch * {layer.OutputLength})];"));
                    w.Line(Invariant($"{layer.Name}Gradient = new float[checked(maxBatch * {layer.OutputLength})];"));
                    if (layer.KeepsPreActivation)
                    {
                        w.Line(Invariant($"{layer.Name}PreActivation = new float[checked(maxBatch * {layer.OutputLength})];"));
                    }
                }

                foreach ((NetworkLayer layer, WorkspaceBuffer buffer) in LayerBuffers(inference: false))
                {
                    w.Line($"{layer.Name}{buffer.Name} = new float[{buffer.Length}];");
                }

                if (spec.SharesWeights)
                {
                    int largest = spec.Layers.Where(l => l.SharesWith is not null).Max(l => ((WeightedLayer)l.Kind).WeightLength(l));
                    w.Line(Invariant($"ParameterScratch = new float[{largest}];"));
                }

                if (spec.Branches)
                {
                    // Only a tensor read more than once has a share of its gradient added in through the scratch buffer.
                    int scratch = spec.Layers.SelectMany(l => l.Inputs).Where(i => i >= 0).GroupBy(i => i).Where(g => g.Count() > 1).Select(g => spec.Layers[g.Key].OutputLength).DefaultIfEmpty(1).Max();
                    w.Line(Invariant($"Scratch = new float[checked(maxBatch * {scratch})];"));
                }

                w.Line("_training = true;");
            }

            const string Empty = "{ get; private set; } = global::System.Array.Empty<float>();";
            for (int k = 0; k < spec.Slots.Count; k++)
            {
                w.Line();
                string holds = string.Join(", ", spec.Layers.Where(l => l.Slot == k).Select(l => l.Name));
                w.Line($"/// <summary>At inference, the output of {holds}, in turn.</summary>");
                w.Line(Invariant($"internal float[] Activations{k} {Empty}"));
            }

            foreach (NetworkLayer layer in spec.Layers)
            {
                w.Line();
                w.Line($"internal float[] {layer.Name}Output {Empty}");
                w.Line();
                w.Line($"internal float[] {layer.Name}Gradient {Empty}");
                if (layer.KeepsPreActivation)
                {
                    w.Line();
                    w.Line($"/// <summary><c>{layer.Name}</c>'s output before its {layer.Activation}, whose derivative is taken from it.</summary>");
                    w.Line($"internal float[] {layer.Name}PreActivation {Empty}");
                }

                foreach (WorkspaceBuffer buffer in layer.Kind.Buffers(spec, layer))
                {
                    w.Line();
                    w.Line($"/// <summary>{buffer.Summary}</summary>");
                    w.Line($"internal float[] {layer.Name}{buffer.Name} {Empty}");
                }
            }

            foreach (NetworkLayer layer in spec.Layers.Where(l => NetworkPacked.Keeps(spec, l)))
            {
                w.Line();
                w.Line($"/// <summary>At inference, the packed weights of <c>{layer.Name}</c>, kept while its weights stay the same.</summary>");
                w.Line($"internal global::KernelGen.PackedWeightsCache {NetworkPacked.Cache(layer)} {{ get; }} = new();");
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
                w.Line($"internal float[] ParameterScratch {Empty}");
            }

            if (spec.Branches)
            {
                w.Line();
                w.Line("/// <summary>A second reader's share of a tensor's gradient, before it is added in.</summary>");
                w.Line($"internal float[] Scratch {Empty}");
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
            foreach (NetworkLayer layer in spec.Layers.Where(l => l.Spec is BatchNormSpec))
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

                w.Line($"{layer.Name}RunningMean.ValuesChanged();");
                w.Line($"{layer.Name}RunningVar.ValuesChanged();");

                if (layer != spec.Layers.Last(l => l.Spec is BatchNormSpec))
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
        w.Line("RunForward(buffers, input, batch);");
        if (spec.Normalizes)
        {
            w.Line("buffers.TrainingBatch = batch;");
        }
    }

    /// <summary>
    /// Whether a layer's weights start He uniform: with <c>Initialization.He</c>, when ReLU follows it — its own, or that of
    /// the batch norm that alone reads it (<c>conv → bn → relu</c>).
    /// </summary>
    private static bool He(NetworkSpec spec, NetworkLayer layer)
    {
        int index = spec.Layers.ToList().IndexOf(layer);
        NetworkLayer[] readers = [.. spec.Layers.Where(l => l.Inputs.Contains(index))];
        return spec.HeForRelu && (layer.Activation.Kind == ActivationKind.Relu
            || (readers is [{ Spec: BatchNormSpec, Activation.Kind: ActivationKind.Relu }] && layer.Activation.IsNone));
    }
}
