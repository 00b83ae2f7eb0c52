using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;
using static KernelGen.Generator.Emit.KernelFile;

namespace KernelGen.Generator.Emit;

/// <summary>
/// Writes a network's kernel class: the loss, the activations' derivatives, each layer's kernels by its kind
/// (<see cref="Layers.LayerKind.WriteKernels"/>: the backward pass, and the forward pass of layers without a kernel file),
/// the batch norms' plane sums and the routing of gradients between branches.
/// </summary>
internal static class NetworkKernelsEmitter
{
    public static void Write(CodeWriter w, NetworkSpec spec, IReadOnlyList<SimdPath> paths)
    {
        var e = new NetworkKernelWriter(w, paths);
        w.Line("/// <summary>The first element of an array or span, for the kernels' <c>ref float</c> parameters.</summary>");
        w.Line($"public static ref float Start(float[] array) => ref {MemoryMarshal}.GetArrayDataReference(array);");
        w.Line();
        w.Line("/// <inheritdoc cref=\"Start(float[])\"/>");
        w.Line($"public static ref float Start(KgReadOnlySpan span) => ref {MemoryMarshal}.GetReference(span);");
        w.Line();
        if (spec.Loss == LossKind.SoftmaxCrossEntropy)
        {
            e.SoftmaxCrossEntropy(spec.OutputLength);
        }
        else
        {
            e.TargetLoss(spec.Loss, spec.OutputLength);
        }
        foreach (ActivationKind activation in spec.Layers.Where(l => !l.KeepsPreActivation).Select(l => l.Activation.Kind).Where(a => a != ActivationKind.None).Distinct().OrderBy(a => a))
        {
            w.Line();
            e.Activation(activation);
        }

        foreach (ActivationKind activation in spec.Layers.Where(l => l.KeepsPreActivation).Select(l => l.Activation.Kind).Distinct().OrderBy(a => a))
        {
            w.Line();
            e.SeparateActivation(activation);
        }

        foreach (NetworkLayer layer in spec.Layers)
        {
            layer.Kind.WriteKernels(w, paths, spec, layer);
        }

        if (spec.Normalizes)
        {
            w.Line();
            e.PlaneSums();
        }

        if (spec.Branches || spec.SharesWeights)
        {
            w.Line();
            e.GradientRouting();
        }
    }
}
