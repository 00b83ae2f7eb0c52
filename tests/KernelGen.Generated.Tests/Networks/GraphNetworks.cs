namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// A residual block and a branch from the input joined along channels: <c>Stem</c> is read by <c>Conv1</c> and by the
/// <c>[Add]</c> (its gradient is the sum of both), the network's input by <c>Stem</c> and by <c>Side</c>, and a
/// <c>[Concat]</c> joins the block's pooled output and the side branch; layers read others than the one declared before.
/// </summary>
[Network(InputChannels = 2, InputHeight = 10, InputWidth = 12)]
internal sealed partial class Residual
{
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Tanh)] partial void Stem();
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Tanh)] partial void Conv1();
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1)] partial void Conv2();
    [Add(nameof(Stem), Activation = Activation.Tanh)] partial void Block();
    [Conv2D(OutChannels = 3, Kernel = 1, Input = NetworkAttribute.Input)] partial void Side();
    [AvgPool2D(Kernel = 2)] partial void SidePool();
    [MaxPool2D(Kernel = 2, Input = nameof(Block))] partial void Pool();
    [Concat(nameof(SidePool))] partial void Join();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary>
/// What <see cref="Residual"/> leaves out: a layer declared before the layer it reads (<c>Hidden</c>), an <c>[Add]</c>
/// that reads one tensor twice, with GELU (kept pre-activation), a dense layer with SiLU, and a <c>[Concat]</c> of flat
/// features whose second operand (<c>Gap</c>) is also read by <c>Hidden</c>.
/// </summary>
[Network(InputChannels = 3, InputHeight = 6, InputWidth = 7)]
internal sealed partial class Branchy
{
    [Dense(OutFeatures = 8, Input = nameof(Gap), Activation = Activation.Silu)] partial void Hidden();
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Input = NetworkAttribute.Input, Activation = Activation.Tanh)] partial void Conv1();
    [Add(nameof(Conv1), Activation = Activation.Gelu)] partial void Twice();
    [GlobalAvgPool2D] partial void Gap();
    [Concat(nameof(Gap), Input = nameof(Hidden))] partial void Join();
    [Dense(OutFeatures = 3)] partial void Out();
}
