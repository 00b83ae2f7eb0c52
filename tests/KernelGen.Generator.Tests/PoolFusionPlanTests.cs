using System.Text.RegularExpressions;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Which max pools fuse into the convolution before them (<c>{Conv}ForwardPooled</c>, which stores only the pool's output):
/// a max pool of k × k windows at stride k (k 2 or 3), without padding or ceil mode, right after a convolution of one group
/// that only it reads, whose activation works on whole vectors and which would not run Winograd. Each case below breaks one
/// of those conditions and keeps the pool separate; the generated network then calls no pooled form.
/// </summary>
public class PoolFusionPlanTests
{
    private static string Network(string layers) => $$"""
        using KernelGen;

        namespace Samples;

        [Network(InputChannels = 3, InputHeight = 20, InputWidth = 21)]
        public sealed partial class Net
        {
            {{layers}}
            [GlobalAvgPool2D] partial void Gap();
            [Dense(OutFeatures = 3)] partial void Logits();
        }
        """;

    private const string Convolution = "[Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv();";

    private static string Generated(string layers, string file) => Harness.Generated(Harness.Run(Network(layers)).Result, $"Samples.Net.{file}.g.cs");

    [Theory]
    [InlineData("[MaxPool2D(Kernel = 2)] partial void Pool();", 2, 10, 10)]
    [InlineData("[MaxPool2D(Kernel = 3)] partial void Pool();", 3, 6, 7)]
    public void A_max_pool_after_a_convolution_runs_inside_it(string pool, int k, int height, int width)
    {
        string network = Generated(Convolution + "\n    " + pool, "Network");
        Assert.Contains("// Pool fused into Conv: its tiles keep each window's maximum, and only the pool's output is stored.", network, StringComparison.Ordinal);
        Assert.Contains("ConvForwardPooled(", network, StringComparison.Ordinal);

        // The convolution's remarks say why it has a packed direct form and what the pooled form does.
        string conv = Generated(Convolution + "\n    " + pool, "ConvForward");
        Assert.Contains($"chosen because a {k}×{k} max pool follows it in the network", conv, StringComparison.Ordinal);
        Assert.Contains($"only the pool's output ({height}×{width} per channel) stored", conv, StringComparison.Ordinal);
        Assert.Contains($"public const int PooledUnits = {height * 24};", conv, StringComparison.Ordinal);
    }

    [Fact]
    public void A_fused_pool_never_writes_the_buffer_its_convolution_reads()
    {
        // Unfused, Pool2 could take the buffer of Pool1, which only Conv2 reads; fused, Conv2's tiles read Pool1 while they write Pool2.
        string network = Generated("""
            [Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
                [MaxPool2D(Kernel = 2)] partial void Pool1();
                [Conv2D(OutChannels = 20, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.PackedDirect)] partial void Conv2();
                [MaxPool2D(Kernel = 2)] partial void Pool2();
            """, "Network");
        Match call = Regex.Match(network, @"Conv2ForwardPooled\(\s*new [^(]+\(buffers\.(\w+), [^;]*new [^(]+\(buffers\.(\w+), ");
        Assert.True(call.Success, "Conv2ForwardPooled reads and writes buffers");
        Assert.NotEqual(call.Groups[1].Value, call.Groups[2].Value);
    }

    [Theory]
    [InlineData("[AvgPool2D(Kernel = 2)] partial void Pool();", "the pool averages")]
    [InlineData("[MaxPool2D(Kernel = 2, Stride = 1)] partial void Pool();", "the windows overlap")]
    [InlineData("[MaxPool2D(Kernel = 2, Padding = 1)] partial void Pool();", "the pool pads")]
    [InlineData("[MaxPool2D(Kernel = 2, CeilMode = true)] partial void Pool();", "the pool rounds its output up")]
    [InlineData("[MaxPool2D(Kernel = 4)] partial void Pool();", "the window is 4×4")]
    [InlineData("[MaxPool2D(Kernel = 2, Dilation = 2)] partial void Pool();", "the window is dilated")]
    public void A_pool_the_tiles_cannot_take_stays_separate(string pool, string why) =>
        AssertSeparate(Convolution + "\n    " + pool, why);

    [Theory]
    [InlineData("[Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Sigmoid)] partial void Conv();", "the activation is applied one float at a time")]
    [InlineData("[Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv();", "the attribute asks for the direct algorithm")]
    [InlineData("[Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu, Groups = 3)] partial void Conv();", "the convolution has groups")]
    [InlineData("[Conv2D(OutChannels = 24, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Winograd)] partial void Conv();", "the convolution runs Winograd")]
    public void A_convolution_the_tiles_cannot_pool_keeps_the_pool_separate(string convolution, string why) =>
        AssertSeparate(convolution + "\n    [MaxPool2D(Kernel = 2)] partial void Pool();", why);

    [Fact]
    public void A_convolution_another_layer_reads_keeps_the_pool_separate() =>
        AssertSeparate(Convolution + """

                [MaxPool2D(Kernel = 2)] partial void Pool();
                [MaxPool2D(Kernel = 2, Input = nameof(Conv))] partial void Other();
                [Add(nameof(Pool))] partial void Both();
            """, "a second pool reads the convolution");

    [Fact]
    public void A_convolution_a_batch_norm_follows_keeps_its_pool_separate() =>
        AssertSeparate("""
            [Conv2D(OutChannels = 24, Kernel = 3, Padding = 1)] partial void Conv();
                [BatchNorm2D(Activation = Activation.Relu)] partial void Norm();
                [MaxPool2D(Kernel = 2)] partial void Pool();
            """, "the pool reads a batch norm");

    private static void AssertSeparate(string layers, string why)
    {
        string network = Generated(layers, "Network");
        Assert.True(!network.Contains("ForwardPooled(", StringComparison.Ordinal), $"fused although {why}");
        Assert.Contains("PoolForward(", network, StringComparison.Ordinal);
    }
}
