using System.Collections.Generic;
using System.Linq;
using KernelGen.Generator.Emit;
using KernelGen.Generator.Model;
using KernelGen.Generator.Planning;

namespace KernelGen.Generator.Layers;

/// <summary>
/// One kind of network layer, and everything the generator knows about it: its activation and output shape, its
/// parameters and workspace buffers, the plan of its forward kernel, and the code it adds to a network — its kernels in the
/// network's kernel class (the backward ones, and the forward ones of layers without a kernel file) and its lines in
/// <c>RunForward</c> and <c>Backward</c>. A layer's kind follows from its spec's type (<see cref="Of"/>): there is one
/// discriminator, and this is the one place that switches on it.
/// </summary>
internal abstract class LayerKind
{
    /// <summary>The kind of a layer whose spec is <paramref name="spec"/>.</summary>
    public static LayerKind Of(ISpec spec) => spec switch
    {
        ConvSpec => ConvLayer.Instance,
        DenseSpec => DenseLayer.Instance,
        PoolSpec => PoolLayer.Instance,
        GlobalPoolSpec => GlobalPoolLayer.Instance,
        AddSpec => AddLayer.Instance,
        ConcatSpec => ConcatLayer.Instance,
        BatchNormSpec => BatchNormLayer.Instance,
        _ => throw new System.InvalidOperationException($"No layer kind for {spec.GetType().Name}."),
    };

    /// <summary>What the layer is, for the generated comments: "3×3 convolution, Relu".</summary>
    public abstract string Describe(NetworkLayer layer);

    /// <summary>Whether its output is flat (features, not channels × height × width) whatever it reads.</summary>
    public virtual bool FlatOutput => false;

    /// <summary>Whether it has trainable parameters.</summary>
    public virtual bool HasParameters => false;

    /// <summary>Whether it has weights a kernel multiplies by (a convolution or dense layer).</summary>
    public virtual bool HasWeights => false;

    /// <summary>Whether a layer with parameters has a bias.</summary>
    public virtual bool HasBias(NetworkLayer layer) => false;

    /// <summary>The activation its spec applies.</summary>
    public virtual ActivationSpec Activation(ISpec spec) => ActivationSpec.None;

    /// <summary>The layer with its activation taken out of its kernel, to be applied after it (<see cref="NetworkLayer.Separate"/>).</summary>
    public virtual NetworkLayer Unfused(NetworkLayer layer) => layer;

    /// <summary>
    /// Whether its forward pass is a kernel file of its own, written as for a stand-alone method; the others run in the
    /// network's kernel class (<see cref="WriteKernels"/>).
    /// </summary>
    public virtual bool HasKernelFile => true;

    /// <summary>The plan of its forward kernel file (<see cref="HasKernelFile"/>).</summary>
    public virtual IPlan Plan(ISpec spec, bool legacyIntrinsics) =>
        throw new System.InvalidOperationException($"{GetType().Name} has no kernel file.");

    /// <summary>The <c>partial</c> declaration of its forward kernel in the network class (<see cref="HasKernelFile"/>).</summary>
    public virtual string Declaration(NetworkLayer layer) => $"private static partial void {layer.Spec.Method.Name}({NetworkCalls.ReadOnlySpan} input, {NetworkCalls.Span} output, int batch);";

    /// <summary>The tensors it owns, in the order <c>Parameters</c> lists them.</summary>
    /// <param name="layer">The layer.</param>
    /// <param name="he">Whether its weights start He uniform rather than Glorot uniform.</param>
    public virtual IReadOnlyList<ParameterTensor> Tensors(NetworkLayer layer, bool he) => [];

    /// <summary>Its weights' shape as PyTorch has it, and the fans for initialisation; empty for a layer without weights.</summary>
    public virtual (int[] Shape, int FanIn, int FanOut) WeightShape(NetworkLayer layer) => (System.Array.Empty<int>(), 0, 0);

    /// <summary>The workspace buffers it needs besides its output, its output's gradient and its pre-activation.</summary>
    public virtual IEnumerable<WorkspaceBuffer> Buffers(NetworkSpec spec, NetworkLayer layer) => [];

    /// <summary>Its kernels in the network's kernel class: its backward pass, and its forward pass when it has no kernel file.</summary>
    public abstract void WriteKernels(CodeWriter w, IReadOnlyList<SimdPath> paths, NetworkSpec spec, NetworkLayer layer);

    /// <summary>Its forward pass in <c>RunForward</c> or <c>RunInference</c>, into <paramref name="target"/>, an array of the workspace.</summary>
    public abstract string Forward(NetworkCalls c, NetworkLayer layer, string target);

    /// <summary>Its forward pass as lines of <c>RunForward</c> or <c>RunInference</c>: <see cref="Forward"/>'s call by default.</summary>
    public virtual void WriteForward(CodeWriter w, NetworkCalls c, NetworkLayer layer, string target) => w.Line(Forward(c, layer, target));

    /// <summary>
    /// In <c>Backward</c>, after its activation's derivative: its parameters' gradients. <paramref name="accumulate"/> when
    /// another layer sharing them has written them already, so that this one adds its share.
    /// </summary>
    public virtual void WriteParameterGradients(CodeWriter w, NetworkCalls c, NetworkLayer layer, bool accumulate)
    {
    }

    /// <summary>
    /// In <c>Backward</c>: the gradient with respect to its <paramref name="operand"/>th input, written into that tensor's
    /// gradient, or added to it when <paramref name="add"/> (another reader has written it already). By default the layer's
    /// <c>{Layer}InputGradient</c> kernel (<see cref="InputGradient"/>), through the scratch buffer when adding.
    /// </summary>
    public virtual void WriteInputGradient(CodeWriter w, NetworkCalls c, NetworkLayer layer, int operand, bool add)
    {
        string target = c.Start($"buffers.{c.Spec.Layers[layer.Inputs[operand]].Name}Gradient");
        w.Line(InputGradient(c, layer, add ? c.Start("buffers.Scratch") : target));
        if (add)
        {
            w.Line(Invariant($"{c.Kernels}.Accumulate({c.Start("buffers.Scratch")}, {target}, batch * {c.Spec.Layers[layer.Inputs[operand]].OutputLength});"));
        }
    }

    /// <summary>The call of its <c>{Layer}InputGradient</c> kernel, writing the input's gradient at <paramref name="gradInput"/>.</summary>
    protected virtual string InputGradient(NetworkCalls c, NetworkLayer layer, string gradInput) =>
        $"{c.Kernels}.{layer.Name}InputGradient({c.Start($"buffers.{layer.Name}Gradient")}, {gradInput}, batch);";
}

/// <summary>
/// How a network's generated code names what its layers' calls pass: its file-local kernel class, and the workspace's
/// buffers (<c>buffers</c>) and the network's input (<c>input</c>) as the kernels take them.
/// </summary>
internal sealed class NetworkCalls(NetworkSpec spec, string kernels, bool inference = false)
{
    public const string Span = "global::System.Span<float>";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    public NetworkSpec Spec => spec;

    /// <summary>
    /// What a convolution's or pool's call passes after its batch: at inference, the network's <c>Parallelism</c> (the overload that
    /// splits the work among threads); in training, nothing.
    /// </summary>
    public string Threads => inference ? ", Parallelism" : "";

    /// <summary>Whether these calls are inference's (the workspace's activation slots, the network's threads, Winograd weights).</summary>
    public bool Inference => inference;

    /// <summary>The network's kernel class.</summary>
    public string Kernels => kernels;

    /// <summary>A <c>ref float</c> argument: the first element of an array (or span).</summary>
    public string Start(string array) => $"ref {kernels}.Start({array})";

    /// <summary>
    /// The array a layer's output is in: its own, <c>{Layer}Output</c>, which training keeps for the backward pass, or at
    /// inference the buffer it shares with tensors no longer read (<see cref="NetworkLayer.Slot"/>).
    /// </summary>
    public string Output(NetworkLayer layer) => inference ? Invariant($"buffers.Activations{layer.Slot}") : $"buffers.{layer.Name}Output";

    /// <summary>The tensor a layer reads, as the workspace holds it: the network's input (-1) or a layer's output.</summary>
    public string Tensor(int index) => index < 0 ? "input" : Output(spec.Layers[index]);

    /// <summary>The tensor at <paramref name="index"/> as a read-only span of the batch's samples.</summary>
    public string Read(int index) => index < 0 ? "input" : Invariant($"new {ReadOnlySpan}({Tensor(index)}, 0, batch * {spec.Layers[index].OutputLength})");

    /// <summary>The array <paramref name="target"/>, written with a layer's output, as a span of the batch's samples.</summary>
    public static string Written(NetworkLayer layer, string target) => Invariant($"new {Span}({target}, 0, batch * {layer.OutputLength})");

    /// <summary>The tensors a layer reads, as <c>ref float</c> arguments.</summary>
    public string Sources(NetworkLayer layer) => string.Join(", ", layer.Inputs.Select(k => Start(Tensor(k))));

    /// <summary>The index in <c>Parameters</c> (and the workspace's gradients) of a layer's first parameter.</summary>
    public int ParameterIndex(NetworkLayer layer) =>
        spec.Layers.TakeWhile(l => !ReferenceEquals(l, layer)).Where(l => l.OwnsParameters).Sum(l => l.Kind.Tensors(l, false).Count);

    /// <summary>The layer named <paramref name="name"/>.</summary>
    public NetworkLayer Layer(string name) => spec.Layers.First(l => l.Name == name);
}

/// <summary>A buffer of a network's workspace: its member suffix (<c>{Layer}{Name}</c>), its length as C#, and what it holds.</summary>
/// <param name="Inference">Whether inference uses it (allocated with the activation buffers); otherwise only training does.</param>
internal sealed record WorkspaceBuffer(string Name, string Length, string? Summary = null, bool Inference = false);

/// <summary>
/// One tensor of a network layer's state: its member suffix (<c>Conv1Weight</c>), its name suffix in saved files
/// (<c>conv1.weight</c>), shape, initialisation, whether it is a buffer (saved, not trained), and its fans.
/// </summary>
internal sealed record ParameterTensor(
    string Member, string Suffix, int[] Shape, string Initialization, bool Buffer, int FanIn, int FanOut, string Description, string Layout = "");
