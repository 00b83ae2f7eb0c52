using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>One kernel file a network needs, as its plan: a layer's forward kernel, or a convolution with a batch norm folded in.</summary>
internal sealed record KernelPlan(IPlan Plan);

/// <summary>
/// A network's plan: its graph with the batch norms that fold into the convolution before them marked
/// (<see cref="NetworkLayer.Folded"/>), the plan of every kernel file, and the vector paths of the network's own kernels.
/// </summary>
internal sealed record NetworkPlan(NetworkSpec Spec, EquatableArray<KernelPlan> Kernels, EquatableArray<SimdPath> Paths);

/// <summary>Plans a network: which batch norms fold, and each layer's kernel, as the stand-alone kernels are planned.</summary>
internal static class NetworkPlanner
{
    public static NetworkPlan Plan(NetworkSpec spec, bool legacyIntrinsics)
    {
        NetworkSpec folded = WithActivationSlots(WithWeightGradientProducts(WithInputGradients(WithPoolFusions(WithResidualFusions(Fold(spec))))));
        var kernels = new List<KernelPlan>();
        // A convolution gets the packed form inference runs (NetworkPacked.Planned), if any: not one a batch norm folds
        // away, which runs only in training.
        foreach (NetworkLayer layer in folded.Layers.Where(l => l.HasKernelFile))
        {
            ISpec kernel = layer.Spec is ConvSpec conv ? NetworkPacked.Inference(folded, layer) ?? conv with { Algorithm = ConvAlgorithmChoice.Direct } : layer.Spec;
            kernels.Add(new KernelPlan(layer.Kind.Plan(kernel, legacyIntrinsics)));
        }

        foreach (NetworkLayer layer in folded.Layers.Where(l => l.Folded is not null))
        {
            ConvSpec conv = layer.Folded!;
            kernels.Add(new KernelPlan(ConvPlanner.Plan(NetworkPacked.Inference(folded, layer) ?? conv with { Algorithm = ConvAlgorithmChoice.Direct }, legacyIntrinsics)));
        }

        foreach (ConvSpec conv in folded.Layers.Select(l => l.InputGradient).OfType<ConvSpec>())
        {
            kernels.Add(new KernelPlan(ConvPlanner.Plan(conv with { Algorithm = ConvAlgorithmChoice.Direct }, legacyIntrinsics)));
        }

        return new NetworkPlan(folded, kernels.ToEquatableArray(), SimdPath.All(legacyIntrinsics).ToEquatableArray());
    }

    /// <summary>The parameters of a convolution's inference kernel with a batch norm folded in: it always has a bias.</summary>
    private static readonly EquatableArray<string> FoldedParameters = new[] { "input", "weights", "bias", "output", "batch" }.ToEquatableArray();

    /// <summary>
    /// Another kernel of the layer whose forward kernel is <paramref name="forward"/> (<c>{Layer}Forward</c>): named
    /// <c>{Layer}{suffix}</c>, with these parameters.
    /// </summary>
    private static MethodTarget Kernel(MethodTarget forward, string suffix, EquatableArray<string> parameters, bool bias) => forward with
    {
        Name = forward.Name.Substring(0, forward.Name.Length - "Forward".Length) + suffix,
        Parameters = parameters,
        HasBias = bias,
    };

    /// <summary>The parameters of a convolution's input-gradient kernel: the output gradient, the transposed weights, the input gradient.</summary>
    private static readonly EquatableArray<string> GradientParameters = new[] { "gradOutput", "weights", "gradInput", "batch" }.ToEquatableArray();

    /// <summary>
    /// Gives each convolution with stride 1, no dilation and one group — whose input gradient is a "full" convolution of
    /// the output gradient — the forward convolution that computes it (<see cref="NetworkLayer.InputGradient"/>). The first
    /// layer's input needs no gradient, so it gets none.
    /// </summary>
    internal static NetworkSpec WithInputGradients(NetworkSpec spec)
    {
        NetworkLayer[] layers = [.. spec.Layers];
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] is { Spec: ConvSpec c, Inputs: [>= 0] } && c.StrideHeight == 1 && c.StrideWidth == 1 && c.DilationHeight == 1
                && c.DilationWidth == 1 && c.Groups == 1 && c.PadTop < c.KernelHeight && c.PadBottom < c.KernelHeight
                && c.PadLeft < c.KernelWidth && c.PadRight < c.KernelWidth)
            {
                Conv2DGeometry g = c.Geometry;
                MethodTarget target = Kernel(c.Method, "InputGradientForward", GradientParameters, bias: false);
                layers[i] = layers[i] with
                {
                    InputGradient = new ConvSpec(
                        target, c.OutChannels, g.OutputHeight, g.OutputWidth, c.InChannels, c.KernelHeight, c.KernelWidth, 1, 1,
                        c.KernelHeight - 1 - c.PadTop, c.KernelHeight - 1 - c.PadBottom, c.KernelWidth - 1 - c.PadLeft, c.KernelWidth - 1 - c.PadRight,
                        1, 1, 1, ActivationSpec.None, !c.FlipKernel, SamePadding: false),
                };
            }
        }

        return spec with { Layers = layers.ToEquatableArray() };
    }

    /// <summary>The output width below which a convolution's weight gradient is a matrix product: the widest vector's floats.</summary>
    internal const int NarrowRows = 16;

    /// <summary>
    /// Marks the convolutions (one group) whose output rows are narrower than <see cref="NarrowRows"/>: their weight gradients
    /// are matrix products over the unfolded input (<see cref="NetworkLayer.WeightGradientByProduct"/>).
    /// </summary>
    internal static NetworkSpec WithWeightGradientProducts(NetworkSpec spec) => spec with
    {
        Layers = spec.Layers.Select(l => l.Spec is ConvSpec { Groups: 1 } c && c.Geometry.OutputWidth < NarrowRows ? l with { WeightGradientByProduct = true } : l).ToEquatableArray(),
    };

    /// <summary>
    /// Marks each batch norm that inference folds into the convolution it reads: one that nothing else reads and that has
    /// no activation of its own (the usual <c>conv → bn → relu</c>). Its inference kernel is the convolution's with a bias
    /// and the batch norm's activation.
    /// </summary>
    internal static NetworkSpec Fold(NetworkSpec spec)
    {
        NetworkLayer[] layers = [.. spec.Layers];
        for (int i = 0; i < layers.Length; i++)
        {
            NetworkLayer norm = layers[i];
            if (norm is { Spec: BatchNormSpec bn } && norm.Inputs[0] is int j and >= 0
                && layers[j] is { Spec: ConvSpec conv, Activation.IsNone: true }
                && layers.Count(l => l.Inputs.Contains(j)) == 1)
            {
                MethodTarget target = Kernel(conv.Method, "FoldedForward", FoldedParameters, bias: true);
                layers[i] = norm with { Folded = conv with { Method = target, Activation = bn.Activation } };
            }
        }

        return spec with { Layers = layers.ToEquatableArray() };
    }

    /// <summary>
    /// Fuses each <c>[Add]</c> of two tensors into the convolution just before it that computes one of them, where the
    /// convolution runs Winograd at inference (<see cref="NetworkPacked.Planned"/>) and the sum can write over the other
    /// operand, the residual: the convolution has no activation of its own and nothing else reads it (so no batch norm
    /// folds it), it does not read the residual, and no layer after the sum reads the residual, which is not the
    /// network's input. The convolution's spec gets the sum's activation (<see cref="ConvSpec.Residual"/>), the sum the
    /// convolution's index (<see cref="NetworkLayer.FusedProducer"/>). ResNet's blocks end so: <c>relu(conv(y) + x)</c>.
    /// </summary>
    internal static NetworkSpec WithResidualFusions(NetworkSpec spec)
    {
        NetworkLayer[] layers = [.. spec.Layers];
        for (int i = 1; i < layers.Length; i++)
        {
            int p = i - 1;
            if (layers[i] is not { Spec: AddSpec add, Inputs: [int a, int b], Separate: null } || (a == p) == (b == p))
            {
                continue;
            }

            int residual = a == p ? b : a;
            if (residual >= 0 && layers[p] is { Spec: ConvSpec conv, Separate: null } producer && conv.Activation.IsNone
                && !producer.Inputs.Contains(residual) && layers.Count(l => l.Inputs.Contains(p)) == 1
                && !layers.Skip(i + 1).Any(l => l.Inputs.Contains(residual))
                && WinogradPlan.For(NetworkPacked.Planned(conv), legacyIntrinsics: false) is not null)
            {
                layers[p] = producer with { Spec = conv with { Residual = add.Activation } };
                layers[i] = layers[i] with { FusedProducer = p };
            }
        }

        return spec with { Layers = layers.ToEquatableArray() };
    }

    /// <summary>
    /// Fuses each <c>[MaxPool2D]</c> of k × k windows at stride k without padding (k 2 or 3, floor mode) into the convolution
    /// just before it, where nothing else reads the convolution (so no batch norm folds it), its activation works on
    /// whole vectors, and it would not run Winograd at inference (<see cref="NetworkPacked.Planned"/>): the convolution's
    /// spec gets the window (<see cref="ConvSpec.MaxPool"/>) and runs its packed direct form's pooled overload, the pool
    /// the convolution's index (<see cref="NetworkLayer.FusedProducer"/>). Small networks start so: LeNet's and the MNIST
    /// CNN's <c>maxpool(relu(conv(x)))</c>, whose convolution's output is four times the pool's.
    /// </summary>
    internal static NetworkSpec WithPoolFusions(NetworkSpec spec)
    {
        NetworkLayer[] layers = [.. spec.Layers];
        for (int i = 1; i < layers.Length; i++)
        {
            int p = i - 1;
            if (layers[i] is not { Spec: PoolSpec { Kind: PoolKind.Max } pool, Inputs: [int read] } || read != p
                || pool.KernelHeight is not (2 or 3) || pool.KernelWidth != pool.KernelHeight || pool.StrideHeight != pool.KernelHeight || pool.StrideWidth != pool.KernelHeight
                || pool.PadTop + pool.PadBottom + pool.PadLeft + pool.PadRight > 0 || pool.CeilMode || pool.DilationHeight != 1 || pool.DilationWidth != 1)
            {
                continue;
            }

            if (layers[p] is { Spec: ConvSpec conv, Separate: null } producer && conv.Groups == 1 && conv.Activation.Vectorised && conv.Residual is null
                && conv.Geometry.OutputHeight >= pool.KernelHeight && conv.Geometry.OutputWidth >= pool.KernelWidth
                && conv.Algorithm is ConvAlgorithmChoice.Auto or ConvAlgorithmChoice.PackedDirect
                && NetworkPacked.Planned(conv).Algorithm is ConvAlgorithmChoice.Direct or ConvAlgorithmChoice.PackedDirect
                && layers.Count(l => l.Inputs.Contains(p)) == 1)
            {
                layers[p] = producer with { Spec = conv with { MaxPool = pool.KernelHeight } };
                layers[i] = layers[i] with { FusedProducer = p };
            }
        }

        return spec with { Layers = layers.ToEquatableArray() };
    }

    /// <summary>
    /// Gives every layer that inference runs a buffer for its output (<see cref="NetworkLayer.Slot"/>), reusing the buffer of
    /// a tensor no later layer reads: a tensor lives from the layer that writes it to the last that reads it (the network's
    /// output to the end), and a layer never writes into a buffer it reads but for a sum fused into its convolution, which
    /// writes over its residual (<see cref="NetworkLayer.FusedProducer"/>); a pool fused into its convolution reads what the
    /// convolution reads. Each layer takes the smallest free buffer that
    /// holds its output, or else grows the largest free one, or else a new one (<see cref="NetworkSpec.Slots"/>). A
    /// convolution a batch norm folds into does not run at inference, so it has none, and the batch norm reads its input.
    /// </summary>
    internal static NetworkSpec WithActivationSlots(NetworkSpec spec)
    {
        NetworkLayer[] layers = [.. spec.Layers];
        bool[] foldedAway = new bool[layers.Length];
        var reads = new IReadOnlyList<int>[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            reads[i] = layers[i].Folded is null ? layers[i].Inputs : layers[layers[i].Inputs[0]].Inputs;
            if (layers[i].FusedProducer >= 0 && layers[i].Spec is PoolSpec)
            {
                // A pool fused into its convolution runs with it: it reads what the convolution reads while it writes.
                reads[i] = [.. reads[i], .. layers[layers[i].FusedProducer].Inputs];
            }
            if (layers[i].Folded is not null)
            {
                foldedAway[layers[i].Inputs[0]] = true;
            }
        }

        int[] lastRead = new int[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            lastRead[i] = i == layers.Length - 1 ? int.MaxValue : i;
        }

        for (int i = 0; i < layers.Length; i++)
        {
            foreach (int j in reads[i].Where(j => j >= 0))
            {
                lastRead[j] = System.Math.Max(lastRead[j], i);
            }
        }

        var lengths = new List<int>();
        var freeAfter = new List<int>(); // The last layer that reads what the buffer holds.
        for (int i = 0; i < layers.Length; i++)
        {
            if (foldedAway[i])
            {
                continue;
            }

            if (layers[i].FusedProducer >= 0 && layers[i].Spec is AddSpec)
            {
                // A sum fused into its convolution writes over the residual, whose last reader it is.
                int residual = layers[i].Inputs.First(k => k != layers[i].FusedProducer);
                layers[i] = layers[i] with { Slot = layers[residual].Slot };
                freeAfter[layers[residual].Slot] = lastRead[i];
                continue;
            }

            int need = layers[i].OutputLength, best = -1;
            for (int s = 0; s < lengths.Count; s++)
            {
                if (freeAfter[s] >= i)
                {
                    continue;
                }

                bool fits = lengths[s] >= need, bestFits = best >= 0 && lengths[best] >= need;
                if (best < 0 || (fits && (!bestFits || lengths[s] < lengths[best])) || (!fits && !bestFits && lengths[s] > lengths[best]))
                {
                    best = s;
                }
            }

            if (best < 0)
            {
                best = lengths.Count;
                lengths.Add(0);
                freeAfter.Add(0);
            }

            lengths[best] = System.Math.Max(lengths[best], need);
            freeAfter[best] = lastRead[i];
            layers[i] = layers[i] with { Slot = best };
        }

        return spec with { Layers = layers.ToEquatableArray(), Slots = lengths.ToEquatableArray() };
    }
}
