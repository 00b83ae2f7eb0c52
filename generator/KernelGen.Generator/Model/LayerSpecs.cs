using System.Linq;

using KernelGen.Generator.Layers;

namespace KernelGen.Generator.Model;

/// <summary>A parsed layer: what every spec has.</summary>
internal interface ISpec
{
    MethodTarget Method { get; }
}

/// <summary>The activation applied at the store, mirroring <c>KernelGen.Activation</c>.</summary>
internal enum ActivationKind
{
    None = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
    LeakyRelu = 4,
    Relu6 = 5,
    HardSigmoid = 6,
    HardSwish = 7,
    Silu = 8,
    Gelu = 9,
}

/// <summary>A layer's activation: its kind and, for <see cref="ActivationKind.LeakyRelu"/>, its slope (0.01 otherwise, unused).</summary>
internal readonly record struct ActivationSpec(ActivationKind Kind, float Slope = 0.01f)
{
    public static readonly ActivationSpec None = new(ActivationKind.None);

    public bool IsNone => Kind == ActivationKind.None;

    /// <summary>
    /// Whether the vector paths apply it to whole vectors at the store: the piecewise-linear ones. The others (Sigmoid, Tanh,
    /// SiLU, GELU need <c>exp</c> or <c>erfc</c>) are applied by a scalar loop to the stored values.
    /// </summary>
    public bool Vectorised => Kind is ActivationKind.None or ActivationKind.Relu or ActivationKind.LeakyRelu
        or ActivationKind.Relu6 or ActivationKind.HardSigmoid or ActivationKind.HardSwish;

    /// <summary>Whether its derivative is a function of its output, so that a network's backward pass can take it from there.</summary>
    public bool DerivativeFromOutput => Kind is not (ActivationKind.HardSwish or ActivationKind.Silu or ActivationKind.Gelu)
        && !(Kind == ActivationKind.LeakyRelu && Slope < 0);

    /// <summary>The slope as a trailing argument of a generated call (<c>, 0.2f</c>) for LeakyRelu; nothing for the others.</summary>
    public string SlopeArgument => Kind == ActivationKind.LeakyRelu ? ", " + SlopeLiteral : "";

    /// <summary>The slope as a C# float literal.</summary>
    public string SlopeLiteral => Slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f";

    /// <summary>The name used in comments: the kind's (<c>Relu</c>), with LeakyRelu's slope (<c>LeakyRelu (slope 0.2)</c>).</summary>
    public override string ToString() => Kind == ActivationKind.LeakyRelu
        ? $"LeakyRelu (slope {Slope.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})"
        : Kind.ToString();
}

/// <summary>A <c>[Conv2D]</c> method, fully resolved: every default applied, every size validated.</summary>
internal sealed record ConvSpec(
    MethodTarget Method,
    int InChannels, int Height, int Width, int OutChannels,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PadTop, int PadBottom, int PadLeft, int PadRight,
    int DilationHeight, int DilationWidth, int Groups,
    ActivationSpec Activation, bool FlipKernel, bool SamePadding, ConvAlgorithmChoice Algorithm = ConvAlgorithmChoice.Auto) : ISpec
{
    public Conv2DGeometry Geometry => new(InChannels, Height, Width, OutChannels, KernelHeight, KernelWidth,
        StrideHeight, StrideWidth, PadTop, PadBottom, PadLeft, PadRight, DilationHeight, DilationWidth, Groups);

    /// <summary>
    /// Set by a network for a convolution whose only reader is the <c>[Add]</c> right after it (see
    /// <see cref="NetworkLayer.FusedProducer"/>): its Winograd form also comes as <c>{Method}Residual</c>, which adds the
    /// convolution to what the output already holds (the other operand of the sum) and then applies this activation, the
    /// sum's own — the <c>[Add]</c> fused into the store. Null for every other convolution.
    /// </summary>
    public ActivationSpec? Residual { get; init; }

    /// <summary>
    /// Set by a network for a convolution whose only reader is the <c>[MaxPool2D]</c> right after it, a pool of
    /// <c>MaxPool</c> × <c>MaxPool</c> windows at the same stride with no padding (see <see cref="NetworkLayer.FusedProducer"/>):
    /// its packed direct form also comes as <c>{Method}Pooled</c>, whose register tiles take the maximum of each window's
    /// pixels in registers and store only the pooled output. 0 for every other convolution.
    /// </summary>
    public int MaxPool { get; init; }
}

/// <summary>The attribute's <c>Algorithm</c>: the runtime's <c>ConvAlgorithm</c>, value for value.</summary>
internal enum ConvAlgorithmChoice
{
    Auto,
    Direct,
    Winograd,
    PackedDirect,
    Winograd2x2,
}

/// <summary>The kind of pool.</summary>
internal enum PoolKind
{
    Max,
    Average,
}

/// <summary>A <c>[MaxPool2D]</c> or <c>[AvgPool2D]</c> method, fully resolved.</summary>
internal sealed record PoolSpec(
    MethodTarget Method, PoolKind Kind,
    int Channels, int Height, int Width, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadTop, int PadBottom, int PadLeft, int PadRight, bool CountIncludePad, bool CeilMode = false,
    int DilationHeight = 1, int DilationWidth = 1) : ISpec
{
    public Pool2DGeometry Geometry => new(Channels, Height, Width, KernelHeight, KernelWidth, StrideHeight, StrideWidth, PadTop, PadBottom, PadLeft, PadRight, CeilMode,
        DilationHeight, DilationWidth);

    /// <summary>
    /// Whether some window of an average counting the padding is clipped (a ceil-mode window past the end of the
    /// padding), so that its divisor is smaller than the window.
    /// </summary>
    public bool ClippedWindows
    {
        get
        {
            Pool2DGeometry g = Geometry;
            return CountIncludePad && (g.DivisorRows(g.OutputHeight - 1, true) < KernelHeight || g.DivisorColumns(g.OutputWidth - 1, true) < KernelWidth);
        }
    }
}

/// <summary>A <c>[GlobalAvgPool2D]</c> or <c>[GlobalMaxPool2D]</c> method.</summary>
internal sealed record GlobalPoolSpec(MethodTarget Method, int Channels, int Height, int Width, PoolKind Kind = PoolKind.Average) : ISpec
{
    /// <summary>The attribute's name as the user writes it.</summary>
    public string Attribute => Kind == PoolKind.Max ? "GlobalMaxPool2D" : "GlobalAvgPool2D";
}

/// <summary>An <c>[Add]</c> method: <c>output = activation(a + b)</c> over <c>Channels × Height × Width</c> floats per sample.</summary>
internal sealed record AddSpec(MethodTarget Method, int Channels, int Height, int Width, ActivationSpec Activation) : ISpec
{
    public int Length => Channels * Height * Width;
}

/// <summary>
/// A <c>[BatchNorm2D]</c> method: its inference kernel (stand-alone, or a network's when nothing folds it), and in a network
/// also the training form, whose running statistics move by <paramref name="Momentum"/> per step.
/// </summary>
internal sealed record BatchNormSpec(MethodTarget Method, int Channels, int Height, int Width, float Epsilon, ActivationSpec Activation, float Momentum = 0.1f) : ISpec
{
    public int Length => Channels * Height * Width;

    public int Plane => Height * Width;
}

/// <summary>A <c>[Dense]</c> method.</summary>
internal sealed record DenseSpec(MethodTarget Method, int InFeatures, int OutFeatures, ActivationSpec Activation) : ISpec;

/// <summary>What a network is trained to minimise, mirroring <c>KernelGen.Loss</c>.</summary>
internal enum LossKind
{
    SoftmaxCrossEntropy = 0,
    BinaryCrossEntropy = 1,
    MeanSquaredError = 2,
}

/// <summary>
/// A <c>[Concat]</c> in a network: the channels (or, for flat inputs, the features) of each joined tensor in order,
/// over planes of <c>Height × Width</c>.
/// </summary>
internal sealed record ConcatSpec(MethodTarget Method, EquatableArray<int> Channels, int Height, int Width) : ISpec
{
    public int Plane => Height * Width;

    public int OutChannels => Channels.Sum();
}

/// <summary>
/// One layer of a <c>[Network]</c>: its name (the method's), its spec with the input sizes inferred (the spec's method
/// is the private forward kernel the network calls), and the sizes of its output.
/// </summary>
/// <param name="Separate">
/// An activation whose derivative needs its input (<see cref="ActivationSpec.DerivativeFromOutput"/> false): the spec's
/// kernel then stores the pre-activation, which the network keeps for the backward pass, and applies this after it.
/// </param>
internal sealed record NetworkLayer(
    string Name, ISpec Spec, int InputLength, int OutChannels, int OutHeight, int OutWidth, ActivationSpec? Separate = null)
{
    /// <summary>Its kind, from its spec's type: what it plans and writes (<see cref="LayerKind"/>).</summary>
    public LayerKind Kind => LayerKind.Of(Spec);

    /// <summary>
    /// The layers it reads, by their index in the network's layers (which are in an order where every layer comes after
    /// the ones it reads); -1 is the network's input. One for most layers; the operands of an <c>[Add]</c> or <c>[Concat]</c>.
    /// </summary>
    public EquatableArray<int> Inputs { get; init; } = EquatableArray<int>.Empty;

    /// <summary>
    /// Whether the layer's forward pass is a kernel of its own (a file written by its layer's emitter, as for a stand-alone
    /// method); dense layers, sums and joins run in the network's kernel class instead, and a batch norm folded into a
    /// convolution has none: inference runs the convolution's folded kernel, training the network's own kernels.
    /// </summary>
    public bool HasKernelFile => Kind.HasKernelFile && Folded is null;

    /// <summary>
    /// For a <c>[BatchNorm2D]</c> that reads a convolution nothing else reads and that has no activation of its own: the
    /// convolution's inference kernel with the batch norm folded in (its weights and bias scaled per output channel, the
    /// batch norm's activation fused), which <c>Forward</c> runs instead of both; null otherwise.
    /// </summary>
    public ConvSpec? Folded { get; init; }

    /// <summary>
    /// For a stride-1 convolution: its input gradient as a forward convolution of the output gradient with the weights
    /// transposed (in and out channels swapped) and rotated 180° (<see cref="ConvSpec.FlipKernel"/> toggled), padded by
    /// <c>kernel − 1 − padding</c> on each side — so that the backward pass runs the same register-tiled kernels as the forward
    /// pass. Null for other layers, whose input gradient is written by the backward emitter.
    /// </summary>
    public ConvSpec? InputGradient { get; init; }

    /// <summary>
    /// For a convolution whose output rows are narrower than the widest vector: its weight gradient is a matrix product of
    /// the output gradient and the input unfolded (im2col), which puts the vectors along the weights instead of along
    /// those short rows; the workspace then holds the unfolded input.
    /// </summary>
    public bool WeightGradientByProduct { get; init; }

    /// <summary>
    /// The buffer its output goes to at inference (<see cref="NetworkSpec.Slots"/>), shared with tensors that are no longer
    /// read by then; -1 for a convolution a batch norm folds into, which inference does not run.
    /// </summary>
    public int Slot { get; init; } = -1;

    /// <summary>
    /// For an <c>[Add]</c> at inference: the index of the operand, the convolution just before it, whose Winograd form adds
    /// itself into the other operand's buffer and applies the sum's activation (<see cref="ConvSpec.Residual"/>), so that
    /// the sum costs no pass of its own; the sum then writes that operand's buffer (its <see cref="Slot"/>). For a
    /// <c>[MaxPool2D]</c> at inference: the index of the convolution just before it, whose pooled form
    /// (<see cref="ConvSpec.MaxPool"/>) writes the pool's output. -1 for every other layer.
    /// </summary>
    public int FusedProducer { get; init; } = -1;

    /// <summary>
    /// The layer with its activation taken out of its kernel and applied after it (<see cref="Separate"/>), so that the
    /// network keeps the pre-activation; a layer without an activation of its own is returned as it is.
    /// </summary>
    public NetworkLayer Unfused() => Kind.Unfused(this);

    /// <summary>Whether the network keeps this layer's pre-activation (see <see cref="Separate"/>).</summary>
    public bool KeepsPreActivation => Separate is not null;

    public int OutputLength => OutChannels * OutHeight * OutWidth;

    /// <summary>Whether the layer has trainable parameters: a convolution, dense layer or batch norm.</summary>
    public bool HasParameters => Kind.HasParameters;

    /// <summary>Whether the layer has weights a kernel multiplies by: a convolution or dense layer.</summary>
    public bool HasWeights => Kind.HasWeights;

    /// <summary>The layer whose parameters this one uses (<c>SharesWeightsWith</c>), or null for its own.</summary>
    public string? SharesWith { get; init; }

    /// <summary>Whether the layer has parameters of its own: a convolution or dense layer that shares none.</summary>
    public bool OwnsParameters => HasParameters && SharesWith is null;

    /// <summary>The layer whose parameters this one uses: itself unless it shares another's.</summary>
    public string Owner => SharesWith ?? Name;

    /// <summary>Whether a layer with parameters has a bias (<c>Bias = false</c> drops it; a batch norm's shift is its bias).</summary>
    public bool HasBias => Kind.HasBias(this);

    /// <summary>The prefix of its parameters' names (<c>{Prefix}.weight</c>): the attribute's <c>Name</c>, or the method's.</summary>
    public string Prefix { get; init; } = Name.TrimStart('@');

    /// <summary>Its activation: the one applied after its kernel (<see cref="Separate"/>), or the one its spec fuses.</summary>
    public ActivationSpec Activation => Separate ?? Kind.Activation(Spec);
}

/// <summary>A <c>[Network]</c> class: where it is, its input, and its layers in order.</summary>
/// <param name="HeForRelu">Whether layers followed by ReLU start He uniform (<c>Initialization.He</c>); otherwise every layer starts Glorot uniform.</param>
internal sealed record NetworkSpec(
    string Namespace, EquatableArray<ContainingType> Types, string Accessibility,
    int InputChannels, int InputHeight, int InputWidth, bool HeForRelu, EquatableArray<NetworkLayer> Layers, LossKind Loss = LossKind.SoftmaxCrossEntropy)
{
    public string Name => Types[Types.Count - 1].Name;

    public int InputLength => InputChannels * InputHeight * InputWidth;

    public int OutputLength => Layers[Layers.Count - 1].OutputLength;

    /// <summary>Whether some layer is a batch norm, whose running statistics the network keeps.</summary>
    public bool Normalizes => Layers.Any(l => l.Spec is BatchNormSpec);

    /// <summary>Whether some layer uses another's parameters, whose gradients are then added.</summary>
    public bool SharesWeights => Layers.Any(l => l.SharesWith is not null);

    /// <summary>Whether some layer reads more than one tensor, or some tensor is read more than once: then gradients are routed and added.</summary>
    public bool Branches => Layers.Any(l => l.Inputs.Count > 1) || Layers.SelectMany(l => l.Inputs).Where(i => i >= 0).GroupBy(i => i).Any(g => g.Count() > 1);

    public string HintName => HintNames.For(Namespace, Types, "Network");

    /// <summary>The floats per sample of each buffer inference writes layers' outputs to (<see cref="NetworkLayer.Slot"/>).</summary>
    public EquatableArray<int> Slots { get; init; } = EquatableArray<int>.Empty;
}
