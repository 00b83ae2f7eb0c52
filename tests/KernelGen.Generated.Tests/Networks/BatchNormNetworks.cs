namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// Batch norms in a graph, every case of them: after a bias-free convolution (folded into it for inference) with a fused
/// activation (<c>Bn1</c>) and without one (<c>Bn2</c>, <c>DownBn</c>, <c>ProjectionBn</c>); a residual block whose sum has a
/// kept pre-activation (SiLU); a stride-2 block with a 1×1 projection shortcut; and a batch norm that reads an
/// <c>[Add]</c>, so nothing folds it, with GELU, whose derivative needs its input. Smooth activations, so that float and
/// double take the same branches.
/// </summary>
[Network(InputChannels = 2, InputHeight = 8, InputWidth = 8)]
internal sealed partial class Normalized
{
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false)] partial void Conv1();
    [BatchNorm2D(Activation = Activation.Tanh)] partial void Bn1();
    [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false)] partial void Conv2();
    [BatchNorm2D] partial void Bn2();
    [Add(nameof(Bn1), Activation = Activation.Silu)] partial void Block();
    [Conv2D(OutChannels = 6, Kernel = 3, Stride = 2, Padding = 1)] partial void Down();
    [BatchNorm2D(Momentum = 0.25f)] partial void DownBn();
    [Conv2D(OutChannels = 6, Kernel = 1, Stride = 2, Input = nameof(Block), Bias = false)] partial void Projection();
    [BatchNorm2D(Epsilon = 1e-3f)] partial void ProjectionBn();
    [Add(nameof(DownBn))] partial void Block2();
    [BatchNorm2D(Activation = Activation.Gelu)] partial void Bn3();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 3)] partial void Out();
}
