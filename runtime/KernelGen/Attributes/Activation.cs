namespace KernelGen;

/// <summary>
/// An element-wise function applied to a layer's output, fused into the store. The definitions are PyTorch's; how each
/// is computed, and its error, is in docs/activations.md.
/// </summary>
public enum Activation
{
    /// <summary>The identity: the output is stored as computed.</summary>
    None = 0,

    /// <summary><c>max(0, x)</c>.</summary>
    Relu = 1,

    /// <summary><c>1 / (1 + exp(-x))</c>.</summary>
    Sigmoid = 2,

    /// <summary><c>tanh(x)</c>.</summary>
    Tanh = 3,

    /// <summary>
    /// <c>x</c> where <c>x &gt; 0</c>, else <c>slope · x</c>, the slope from the layer's <c>LeakyReluSlope</c> (0.01 by default,
    /// as PyTorch's <c>LeakyReLU</c> and ONNX's <c>LeakyRelu</c> default to).
    /// </summary>
    LeakyRelu = 4,

    /// <summary><c>min(max(0, x), 6)</c>, PyTorch's <c>ReLU6</c> (ONNX <c>Clip(0, 6)</c>).</summary>
    Relu6 = 5,

    /// <summary>
    /// <c>relu6(x + 3) / 6</c>, PyTorch's <c>Hardsigmoid</c> as MobileNetV3 uses it (ONNX's <c>HardSigmoid</c> with
    /// <c>alpha = 1/6</c>, <c>beta = 0.5</c>; its default <c>alpha = 0.2</c> is a different function).
    /// </summary>
    HardSigmoid = 6,

    /// <summary><c>x · relu6(x + 3) / 6</c>, PyTorch's <c>Hardswish</c> (ONNX <c>HardSwish</c>).</summary>
    HardSwish = 7,

    /// <summary><c>x · σ(x) = x / (1 + exp(-x))</c>, PyTorch's <c>SiLU</c> (also called swish).</summary>
    Silu = 8,

    /// <summary>
    /// <c>x · Φ(x) = x · (1 + erf(x / √2)) / 2</c>, the exact (erf) form, PyTorch's default <c>GELU</c> (ONNX <c>Gelu</c>).
    /// </summary>
    Gelu = 9,
}
