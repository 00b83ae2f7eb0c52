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
}
