namespace KernelGen;

/// <summary>An element-wise function applied to a layer's output, fused into the store.</summary>
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
}
