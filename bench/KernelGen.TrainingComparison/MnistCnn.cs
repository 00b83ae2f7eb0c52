namespace KernelGen.TrainingComparison;

/// <summary>
/// The network both frameworks train, as samples/Mnist declares it: a 3×3 convolution to 32 channels with ReLU,
/// 2×2 max pooling, a dense layer of 128 with ReLU, and 10 logits. The TorchSharp side is the same as an
/// <c>nn.Sequential</c> (<see cref="TorchTrainee"/>); KernelGen's generator writes the rest of this class.
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
