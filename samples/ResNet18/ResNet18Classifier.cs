// The layers of ResNet18.cs (as `kernelgen import ResNet18.onnx --class ResNet18Classifier` writes them) with one layer
// added at the end, a dense head for the ten digits: the network fine-tuned with its backbone frozen, and trained from
// scratch for comparison. Its batch norms are folded, as in ResNet18.cs: the frozen backbone computes exactly what the
// pretrained model does.
using KernelGen;
using KernelGen.Training;

namespace KernelGen.Samples;

/// <summary>ResNet-18 with a dense head of ten classes: 3×224×224 images to 10 scores.</summary>
[Network(InputChannels = 3, InputHeight = 224, InputWidth = 224, Initialization = Initialization.He)]
public sealed partial class ResNet18Classifier
{
    // Convolution249 (Conv) + BatchNormalization251 (BatchNormalization, folded) + ReLU253 (Relu): 3×224×224 → 64×112×112.
    [Conv2D(OutChannels = 64, Kernel = 7, Stride = 2, PaddingTop = 3, PaddingBottom = 2, PaddingLeft = 3, PaddingRight = 2, Activation = Activation.Relu)]
    partial void Convolution249();

    // Pooling255 (MaxPool): 64×112×112 → 64×56×56.
    [MaxPool2D(Kernel = 3, Stride = 2, PaddingTop = 1, PaddingBottom = 0, PaddingLeft = 1, PaddingRight = 0)]
    partial void Pooling255();

    // Convolution257 (Conv) + BatchNormalization259 (BatchNormalization, folded) + ReLU261 (Relu): 64×56×56 → 64×56×56.
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Convolution257();

    // Convolution263 (Conv) + BatchNormalization265 (BatchNormalization, folded): 64×56×56 → 64×56×56.
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1)]
    partial void Convolution263();

    // Plus267 (Add) + ReLU269 (Relu): 64×56×56 → 64×56×56.
    [Add(nameof(Pooling255), Activation = Activation.Relu)]
    partial void Plus267();

    // Convolution271 (Conv) + BatchNormalization273 (BatchNormalization, folded) + ReLU275 (Relu): 64×56×56 → 64×56×56.
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Convolution271();

    // Convolution277 (Conv) + BatchNormalization279 (BatchNormalization, folded): 64×56×56 → 64×56×56.
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1)]
    partial void Convolution277();

    // Plus281 (Add) + ReLU283 (Relu): 64×56×56 → 64×56×56.
    [Add(nameof(Plus267), Activation = Activation.Relu)]
    partial void Plus281();

    // Convolution285 (Conv) + BatchNormalization287 (BatchNormalization, folded) + ReLU289 (Relu): 64×56×56 → 128×28×28.
    [Conv2D(OutChannels = 128, Kernel = 3, Stride = 2, PaddingTop = 1, PaddingBottom = 0, PaddingLeft = 1, PaddingRight = 0, Activation = Activation.Relu)]
    partial void Convolution285();

    // Convolution291 (Conv) + BatchNormalization293 (BatchNormalization, folded): 128×28×28 → 128×28×28.
    [Conv2D(OutChannels = 128, Kernel = 3, Padding = 1)]
    partial void Convolution291();

    // Convolution295 (Conv) + BatchNormalization297 (BatchNormalization, folded): 64×56×56 → 128×28×28.
    [Conv2D(OutChannels = 128, Kernel = 1, Stride = 2, Input = nameof(Plus281))]
    partial void Convolution295();

    // Plus299 (Add) + ReLU301 (Relu): 128×28×28 → 128×28×28.
    [Add(nameof(Convolution295), Input = nameof(Convolution291), Activation = Activation.Relu)]
    partial void Plus299();

    // Convolution303 (Conv) + BatchNormalization305 (BatchNormalization, folded) + ReLU307 (Relu): 128×28×28 → 128×28×28.
    [Conv2D(OutChannels = 128, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Convolution303();

    // Convolution309 (Conv) + BatchNormalization311 (BatchNormalization, folded): 128×28×28 → 128×28×28.
    [Conv2D(OutChannels = 128, Kernel = 3, Padding = 1)]
    partial void Convolution309();

    // Plus313 (Add) + ReLU315 (Relu): 128×28×28 → 128×28×28.
    [Add(nameof(Plus299), Activation = Activation.Relu)]
    partial void Plus313();

    // Convolution317 (Conv) + BatchNormalization319 (BatchNormalization, folded) + ReLU321 (Relu): 128×28×28 → 256×14×14.
    [Conv2D(OutChannels = 256, Kernel = 3, Stride = 2, PaddingTop = 1, PaddingBottom = 0, PaddingLeft = 1, PaddingRight = 0, Activation = Activation.Relu)]
    partial void Convolution317();

    // Convolution323 (Conv) + BatchNormalization325 (BatchNormalization, folded): 256×14×14 → 256×14×14.
    [Conv2D(OutChannels = 256, Kernel = 3, Padding = 1)]
    partial void Convolution323();

    // Convolution327 (Conv) + BatchNormalization329 (BatchNormalization, folded): 128×28×28 → 256×14×14.
    [Conv2D(OutChannels = 256, Kernel = 1, Stride = 2, Input = nameof(Plus313))]
    partial void Convolution327();

    // Plus331 (Add) + ReLU333 (Relu): 256×14×14 → 256×14×14.
    [Add(nameof(Convolution327), Input = nameof(Convolution323), Activation = Activation.Relu)]
    partial void Plus331();

    // Convolution335 (Conv) + BatchNormalization337 (BatchNormalization, folded) + ReLU339 (Relu): 256×14×14 → 256×14×14.
    [Conv2D(OutChannels = 256, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Convolution335();

    // Convolution341 (Conv) + BatchNormalization343 (BatchNormalization, folded): 256×14×14 → 256×14×14.
    [Conv2D(OutChannels = 256, Kernel = 3, Padding = 1)]
    partial void Convolution341();

    // Plus345 (Add) + ReLU347 (Relu): 256×14×14 → 256×14×14.
    [Add(nameof(Plus331), Activation = Activation.Relu)]
    partial void Plus345();

    // Convolution349 (Conv) + BatchNormalization351 (BatchNormalization, folded) + ReLU353 (Relu): 256×14×14 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 3, Stride = 2, PaddingTop = 1, PaddingBottom = 0, PaddingLeft = 1, PaddingRight = 0, Activation = Activation.Relu)]
    partial void Convolution349();

    // Convolution355 (Conv) + BatchNormalization357 (BatchNormalization, folded): 512×7×7 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 3, Padding = 1)]
    partial void Convolution355();

    // Convolution359 (Conv) + BatchNormalization361 (BatchNormalization, folded): 256×14×14 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 1, Stride = 2, Input = nameof(Plus345))]
    partial void Convolution359();

    // Plus363 (Add) + ReLU365 (Relu): 512×7×7 → 512×7×7.
    [Add(nameof(Convolution359), Input = nameof(Convolution355), Activation = Activation.Relu)]
    partial void Plus363();

    // Convolution367 (Conv) + BatchNormalization369 (BatchNormalization, folded) + ReLU371 (Relu): 512×7×7 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Convolution367();

    // Convolution373 (Conv) + BatchNormalization375 (BatchNormalization, folded): 512×7×7 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 3, Padding = 1)]
    partial void Convolution373();

    // Plus377 (Add) + ReLU379 (Relu): 512×7×7 → 512×7×7.
    [Add(nameof(Plus363), Activation = Activation.Relu)]
    partial void Plus377();

    // Convolution381 (Conv) + BatchNormalization383 (BatchNormalization, folded) + ReLU385 (Relu): 512×7×7 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
    partial void Convolution381();

    // Convolution387 (Conv) + BatchNormalization389 (BatchNormalization, folded): 512×7×7 → 512×7×7.
    [Conv2D(OutChannels = 512, Kernel = 3, Padding = 1)]
    partial void Convolution387();

    // Plus391 (Add) + ReLU393 (Relu): 512×7×7 → 512×7×7.
    [Add(nameof(Plus377), Activation = Activation.Relu)]
    partial void Plus391();

    // Pooling395 (AveragePool): 512×7×7 → 512.
    [GlobalAvgPool2D]
    partial void Pooling395();

    // The new head: the 512 pooled features to the 10 digits.
    [Dense(OutFeatures = 10, Name = "head")]
    partial void Head();
}
