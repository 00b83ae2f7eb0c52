using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Which sums fuse into the convolution before them (<c>{Conv}ForwardResidual</c>, writing over the residual's buffer): a
/// sum of two tensors right after a Winograd convolution with no activation that only it reads, whose other operand no
/// later layer reads and is not the network's input. Each case below breaks one of those conditions and keeps the sum
/// separate; the generated network then calls no residual form.
/// </summary>
public class ResidualFusionPlanTests
{
    private static string Network(string block, string after = "") => $$"""
        using KernelGen;

        namespace Samples;

        [Network(InputChannels = 16, InputHeight = 24, InputWidth = 24)]
        public sealed partial class Net
        {
            [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Stem();
            [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
            {{block}}
            {{after}}
            [GlobalAvgPool2D] partial void Gap();
            [Dense(OutFeatures = 3)] partial void Logits();
        }
        """;

    private const string Fused = """
        [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv2();
            [Add(nameof(Stem), Activation = Activation.Relu)] partial void Block();
        """;

    private static string NetworkFile(string source) => Harness.Generated(Harness.Run(source).Result, "Samples.Net.Network.g.cs");

    [Fact]
    public void A_residual_block_fuses_and_its_sum_writes_over_the_residual()
    {
        GeneratorDriverRunResult result = Harness.Run(Network(Fused)).Result;
        string network = Harness.Generated(result, "Samples.Net.Network.g.cs");
        Assert.Contains("// Block fused into Conv2: its Winograd store adds the convolution to the residual, which this buffer holds, then Relu.", network, StringComparison.Ordinal);
        Assert.Contains("Conv2ForwardResidual(", network, StringComparison.Ordinal);
        Assert.DoesNotContain("BlockPart, ", network, StringComparison.Ordinal);

        // Conv2's weights are compared on every call, so the sum is always fused: no part of its own is written, only training's kernel.
        string[] sources = [.. result.Results.Single().GeneratedSources.Select(s => s.SourceText.ToString())];
        Assert.Contains(sources, s => s.Contains("void BlockForward(", StringComparison.Ordinal));
        Assert.DoesNotContain(sources, s => s.Contains("void BlockPart(", StringComparison.Ordinal));

        // Stem's buffer holds Block's output, as the doc comments of the workspace's buffers say.
        Assert.Matches("At inference, the output of [^<]*Stem, [^<]*Block", network);
    }

    [Theory]
    [InlineData("""
        [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv2();
            [Add(nameof(Stem))] partial void Block();
        """, "", "the convolution has an activation of its own")]
    [InlineData("""
        [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1, Algorithm = ConvAlgorithm.Direct)] partial void Conv2();
            [Add(nameof(Stem), Activation = Activation.Relu)] partial void Block();
        """, "", "the convolution is not Winograd")]
    [InlineData(Fused, "[Add(nameof(Stem))] partial void Again();", "a later layer reads the residual")]
    [InlineData(Fused, "[Add(nameof(Conv2))] partial void Again();", "a later layer reads the convolution")]
    [InlineData("""
        [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv2();
            [Add(nameof(Stem), nameof(Conv1))] partial void Block();
        """, "", "the sum has three operands")]
    [InlineData("""
        [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv2();
            [Add(NetworkAttribute.Input)] partial void Block();
        """, "", "the residual is the network's input")]
    [InlineData("""
        [Conv2D(OutChannels = 16, Kernel = 3, Padding = 1)] partial void Conv2();
            [Conv2D(OutChannels = 16, Kernel = 1, Input = nameof(Stem))] partial void Side();
            [Add(nameof(Conv2))] partial void Block();
        """, "", "the convolution is not the layer right before the sum")]
    public void A_sum_that_cannot_write_over_its_residual_stays_separate(string block, string after, string why)
    {
        string network = NetworkFile(Network(block, after));
        Assert.True(!network.Contains("ForwardResidual(", StringComparison.Ordinal), $"fused although {why}");
        Assert.Contains("BlockPart, ", network, StringComparison.Ordinal);
    }
}
