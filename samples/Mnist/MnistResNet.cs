using KernelGen.Training;

namespace KernelGen.Samples;

/// <summary>
/// A small ResNet for MNIST, declared as torchvision declares its ResNets and with their parameter names
/// (<c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer2.0.downsample.0.weight</c>, …): a 3×3 stem convolution with batch
/// norm and ReLU, a 2×2 max pool, one basic block of 32 channels at 14×14, one of 64 at 7×7 that halves the plane with a
/// stride-2 convolution and a 1×1 stride-2 projection shortcut, a global average pool and a dense head. Every
/// convolution is bias-free and followed by a batch norm, which inference folds into it.
/// </summary>
[Network(InputChannels = 1, InputHeight = 28, InputWidth = 28, Initialization = Initialization.He)]
public sealed partial class MnistResNet
{
    // Stem: 1×28×28 → 32×28×28 → 32×14×14.
    [Conv2D(OutChannels = 32, Kernel = 3, Padding = 1, Bias = false, Name = "conv1")] partial void Conv1();
    [BatchNorm2D(Activation = Activation.Relu, Name = "bn1")] partial void Bn1();
    [MaxPool2D(Kernel = 2)] partial void Pool();

    // layer1.0: two 3×3 convolutions and the identity shortcut.
    [Conv2D(OutChannels = 32, Kernel = 3, Padding = 1, Bias = false, Name = "layer1.0.conv1")] partial void Block1Conv1();
    [BatchNorm2D(Activation = Activation.Relu, Name = "layer1.0.bn1")] partial void Block1Bn1();
    [Conv2D(OutChannels = 32, Kernel = 3, Padding = 1, Bias = false, Name = "layer1.0.conv2")] partial void Block1Conv2();
    [BatchNorm2D(Name = "layer1.0.bn2")] partial void Block1Bn2();
    [Add(nameof(Pool), Activation = Activation.Relu)] partial void Block1();

    // layer2.0: 32×14×14 → 64×7×7, the shortcut projected by a 1×1 stride-2 convolution.
    [Conv2D(OutChannels = 64, Kernel = 3, Stride = 2, Padding = 1, Bias = false, Name = "layer2.0.conv1")] partial void Block2Conv1();
    [BatchNorm2D(Activation = Activation.Relu, Name = "layer2.0.bn1")] partial void Block2Bn1();
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1, Bias = false, Name = "layer2.0.conv2")] partial void Block2Conv2();
    [BatchNorm2D(Name = "layer2.0.bn2")] partial void Block2Bn2();
    [Conv2D(OutChannels = 64, Kernel = 1, Stride = 2, Bias = false, Input = nameof(Block1), Name = "layer2.0.downsample.0")] partial void Shortcut();
    [BatchNorm2D(Name = "layer2.0.downsample.1")] partial void ShortcutBn();
    [Add(nameof(Block2Bn2), Activation = Activation.Relu)] partial void Block2();

    // Head: 64×7×7 → 64 → 10.
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 10, Name = "fc")] partial void Fc();

    /// <summary>
    /// Adam's learning rate for <paramref name="epoch"/> (from 0) of <paramref name="epochs"/>: 10⁻³, and 10⁻⁴ for the last two
    /// epochs of three or more (a step decay, PyTorch's <c>MultiStepLR</c> with γ = 0.1), which settles the weights and the
    /// batch norms' running statistics.
    /// </summary>
    public static float LearningRate(int epoch, int epochs) => epochs >= 3 && epoch >= epochs - 2 ? 1e-4f : 1e-3f;
}
