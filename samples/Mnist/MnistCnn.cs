using KernelGen.Training;

namespace KernelGen.Samples;

/// <summary>
/// The classic small MNIST network: a 3×3 convolution to 32 channels with ReLU, 2×2 max pooling, a dense
/// layer of 128 with ReLU, and 10 logits. KernelGen's generator writes the rest of the class: the
/// parameters, <c>Forward</c>, <c>Predict</c>, the backward pass for <see cref="Trainer"/>, <c>Save</c> and <c>Load</c>.
/// </summary>
[Network(InputChannels = 1, InputHeight = 28, InputWidth = 28)]
public sealed partial class MnistCnn
{
    [Conv2D(OutChannels = 32, Kernel = 3, Activation = Activation.Relu)]
    partial void Conv1();

    [MaxPool2D(Kernel = 2)]
    partial void Pool1();

    [Dense(OutFeatures = 128, Activation = Activation.Relu)]
    partial void Fc1();

    [Dense(OutFeatures = 10)]
    partial void Logits();
}
