using System.IO;
using KernelGen.Tests.Shared;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// A network whose convolutions take a packed form when its weights are fixed — the packed direct form for a strided 3×3
/// (8 → 64 channels) and a 1×1 (64 → 32) with a batch norm folded into it, Winograd F(2×2, 3×3) for a 3×3 of 64 channels
/// on an 8×8 plane — and whose dense layer the packed product.
/// </summary>
[Network(InputChannels = 8, InputHeight = 16, InputWidth = 16)]
internal sealed partial class PackedNet
{
    [Conv2D(OutChannels = 64, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1, Activation = Activation.Relu)] partial void Conv1b();
    [Conv2D(OutChannels = 32, Kernel = 1, Bias = false)] partial void Conv2();
    [BatchNorm2D(Activation = Activation.Relu)] partial void Bn2();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary><see cref="PackedNet"/> with every convolution direct, to compare against.</summary>
[Network(InputChannels = 8, InputHeight = 16, InputWidth = 16)]
internal sealed partial class PlainNet
{
    [Conv2D(OutChannels = 64, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv1();
    [Conv2D(OutChannels = 64, Kernel = 3, Padding = 1, Activation = Activation.Relu, Algorithm = ConvAlgorithm.Direct)] partial void Conv1b();
    [Conv2D(OutChannels = 32, Kernel = 1, Bias = false, Algorithm = ConvAlgorithm.Direct)] partial void Conv2();
    [BatchNorm2D(Activation = Activation.Relu)] partial void Bn2();
    [GlobalAvgPool2D] partial void Gap();
    [Dense(OutFeatures = 5)] partial void Out();
}

/// <summary>
/// <c>FixedWeights</c>: a network's convolutions with a packed form, and its dense layers, run it over weights packed once per change. The
/// results match the direct network's within float rounding, whatever the threads; every change made through the library
/// (Load, InitializeParameters, a training step, a batch norm's running statistics) or declared with
/// <c>Parameter.ValuesChanged()</c> reaches the next call bit for bit as a fresh network would give it; an undeclared
/// direct write is, as documented, not seen until one is; and a call whose weights did not change allocates nothing.
/// </summary>
public sealed class FixedWeightsTests
{
    public static TheoryData<string> Networks => [nameof(PackedNet), nameof(WinogradNet)];

    private static INetwork Create(string name, int seed, bool direct = false) => (name, direct) switch
    {
        (nameof(PackedNet), false) => new PackedNet(seed) { FixedWeights = true },
        (nameof(PackedNet), true) => new PlainNet(seed),
        (nameof(WinogradNet), false) => new WinogradNet(seed) { FixedWeights = true },
        _ => new DirectNet(seed),
    };

    private static float[] Images(INetwork network, int batch) => Check.Random(11, batch * network.InputLength);

    private static float[] Run(INetwork network, float[] images, int batch)
    {
        float[] output = new float[batch * network.OutputLength];
        Forward(network, images, output, batch);
        return output;
    }

    /// <summary>The network's own <c>Forward</c> (its own workspace and <c>Parallelism</c>).</summary>
    private static void Forward(INetwork network, float[] images, float[] output, int batch)
    {
        switch (network)
        {
            case PackedNet n: n.Forward(images, output, batch); break;
            case PlainNet n: n.Forward(images, output, batch); break;
            case WinogradNet n: n.Forward(images, output, batch); break;
            case DirectNet n: n.Forward(images, output, batch); break;
        }
    }

    /// <summary>
    /// A network of the same kind with <paramref name="source"/>'s values, its weights fixed (or computed directly,
    /// <paramref name="direct"/>): what a change must give.
    /// </summary>
    private static INetwork Copy(string name, INetwork source, bool direct = false)
    {
        INetwork copy = Create(name, seed: 99, direct);
        for (int i = 0; i < source.Parameters.Count; i++)
        {
            source.Parameters[i].Values.CopyTo(copy.Parameters[i].Values, 0);
        }

        return copy;
    }

    /// <summary>Every value of the parameter named <paramref name="parameter"/> scaled, written directly.</summary>
    private static Parameter Scale(INetwork network, string parameter)
    {
        Parameter p = network.Parameters.Single(p => p.Name == parameter);
        for (int i = 0; i < p.Values.Length; i++)
        {
            p.Values[i] *= 1.5f;
        }

        return p;
    }

    [Fact]
    public void Its_small_plane_3x3_runs_winograd_2x2()
    {
        // Conv1b (64 channels, 8×8) keeps transformed weights in the workspace, and its kernel's are F(2×2)'s.
        string[] caches = [.. typeof(PackedNet.Workspace).GetProperties(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)
            .Where(p => p.PropertyType == typeof(PackedWeightsCache)).Select(p => p.Name)];
        Assert.Contains("Conv1bPacked", caches);
        Type kernel = typeof(PackedNet).Assembly.GetTypes().Single(t => t.Name.EndsWith("PackedNetConv1bForwardKernel", StringComparison.Ordinal));
        string layout = (string)kernel.GetField("WinogradLayout")!.GetRawConstantValue()!;
        Assert.Contains("Winograd F(2×2, 3×3)", layout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void It_matches_the_network_computed_directly(string name)
    {
        INetwork network = Create(name, seed: 5);
        // Running statistics away from 0 and 1, so that the folded batch norm is tested.
        for (int p = 0; p < network.Parameters.Count; p++)
        {
            Parameter buffer = network.Parameters[p];
            if (buffer.IsBuffer)
            {
                float[] values = Check.Random(p, buffer.Values.Length);
                bool variance = buffer.Name.EndsWith("running_var", StringComparison.Ordinal);
                for (int i = 0; i < values.Length; i++)
                {
                    buffer.Values[i] = variance ? 0.5f + Math.Abs(values[i]) : values[i];
                }
            }
        }

        float[] images = Images(network, 3);
        float[] expected = Run(Copy(name, network, direct: true), images, 3), actual = Run(network, images, 3);
        Check.Close($"{name} with fixed weights", [.. expected.Select(v => (double)v)], actual);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Two_threads_give_the_bits_of_one(string name)
    {
        INetwork network = Create(name, seed: 2);
        float[] images = Images(network, 3);
        float[] one = Run(network, images, 3);
        switch (network)
        {
            case PackedNet n: n.Parallelism = new Parallelism(2); break;
            case WinogradNet n: n.Parallelism = new Parallelism(2); break;
        }

        Assert.Equal(one, Run(network, images, 3));
    }

    [Theory]
    [InlineData(nameof(PackedNet), "Conv1.weight")]
    [InlineData(nameof(PackedNet), "Conv1b.weight")]
    [InlineData(nameof(PackedNet), "Conv2.weight")]
    [InlineData(nameof(PackedNet), "Bn2.weight")]
    [InlineData(nameof(PackedNet), "Bn2.running_var")]
    [InlineData(nameof(PackedNet), "Out.weight")]
    [InlineData(nameof(WinogradNet), "Conv1.weight")]
    [InlineData(nameof(WinogradNet), "Bn2.weight")]
    public void A_write_is_seen_once_declared_and_not_before(string name, string parameter)
    {
        INetwork network = Create(name, seed: 3);
        float[] images = Images(network, 2);
        float[] before = Run(network, images, 2);

        Parameter changed = Scale(network, parameter);
        Assert.Equal(before, Run(network, images, 2)); // the promise FixedWeights makes: undeclared, unseen

        changed.ValuesChanged();
        float[] after = Run(network, images, 2);
        Assert.Equal(Run(Copy(name, network), images, 2), after);
        Assert.NotEqual(before, after);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Changes_through_the_library_reach_the_next_call(string name)
    {
        INetwork network = Create(name, seed: 4);
        float[] images = Images(network, 2);
        float[] first = Run(network, images, 2);

        // InitializeParameters.
        switch (network)
        {
            case PackedNet n: n.InitializeParameters(8); break;
            case WinogradNet n: n.InitializeParameters(8); break;
        }

        float[] initialized = Run(network, images, 2);
        Assert.Equal(Run(Copy(name, network), images, 2), initialized);
        Assert.NotEqual(first, initialized);

        // A training step: the optimizer's changes and the batch norms' running statistics.
        var trainer = new Trainer(network, new Sgd(0.05f), maxBatch: 2, threads: 1);
        trainer.Step(images, [0, 1], 2);
        float[] trained = Run(network, images, 2);
        Assert.Equal(Run(Copy(name, network), images, 2), trained);
        Assert.NotEqual(initialized, trained);

        // Load.
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-fixed-{Guid.NewGuid():N}.safetensors");
        try
        {
            INetwork other = Create(name, seed: 12);
            ParameterFile.Save(path, other.Parameters);
            ParameterFile.Load(path, network.Parameters);
            Assert.Equal(Run(other, images, 2), Run(network, images, 2));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Cleared_it_compares_again_and_sees_an_undeclared_write()
    {
        var network = new PackedNet(seed: 6) { FixedWeights = true };
        float[] images = Images(network, 1);
        float[] before = Run(network, images, 1);
        Scale(network, "Conv1.weight");
        network.FixedWeights = false;
        float[] after = Run(network, images, 1);
        Assert.NotEqual(before, after);
        Assert.Equal(Run(Copy(nameof(PackedNet), network, direct: true), images, 1), after); // without FixedWeights its layers run direct
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_call_with_unchanged_weights_allocates_nothing(string name)
    {
        INetwork network = Create(name, seed: 7);
        float[] images = Images(network, 1);
        float[] output = Run(network, images, 1);
        Assert.Equal(0, Measure.AllocatedByThread(() => Forward(network, images, output, 1), calls: 20));
    }
}
