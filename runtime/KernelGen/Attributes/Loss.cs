namespace KernelGen;

/// <summary>What a <c>[Network]</c> is trained to minimise (<c>[Network(Loss = …)]</c>).</summary>
public enum Loss
{
    /// <summary>
    /// Softmax over the last layer's outputs (logits, one per class) and the cross-entropy with an integer label: Keras's
    /// <c>sparse_categorical_crossentropy</c> from logits, PyTorch's <c>CrossEntropyLoss</c>. The default.
    /// </summary>
    SoftmaxCrossEntropy = 0,

    /// <summary>
    /// Binary cross-entropy of each output against a target in [0, 1], averaged over the outputs: Keras's
    /// <c>binary_crossentropy</c> after a sigmoid layer, PyTorch's <c>BCEWithLogitsLoss</c>. The last layer has
    /// <c>Activation.Sigmoid</c> (its outputs are probabilities) or none (its outputs are logits); either way the loss is
    /// computed from the pre-activation, <c>max(z, 0) − z·t + log(1 + e^(−|z|))</c>, which stays finite and exact where a
    /// probability rounds to 0 or 1.
    /// </summary>
    BinaryCrossEntropy = 1,

    /// <summary>The mean over the outputs of <c>(output − target)²</c>: Keras's <c>mse</c>, PyTorch's <c>MSELoss</c>.</summary>
    MeanSquaredError = 2,
}
