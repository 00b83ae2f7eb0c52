namespace KernelGen.Generated.Tests.Networks;

/// <summary>A binary classifier as Keras writes one: two sigmoid outputs, binary cross-entropy.</summary>
[Network(InputChannels = 1, InputHeight = 5, InputWidth = 5, Loss = Loss.BinaryCrossEntropy)]
internal sealed partial class Binary
{
    [Conv2D(OutChannels = 2, Kernel = 3, Padding = 1, Activation = Activation.Tanh)] partial void Conv1();
    [MaxPool2D(Kernel = 2, SamePadding = true)] partial void Pool1();
    [Dense(OutFeatures = 2, Activation = Activation.Sigmoid)] partial void Out();
}

/// <summary>One sigmoid output: <c>Predict</c> gives class 1 above one half.</summary>
[Network(InputChannels = 1, InputHeight = 4, InputWidth = 4, Loss = Loss.BinaryCrossEntropy)]
internal sealed partial class OneSigmoid
{
    [Dense(OutFeatures = 1, Activation = Activation.Sigmoid)] partial void Out();
}

/// <summary>A regression: mean squared error on three linear outputs.</summary>
[Network(InputChannels = 1, InputHeight = 4, InputWidth = 4, Loss = Loss.MeanSquaredError)]
internal sealed partial class Regression
{
    [Dense(OutFeatures = 6, Activation = Activation.Tanh)] partial void Hidden();
    [Dense(OutFeatures = 3)] partial void Out();
}

/// <summary>
/// Seed 002's Keras model in small: one convolution applied twice with shared weights (<c>SharesWeightsWith</c>), a
/// "same" max pool, one sigmoid output, binary cross-entropy.
/// </summary>
[Network(InputChannels = 1, InputHeight = 6, InputWidth = 6, Loss = Loss.BinaryCrossEntropy)]
internal sealed partial class SharedConv
{
    [Conv2D(OutChannels = 1, Kernel = 3, SamePadding = true, Activation = Activation.Tanh)] partial void Conv();
    [Conv2D(OutChannels = 1, Kernel = 3, SamePadding = true, Activation = Activation.Tanh, SharesWeightsWith = nameof(Conv))] partial void Again();
    [MaxPool2D(Kernel = 2, SamePadding = true)] partial void Pool();
    [Dense(OutFeatures = 1, Activation = Activation.Sigmoid)] partial void Out();
}
