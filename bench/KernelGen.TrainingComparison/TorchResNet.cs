using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch.nn;
using TorchTensor = TorchSharp.torch.Tensor;

namespace KernelGen.TrainingComparison;

/// <summary>
/// <see cref="KernelGen.Samples.MnistResNet"/> in TorchSharp, written as torchvision writes its ResNets: the stem
/// <c>conv1</c>, <c>bn1</c>, ReLU, a 2×2 max pool, <c>layer1</c> and <c>layer2</c> of one <see cref="BasicBlock"/> each, a
/// global average pool and <c>fc</c> — so that its parameters and buffers have the names KernelGen's have.
/// </summary>
internal sealed class TorchResNet : Module<TorchTensor, TorchTensor>
{
#pragma warning disable IDE1006, SA1300 // torchvision's module names, which TorchSharp takes from the fields
    private readonly Conv2d conv1 = Conv2d(1, 32, 3, padding: 1, bias: false);
    private readonly BatchNorm2d bn1 = BatchNorm2d(32);
    private readonly MaxPool2d maxpool = MaxPool2d(2);
    private readonly Sequential layer1 = Sequential(("0", new BasicBlock(32, 32, 1)));
    private readonly Sequential layer2 = Sequential(("0", new BasicBlock(32, 64, 2)));
    private readonly Linear fc = Linear(64, 10);
#pragma warning restore IDE1006, SA1300

    public TorchResNet()
        : base(nameof(TorchResNet)) => RegisterComponents();

    public override TorchTensor forward(TorchTensor input)
    {
        using var stem = functional.relu(bn1.forward(conv1.forward(input)));
        using var pooled = maxpool.forward(stem);
        using var block1 = layer1.forward(pooled);
        using var block2 = layer2.forward(block1);
        using var features = block2.mean([2, 3]);
        return fc.forward(features);
    }

    /// <summary>torchvision's <c>BasicBlock</c>: two 3×3 convolutions with batch norms, and a 1×1 projection shortcut when the shape changes.</summary>
    private sealed class BasicBlock : Module<TorchTensor, TorchTensor>
    {
#pragma warning disable IDE1006, SA1300
        private readonly Conv2d conv1;
        private readonly BatchNorm2d bn1;
        private readonly Conv2d conv2;
        private readonly BatchNorm2d bn2;
        private readonly Sequential? downsample;
#pragma warning restore IDE1006, SA1300

        public BasicBlock(int inChannels, int outChannels, int stride)
            : base(nameof(BasicBlock))
        {
            conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);
            bn1 = BatchNorm2d(outChannels);
            conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false);
            bn2 = BatchNorm2d(outChannels);
            if (stride != 1 || inChannels != outChannels)
            {
                downsample = Sequential(("0", Conv2d(inChannels, outChannels, 1, stride: stride, bias: false)), ("1", BatchNorm2d(outChannels)));
            }

            RegisterComponents();
        }

        public override TorchTensor forward(TorchTensor input)
        {
            using var first = functional.relu(bn1.forward(conv1.forward(input)));
            using var second = bn2.forward(conv2.forward(first));
            using var shortcut = downsample is null ? input.alias() : downsample.forward(input);
            return functional.relu(second + shortcut);
        }
    }
}
