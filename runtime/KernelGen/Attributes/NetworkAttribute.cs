using System;

namespace KernelGen;

/// <summary>
/// Declares a whole network: the <c>partial</c> class's parameterless <c>partial void</c> methods that carry
/// layer attributes (<see cref="Conv2DAttribute"/>, <see cref="MaxPool2DAttribute"/>, <see cref="AvgPool2DAttribute"/>,
/// <see cref="GlobalAvgPool2DAttribute"/>, <see cref="DenseAttribute"/>, <see cref="AddAttribute"/>, <see cref="ConcatAttribute"/>, …)
/// are its layers. Each reads the layer declared before it unless its <c>Input</c> names another (or <see cref="Input"/>); an
/// <c>[Add]</c> and a <c>[Concat]</c> also read the layers they name; the last declared layer is the output. Only the input is
/// stated here; each layer's input shape is inferred from what it reads (a dense layer after a spatial one flattens it,
/// NCHW order), so the layers' own input sizes may be left out.
/// </summary>
/// <remarks>
/// The generator writes, for the class: the parameters (<c>{Layer}.weight</c>, <c>{Layer}.bias</c>) with
/// seeded Glorot or He initialisation (<see cref="Initialization"/>); buffers for a maximum batch; <c>Forward</c>, <c>Predict</c>; the backward
/// pass with softmax cross-entropy (<see cref="Training.INetwork"/>); and <c>Save</c>/<c>Load</c> as safetensors.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>
    /// The network's input as a layer's <c>Input</c> names it: <c>[Conv2D(Input = NetworkAttribute.Input, …)]</c> reads the
    /// input itself, so that two branches can both start from it.
    /// </summary>
    public const string Input = "input";

    /// <summary>Channels of one input sample.</summary>
    public int InputChannels { get; set; }

    /// <summary>Rows of one input sample.</summary>
    public int InputHeight { get; set; }

    /// <summary>Columns of one input sample.</summary>
    public int InputWidth { get; set; }

    /// <summary>
    /// How the weights start: <see cref="Training.Initialization.Glorot"/> (the default, as Keras does) draws every layer's
    /// weights Glorot uniform; <see cref="Training.Initialization.He"/> draws the weights of layers followed by ReLU He
    /// uniform and the others Glorot uniform. Biases always start at zero.
    /// </summary>
    public Training.Initialization Initialization { get; set; } = Training.Initialization.Glorot;

    /// <summary>
    /// What training minimises: <see cref="KernelGen.Loss.SoftmaxCrossEntropy"/> (the default; integer labels),
    /// <see cref="KernelGen.Loss.BinaryCrossEntropy"/> or <see cref="KernelGen.Loss.MeanSquaredError"/> (float targets, one per output).
    /// </summary>
    public Loss Loss { get; set; } = Loss.SoftmaxCrossEntropy;
}
