namespace KernelGen;

/// <summary>How the generator computes a <c>[Conv2D]</c> layer (<see cref="Conv2DAttribute.Algorithm"/>).</summary>
public enum ConvAlgorithm
{
    /// <summary>
    /// The generator chooses from the shape: Winograd F(4×4, 3×3) for a 3×3, stride-1, undilated, ungrouped
    /// convolution with at least 16 input and 16 output channels whose output tiles fill the vectors (the generated
    /// remarks say which and why); otherwise direct.
    /// </summary>
    Auto,

    /// <summary>Direct convolution only: every output is a sum of products of the weights as stored.</summary>
    Direct,

    /// <summary>
    /// Winograd F(4×4, 3×3) for the packed overload whenever the shape allows it (3×3, stride 1, dilation 1, one group);
    /// a compile-time error for any other shape.
    /// </summary>
    Winograd,
}
