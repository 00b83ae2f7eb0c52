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
