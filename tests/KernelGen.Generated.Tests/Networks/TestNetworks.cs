namespace KernelGen.Generated.Tests.Networks;

/// <summary>The MNIST model of the README and the sample.</summary>
[Network(InputChannels = 1, InputHeight = 28, InputWidth = 28)]
public sealed partial class MnistCnn
{
    [Conv2D(OutChannels = 32, Kernel = 3, Activation = Activation.Relu)] partial void Conv1();
    [MaxPool2D(Kernel = 2)] partial void Pool1();
    [Dense(OutFeatures = 128, Activation = Activation.Relu)] partial void Fc1();
    [Dense(OutFeatures = 10)] partial void Logits();
}

/// <summary>
/// Every layer kind and every backward kernel: padding, stride, dilation, groups, a flipped kernel, each activation,
/// max and average pools (with padding, both divisors), a global pool, and dense layers; the first layer's input
/// sizes stated (and agreeing), the rest inferred; He initialisation for the ReLU layers.
/// </summary>
[Network(InputChannels = 2, InputHeight = 13, InputWidth = 11, Initialization = Training.Initialization.He)]
internal sealed partial class EveryLayer
{
    [Conv2D(InChannels = 2, Height = 13, Width = 11, OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Tanh)] partial void Conv1();
    [AvgPool2D(Kernel = 3, Stride = 2, Padding = 1)] partial void Pool1();
    [Conv2D(OutChannels = 6, KernelHeight = 3, KernelWidth = 2, StrideWidth = 2, Padding = 1, Groups = 2, Activation = Activation.Relu, FlipKernel = true)] partial void Conv2();
    [MaxPool2D(Kernel = 2, Stride = 1)] partial void Pool2();
    [Conv2D(OutChannels = 8, Kernel = 3, Dilation = 2, Padding = 2, Activation = Activation.Sigmoid)] partial void Conv3();
    [AvgPool2D(Kernel = 2, Padding = 1, CountIncludePad = true)] partial void Pool3();
    [Conv2D(OutChannels = 12, Kernel = 1)] partial void Conv4();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 9, Activation = Activation.Relu)] partial void Fc1();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary>
/// What the other two leave out: a first layer without parameters (a padded max pool), rows wide enough for the vector
/// loops of every convolution gradient (flipped, depthwise, "same" padding with an even kernel and stride 2 on both
/// axes, dilated), a rectangular pool window that tiles its plane, dense layers whose widths leave a vector tail,
/// fewer than four outputs, and an activation on the last layer.
/// </summary>
[Network(InputChannels = 3, InputHeight = 18, InputWidth = 20)]
internal sealed partial class WideLayers
{
    [MaxPool2D(Kernel = 3, Stride = 1, Padding = 1)] partial void Pool0();
    [Conv2D(OutChannels = 6, Kernel = 3, Padding = 1, FlipKernel = true, Activation = Activation.Relu)] partial void Conv1();
    [Conv2D(OutChannels = 6, Kernel = 3, Padding = 1, Groups = 6, Activation = Activation.Tanh)] partial void Depthwise();
    [Conv2D(OutChannels = 8, Kernel = 4, Stride = 2, SamePadding = true)] partial void Conv2();
    [Conv2D(OutChannels = 8, Kernel = 3, Dilation = 2, Padding = 2, Activation = Activation.Relu)] partial void Dilated();
    [MaxPool2D(KernelHeight = 3, KernelWidth = 2)] partial void Pool1();
    [Dense(OutFeatures = 20, Activation = Activation.Relu)] partial void Fc1();
    [Dense(OutFeatures = 3, Activation = Activation.Sigmoid)] partial void Out();
}

/// <summary>A global max pool over planes of 18×19 (wide enough for every vector width, with a tail), after a convolution.</summary>
[Network(InputChannels = 2, InputHeight = 20, InputWidth = 21)]
internal sealed partial class GlobalMax
{
    [Conv2D(OutChannels = 5, Kernel = 3, Activation = Activation.Tanh)] partial void Conv1();
    [GlobalMaxPool2D] partial void Gmp();
    [Dense(OutFeatures = 4)] partial void Out();
}

/// <summary>
/// Pools in ceil mode, whose last windows reach past the padding: an average counting the padding (divided by the part
/// within it) and a max pool over an odd plane, with padding on one side only.
/// </summary>
[Network(InputChannels = 2, InputHeight = 16, InputWidth = 18)]
internal sealed partial class CeilPools
{
    [Conv2D(OutChannels = 4, Kernel = 3, Activation = Activation.Relu)] partial void Conv1();
    [AvgPool2D(Kernel = 3, Stride = 2, Padding = 1, CeilMode = true, CountIncludePad = true)] partial void Pool1();
    [MaxPool2D(Kernel = 2, PaddingLeft = 1, CeilMode = true)] partial void Pool2();
    [Dense(OutFeatures = 3)] partial void Out();
}

/// <summary>
/// The piecewise-linear activations a network can train through: LeakyReLU with a set slope and with the default one,
/// ReLU6 on a depthwise convolution, HardSigmoid on a dense layer.
/// </summary>
[Network(InputChannels = 3, InputHeight = 12, InputWidth = 14)]
internal sealed partial class PiecewiseActivations
{
    [Conv2D(OutChannels = 6, Kernel = 3, Padding = 1, Activation = Activation.LeakyRelu, LeakyReluSlope = 0.2f)] partial void Conv1();
    [Conv2D(OutChannels = 6, Kernel = 3, Padding = 1, Groups = 6, Activation = Activation.Relu6)] partial void Depthwise();
    [MaxPool2D(Kernel = 2)] partial void Pool1();
    [Dense(OutFeatures = 16, Activation = Activation.HardSigmoid)] partial void Fc1();
    [Dense(OutFeatures = 4, Activation = Activation.LeakyRelu)] partial void Out();
}

/// <summary>
/// The activations whose derivative needs the layer's input, which the network keeps: HardSwish, SiLU on a depthwise
/// convolution, GELU, LeakyReLU with a negative slope; and a dilated, padded max pool between them.
/// </summary>
[Network(InputChannels = 3, InputHeight = 12, InputWidth = 14)]
internal sealed partial class SmoothActivations
{
    [Conv2D(OutChannels = 6, Kernel = 3, Padding = 1, Activation = Activation.HardSwish)] partial void Conv1();
    [Conv2D(OutChannels = 6, Kernel = 3, Padding = 1, Groups = 6, Activation = Activation.Silu)] partial void Depthwise();
    [MaxPool2D(Kernel = 2, Stride = 2, Dilation = 2, Padding = 1)] partial void Pool1();
    [Dense(OutFeatures = 16, Activation = Activation.Gelu)] partial void Fc1();
    [Dense(OutFeatures = 4, Activation = Activation.LeakyRelu, LeakyReluSlope = -0.5f)] partial void Out();
}

/// <summary>
/// torchvision's way of naming and biasing: convolutions without bias before a pooling, parameters under dotted names
/// (<c>layer1.0.conv1.weight</c>), a dense head with a bias.
/// </summary>
[Network(InputChannels = 2, InputHeight = 9, InputWidth = 11)]
internal sealed partial class TorchNames
{
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false, Name = "conv1", Activation = Activation.Tanh)] partial void Conv1();
    [Conv2D(OutChannels = 4, Kernel = 3, Stride = 2, Bias = false, Name = "layer1.0.conv1", Activation = Activation.Relu)] partial void Block1();
    [Dense(OutFeatures = 6, Bias = false, Name = "layer1.0.fc", Activation = Activation.Tanh)] partial void Hidden();
    [Dense(OutFeatures = 3, Name = "fc")] partial void Head();
}

/// <summary>A 1×1 convolution without activation into a 2×2 max pool whose rows hold more than eight windows: with the
/// convolution set to copy its input, inputs with repeated values make windows with ties.</summary>
[Network(InputChannels = 1, InputHeight = 16, InputWidth = 20)]
internal sealed partial class TiedWindows
{
    [Conv2D(OutChannels = 1, Kernel = 1)] partial void Copy();
    [MaxPool2D(Kernel = 2)] partial void Pool();
    [Dense(OutFeatures = 3)] partial void Out();
}
