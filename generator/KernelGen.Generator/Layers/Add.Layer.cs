using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Layers;

/// <summary>
/// An <c>[Add]</c> in a network: the sum of the tensors it reads, with its activation fused where it is vectorised. Its
/// gradient with respect to each operand is its own output gradient, copied to (or added into) the operand's.
/// </summary>
internal sealed class AddLayer : LayerKind
{
    public static readonly AddLayer Instance = new();

    public override string Describe(NetworkLayer layer) =>
        Invariant($"sum of {layer.Inputs.Count} tensors{(layer.Activation.IsNone ? "" : ", " + layer.Activation)}");

    public override bool HasKernelFile => false;

    public override ActivationSpec Activation(ISpec spec) => ((AddSpec)spec).Activation;

    public override NetworkLayer Unfused(NetworkLayer layer) =>
        layer with { Spec = (AddSpec)layer.Spec with { Activation = ActivationSpec.None }, Separate = Activation(layer.Spec) };

    /// <summary>
    /// Training's call, or inference's with more operands than a kernel part has inputs: the sum on the calling thread. At
    /// inference with up to <see cref="MaxSplitOperands"/> operands, <c>KernelParts.Run</c> splits the batch's channels
    /// among the network's threads (so that neither waits while the other adds; on one thread it calls the part once).
    /// </summary>
    public override string Forward(NetworkCalls c, NetworkLayer layer, string target)
    {
        var s = (AddSpec)layer.Spec;
        if (!c.Inference || layer.Inputs.Count > MaxSplitOperands)
        {
            return Invariant($"{c.Kernels}.{layer.Name}Forward({c.Sources(layer)}, {c.Start(target)}, batch * {s.Length});");
        }

        string Operand(int k) => k < layer.Inputs.Count ? c.Read(layer.Inputs[k]) : "default";
        return Invariant($"global::KernelGen.KernelParts.Run({c.Kernels}.{layer.Name}Part, {Operand(0)}, batch * {s.Length}, {Operand(1)}, {Operand(2)}, {NetworkCalls.Written(layer, target)}, batch * {s.Length}, 1, batch * {s.Channels}, Parallelism);");
    }

    /// <summary>The most operands a split sum takes: a kernel part's three inputs (input, weights and bias).</summary>
    private const int MaxSplitOperands = 3;

    public override void WriteInputGradient(CodeWriter w, NetworkCalls c, NetworkLayer layer, int operand, bool add)
    {
        NetworkLayer source = c.Spec.Layers[layer.Inputs[operand]];
        string length = Invariant($"batch * {source.OutputLength}");
        w.Line(add
            ? $"{c.Kernels}.Accumulate({c.Start($"buffers.{layer.Name}Gradient")}, {c.Start($"buffers.{source.Name}Gradient")}, {length});"
            : $"new {NetworkCalls.ReadOnlySpan}(buffers.{layer.Name}Gradient, 0, {length}).CopyTo(buffers.{source.Name}Gradient);");
    }

    public override void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer)
    {
        w.Line();
        var kernels = new Kernels(w, paths);
        kernels.AddForward(layer.Name, (AddSpec)layer.Spec, layer.Inputs.Count);

        // A sum always fused into its convolution at inference (one whose weights are compared, so packed on every call) has no part to run.
        bool alwaysFused = layer.FusedProducer >= 0 && NetworkPacked.Inference(spec, spec.Layers[layer.FusedProducer]) is { } conv && NetworkPacked.Compared(conv);
        if (layer.Inputs.Count <= MaxSplitOperands && !alwaysFused)
        {
            w.Line();
            kernels.AddPart(layer.Name, (AddSpec)layer.Spec, layer.Inputs.Count);
        }
    }

    private sealed class Kernels(CodeWriter code, IReadOnlyList<SimdPath> paths) : NetworkKernelWriter(code, paths)
    {
        /// <summary>
        /// The forward pass of an <c>[Add]</c> of <paramref name="operands"/> tensors: their sum, element by element, with the
        /// activation fused where it is vectorised (the others are applied after the kernel by the network).
        /// </summary>
        public void AddForward(string layer, AddSpec s, int operands)
        {
            string[] names = [.. Enumerable.Range(0, operands).Select(k => Invariant($"x{k}"))];
            Doc(w, Invariant($"<c>{layer}</c>: the sum of its {operands} inputs{(s.Activation.IsNone ? "" : $", then {s.Activation}")} over <paramref name=\"length\"/> floats ({s.Length} per sample)."));
            w.Line(AggressiveOptimization);
            using (w.Block($"public static void {layer}Forward({string.Join(", ", names.Select(n => $"ref float {n}"))}, ref float output, int length)"))
            {
                w.Line("int i = 0;");
                VectorPaths(int.MaxValue, v =>
                {
                    using (w.Block(Invariant($"for (; i <= length - {v.Width}; i += {v.Width})")))
                    {
                        w.Line($"{v.Type} sum = {string.Join(" + ", names.Select(n => v.Load(n, "i")))};");
                        w.Line(v.Store(s.Activation.Vectorised ? ActivationText.Apply(v, s.Activation, "sum") : "sum", "output", "i"));
                    }
                });

                using (w.Block("for (; i < length; i++)"))
                {
                    w.Line($"float sum = {string.Join(" + ", names.Select(n => At(n, "i")))};");
                    w.Line($"{At("output", "i")} = {(s.Activation.Vectorised ? ActivationText.Apply(s.Activation, "sum") : "sum")};");
                }

                if (!s.Activation.Vectorised)
                {
                    using (w.Block("for (int j = 0; j < length; j++)"))
                    {
                        w.Line($"{At("output", "j")} = {ActivationText.Apply(s.Activation, At("output", "j"))};");
                    }
                }
            }
        }

        /// <summary>
        /// One part of an <c>[Add]</c> split among threads: channels <c>from</c> .. <c>to</c> − 1 of the batch, counted
        /// across its samples (the tensors are contiguous), through the layer's forward kernel.
        /// </summary>
        public void AddPart(string layer, AddSpec s, int operands)
        {
            int plane = s.Height * s.Width;
            string[] roles = ["input", "weights", "bias"];
            string given = operands switch { 1 => "the part's input", 2 => "the part's input and weights", _ => "the part's input, weights and bias" };
            Doc(w, Invariant($"One part of <c>{layer}</c> on several threads: channels <paramref name=\"from\"/> .. <paramref name=\"to\"/> − 1 of the batch ({plane} floats each) of its {operands} inputs ({given})."));
            using (w.Block("public static void " + layer + "Part(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to)"))
            {
                w.Line(Invariant($"int start = from * {plane};"));
                w.Line(Invariant($"{layer}Forward({string.Join(", ", roles.Take(operands).Append("output").Select(r => $"ref {At(r, "start")}"))}, (to - from) * {plane});"));
            }
        }
    }
}
