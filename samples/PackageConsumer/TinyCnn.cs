using KernelGen;

namespace PackageConsumer;

/// <summary>
/// A network small enough to check by hand: 1×6×6 in, a 3×3 convolution to two channels with padding 1 and ReLU,
/// 2×2 max pooling, three logits. The generator writes its parameters, forward and backward passes, Save and Load.
/// </summary>
[Network(InputChannels = 1, InputHeight = 6, InputWidth = 6)]
internal sealed partial class TinyCnn
{
    [Conv2D(OutChannels = 2, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Conv();

    [MaxPool2D(Kernel = 2)]
    partial void Pool();

    [Dense(OutFeatures = 3)]
    partial void Logits();
}
