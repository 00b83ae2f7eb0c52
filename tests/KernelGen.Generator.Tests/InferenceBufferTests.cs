using System.Reflection;
using KernelGen.Training;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Inference's buffers: the layers' outputs share buffers, each reused once no later layer reads what it holds, so that
/// <c>Forward</c> keeps a few activations rather than all of them — and gives exactly what the training pass, which keeps
/// every layer's output in its own buffer, gives. A workspace that only runs inference allocates nothing for training.
/// </summary>
public class InferenceBufferTests
{
    private static string Network(string layers) => $$"""
        using KernelGen;

        namespace Samples;

        [Network(InputChannels = 2, InputHeight = 12, InputWidth = 12)]
        public sealed partial class Net
        {
            {{layers}}
        }
        """;

    private const string Chain = """
        [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
            [MaxPool2D(Kernel = 2)] partial void Pool1();
            [Conv2D(OutChannels = 8, Kernel = 3, Activation = Activation.Silu)] partial void Conv2();
            [AvgPool2D(Kernel = 2)] partial void Pool2();
            [Dense(OutFeatures = 16, Activation = Activation.Relu)] partial void Fc1();
            [Dense(OutFeatures = 5)] partial void Logits();
        """;

    // Conv1 is read by Block, four layers on: it holds its buffer until then, so neither Conv2 nor Conv3 nor Block can have it.
    private const string Residual = """
        [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
            [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv2();
            [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1)] partial void Conv3();
            [Add(nameof(Conv1), Activation = Activation.Relu)] partial void Block();
            [GlobalAvgPool2D] partial void Gap();
            [Dense(OutFeatures = 3)] partial void Logits();
        """;

    private const string Branches = """
        [Conv2D(OutChannels = 3, Kernel = 1)] partial void Left();
            [Conv2D(OutChannels = 5, Kernel = 3, Padding = 1, Input = "input")] partial void Right();
            [Concat(nameof(Left))] partial void Joined();
            [MaxPool2D(Kernel = 3, Stride = 2)] partial void Pool();
            [Dense(OutFeatures = 4)] partial void Logits();
        """;

    [Theory]
    [InlineData(Chain, 2, "Conv1, Conv2, Fc1", "Pool1, Pool2, Logits")]
    [InlineData(Residual, 3, "Conv1, Gap", "Conv2, Block, Logits")]
    [InlineData(Branches, 3, "Left, Pool", "Right, Logits")]
    public void Layers_share_buffers_once_what_they_held_is_read_for_the_last_time(string layers, int buffers, string first, string second)
    {
        string network = Harness.Generated(Harness.Run(Network(layers)).Result, "Samples.Net.Network.g.cs");
        Assert.Equal(buffers, network.Split("internal float[] Activations").Length - 1);
        Assert.Contains($"/// <summary>At inference, the output of {first}, in turn.</summary>", network, StringComparison.Ordinal);
        Assert.Contains($"/// <summary>At inference, the output of {second}, in turn.</summary>", network, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Chain)]
    [InlineData(Residual)]
    [InlineData(Branches)]
    public void Forward_through_shared_buffers_gives_what_the_training_pass_gives_bit_for_bit(string layers)
    {
        INetwork network = Create(layers);
        const int batch = 3;
        float[] input = RandomLayers.Data(7, batch * network.InputLength);
        var inferred = new float[batch * network.OutputLength];
        var trained = new float[batch * network.OutputLength];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);

        // Inference first, in a workspace of its own; then a training pass, whose layers each write their own buffer.
        network.Forward(network.CreateWorkspace(batch), input, inferred, batch);
        network.ForwardBackward(workspace, input, new int[batch], trained, batch, 1f / batch);
        Assert.Equal(trained, inferred);
        Assert.Contains(inferred, v => v != 0);

        // And after a training pass the same workspace infers the same again, batch by batch or all at once.
        var again = new float[inferred.Length];
        network.Forward(workspace, input, again, batch);
        Assert.Equal(inferred, again);
        network.Forward(workspace, input.AsSpan(network.InputLength), again.AsSpan(network.OutputLength), batch - 1);
        Assert.Equal(inferred, again);
    }

    [Fact]
    public void A_workspace_that_only_infers_allocates_no_training_buffers()
    {
        INetwork network = Create(Chain);
        NetworkWorkspace workspace = network.CreateWorkspace(64);
        float[] input = RandomLayers.Data(3, 2 * network.InputLength);
        var logits = new float[2 * network.OutputLength];
        network.Forward(workspace, input, logits, 2);

        PropertyInfo[] buffers = workspace.GetType().GetProperties(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(float[])).ToArray();
        float[][] activations = [.. buffers.Where(p => p.Name.StartsWith("Activations", StringComparison.Ordinal)).Select(p => (float[])p.GetValue(workspace)!)];
        Assert.Equal(2, activations.Length);
        Assert.All(activations, a => Assert.True(a.Length > 0 && a.Length <= 2 * 4 * 12 * 12, $"{a.Length} floats for 2 samples"));
        Assert.All(buffers.Where(p => !p.Name.StartsWith("Activations", StringComparison.Ordinal)), p => Assert.Empty((float[])p.GetValue(workspace)!));

        // A larger batch grows them; a smaller one reuses them.
        float[] before = activations[0];
        network.Forward(workspace, RandomLayers.Data(4, 5 * network.InputLength), new float[5 * network.OutputLength], 5);
        float[] grown = (float[])buffers.First(p => p.Name == "Activations0").GetValue(workspace)!;
        Assert.Equal(before.Length / 2 * 5, grown.Length);
        network.Forward(workspace, input.AsSpan(0, network.InputLength), logits.AsSpan(0, network.OutputLength), 1);
        Assert.Same(grown, buffers.First(p => p.Name == "Activations0").GetValue(workspace));
    }

    private static INetwork Create(string layers) =>
        (INetwork)Activator.CreateInstance(Harness.CompileAndLoad(Network(layers)).GetType("Samples.Net")!, [1, 8])!;
}
