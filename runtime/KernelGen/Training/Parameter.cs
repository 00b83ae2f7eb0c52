using System;
using System.Collections.Generic;
using System.Threading;

namespace KernelGen.Training;

/// <summary>How a parameter's first values are drawn.</summary>
public enum Initialization
{
    /// <summary>All zeros (biases).</summary>
    Zeros,

    /// <summary>He (Kaiming) uniform, U(±√(6 / fanIn)): for weights followed by ReLU.</summary>
    He,

    /// <summary>Glorot (Xavier) uniform, U(±√(6 / (fanIn + fanOut))): for weights followed by no activation, sigmoid or tanh.</summary>
    Glorot,

    /// <summary>All ones (a batch norm's scale, its running variance).</summary>
    Ones,
}

/// <summary>
/// One tensor of a network's state — a layer's weights or bias, or a buffer such as a batch norm's running mean —
/// with its values, the gradient of the last training step, and whether training may change it.
/// </summary>
/// <remarks>
/// A buffer (<see cref="IsBuffer"/>, PyTorch's term) is saved and loaded with the parameters but is not trained: it is
/// always <see cref="Frozen"/>, so optimizers and the <see cref="Trainer"/> leave it alone; the network updates it itself.
/// </remarks>
public sealed class Parameter
{
    private bool _frozen;
    private float[]? _gradients;
    private long _version;

    /// <summary>Creates a parameter of the given shape, all zeros until <see cref="Initialize"/> is called.</summary>
    /// <param name="name">Its name in saved files, such as <c>Conv1.weight</c>.</param>
    /// <param name="shape">Its shape: OIHW for convolution weights, [out, in] for dense weights, [out] for biases.</param>
    /// <param name="initialization">How <see cref="Initialize"/> draws its values.</param>
    /// <param name="fanIn">Inputs that feed each output (in-channels per group × kernel area, or in-features).</param>
    /// <param name="fanOut">Outputs each input feeds (out-channels per group × kernel area, or out-features).</param>
    public Parameter(string name, int[] shape, Initialization initialization, int fanIn, int fanOut)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        Shape = (int[])shape.Clone();
        int length = 1;
        foreach (int size in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(shape));
            length = checked(length * size);
        }

        Values = new float[length];
        Initialization = initialization;
        FanIn = fanIn;
        FanOut = fanOut;
    }

    /// <summary>
    /// Creates a buffer: state saved with the parameters but not trained (<see cref="IsBuffer"/>), such as a batch norm's
    /// <c>running_mean</c> (<see cref="Initialization.Zeros"/>) or <c>running_var</c> (<see cref="Initialization.Ones"/>).
    /// </summary>
    public static Parameter Buffer(string name, int[] shape, Initialization initialization) =>
        initialization is Initialization.Zeros or Initialization.Ones
            ? new Parameter(name, shape, initialization, 0, 0) { IsBuffer = true }
            : throw new ArgumentOutOfRangeException(nameof(initialization), initialization, "A buffer starts at zeros or ones.");

    /// <summary>Its name in saved files: <c>{Layer}.weight</c>, <c>{Layer}.bias</c>, <c>{Layer}.running_mean</c>…, as PyTorch names them.</summary>
    public string Name { get; }

    /// <summary>Its shape.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>Its values, row-major in <see cref="Shape"/>.</summary>
    public float[] Values { get; }

    /// <summary>
    /// How many times <see cref="Values"/> have been changed through the library — <see cref="Initialize"/>, a network's
    /// <c>Load</c>, an <see cref="Optimizer"/>'s step, a batch norm's running statistics — or declared changed with
    /// <see cref="ValuesChanged"/>. A network whose <c>FixedWeights</c> is set packs a layer's weights again only when
    /// this moves.
    /// </summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// Declares that <see cref="Values"/> were written directly (<c>parameter.Values[i] = …</c>), so that a network with
    /// <c>FixedWeights</c> set packs them again on its next call. Changes made through the library declare themselves;
    /// a network without <c>FixedWeights</c> needs no call (it compares the weights it packed).
    /// </summary>
    public void ValuesChanged() => Interlocked.Increment(ref _version);

    /// <summary>
    /// The gradient of the loss with respect to <see cref="Values"/> from the last training step: zeros until then, and
    /// made on first use, so that a network used only for inference holds its values alone (ResNet-18: 47 MB, not 94).
    /// </summary>
    public float[] Gradients => _gradients ?? CreateGradients();

    /// <summary>
    /// When set, optimizers leave the values as they are and the backward pass skips this parameter's gradient.
    /// Always set for a buffer.
    /// </summary>
    public bool Frozen
    {
        get => _frozen || IsBuffer;
        set => _frozen = value;
    }

    /// <summary>Whether this is a buffer (see <see cref="Buffer"/>): saved and loaded, but updated by the network, not trained.</summary>
    public bool IsBuffer { get; private init; }

    /// <summary>How <see cref="Initialize"/> draws its values.</summary>
    public Initialization Initialization { get; }

    /// <summary>Inputs that feed each output.</summary>
    public int FanIn { get; }

    /// <summary>Outputs each input feeds.</summary>
    public int FanOut { get; }

    /// <summary>Draws new values from <paramref name="random"/> as <see cref="Initialization"/> says, and clears the gradient.</summary>
    public void Initialize(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double bound = Initialization switch
        {
            Initialization.He => Math.Sqrt(6.0 / FanIn),
            Initialization.Glorot => Math.Sqrt(6.0 / (FanIn + FanOut)),
            _ => 0,
        };
        for (int i = 0; i < Values.Length; i++)
        {
            Values[i] = Initialization == Initialization.Ones ? 1f : bound == 0 ? 0f : (float)(((random.NextDouble() * 2) - 1) * bound);
        }

        if (_gradients is not null)
        {
            Array.Clear(_gradients);
        }

        ValuesChanged();
    }

    /// <summary>The gradients' array, made on first use (by training) and shared by every thread that asks at once.</summary>
    private float[] CreateGradients()
    {
        Interlocked.CompareExchange(ref _gradients, new float[Values.Length], null);
        return _gradients;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]{(IsBuffer ? " (buffer)" : Frozen ? " (frozen)" : "")}";
}
