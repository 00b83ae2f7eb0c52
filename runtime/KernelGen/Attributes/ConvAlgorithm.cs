namespace KernelGen;

/// <summary>How the generator computes a <c>[Conv2D]</c> layer (<see cref="Conv2DAttribute.Algorithm"/>).</summary>
public enum ConvAlgorithm
{
    /// <summary>
    /// The generator chooses from the shape (the generated remarks say which and why): the plain method is direct, and
    /// the packed overload is Winograd F(4×4, 3×3) for a 3×3, stride-1, undilated, ungrouped convolution with at least
    /// 16 input and 16 output channels whose output tiles fill the vectors; <see cref="PackedDirect"/> for an
    /// ungrouped one of at least 32 output channels and 64 products per output that is strided with a window of at
    /// most 3×3, is 1×1, or has output rows under 16 pixels; no packed overload otherwise.
    /// </summary>
    Auto,

    /// <summary>Direct convolution over the weights as stored only: no packed overload.</summary>
    Direct,

    /// <summary>
    /// Winograd F(4×4, 3×3) for the packed overload whenever the shape allows it (3×3, stride 1, dilation 1, one group);
    /// a compile-time error for any other shape.
    /// </summary>
    Winograd,

    /// <summary>
    /// A packed overload that is direct convolution with the output channels on the vector axis: its
    /// <c>{Method}PackWeights</c> lays the weights out [input channel, ky, kx, output channel], and each register tile
    /// broadcasts one input pixel against vectors of output channels (as ONNX Runtime's NCHWc kernels do). Every output
    /// is a sum of the same products as the plain method's, in another order. A compile-time error for a grouped layer.
    /// </summary>
    PackedDirect,

    /// <summary>
    /// Winograd F(2×2, 3×3) for the packed overload whenever the shape allows it (as <see cref="Winograd"/>): 16 products
    /// per 2×2 output tile and pair of channels where direct convolution takes 36, over weights 16 / 9 of the originals
    /// (F(4×4)'s are 4×) — for small planes, where F(4×4)'s tiles leave vectors empty and its weights stream from
    /// memory. Auto never chooses it for a kernel alone; a network's inference does, for a 3×3 stride-1 layer of at least
    /// 64 channels where F(4×4) does not pay (ResNet-18's 7×7 layers), over weights transformed once with <c>FixedWeights</c>.
    /// A compile-time error for any other shape.
    /// </summary>
    Winograd2x2,
}
