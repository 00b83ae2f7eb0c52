using System.Reflection;
using KernelGen.Generated.Tests.Networks;
using KernelGen.Tests;
using KernelGen.Tests.Shared;
using KernelGen.Training;
using Xunit.Abstractions;

namespace KernelGen.Generated.Tests;

/// <summary>
/// One call split among threads — a convolution's overload that takes a <see cref="Parallelism"/>, and a network's
/// <c>Parallelism</c> — gives the bits of one thread: on every suite convolution (each band layout and unit: output rows,
/// output channels, groups, samples), on every hardware path run part by part, and through whole networks.
/// </summary>
[Collection(nameof(Alone))]
public class ParallelismTests(ITestOutputHelper output)
{
    /// <summary>A suite convolution: its geometry, its user-facing overloads (one thread, and split), its batch and its kernel class.</summary>
    public sealed record Layer(string Name, Conv2DGeometry Geometry, int Batch, string KernelClass, BatchedKernel Run, BatchedSplitKernel RunSplit)
    {
        public override string ToString() => Name;
    }

    private static Conv2DGeometry Conv(int c, int hw, int oc, int k, int stride = 1, int pad = 0, int groups = 1) =>
        new(c, hw, hw, oc, k, k, stride, stride, pad, pad, pad, pad, groups: groups);

    public delegate void BatchedKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

    public delegate void SplitKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, Parallelism parallelism);

    public delegate void BatchedSplitKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch, Parallelism parallelism);

    private static Layer Single(string name, Conv2DGeometry g, string kernel, Check.WeightedKernel run, SplitKernel split) =>
        new(name, g, 1, kernel, (x, w, b, y, _) => run(x, w, b, y), (x, w, b, y, _, p) => split(x, w, b, y, p));

    public static TheoryData<Layer> Layers => new()
    {
        Single("seed_3x3 (1 unit)", Conv(1, 3, 1, 3, pad: 1), "SuiteKernelsSeed3x3Kernel", SuiteKernels.Seed3x3, SuiteKernels.Seed3x3),
        Single("lenet5_conv2", Conv(6, 14, 16, 5), "SuiteKernelsLenet5Conv2Kernel", SuiteKernels.Lenet5Conv2, SuiteKernels.Lenet5Conv2),
        Single("mnist_conv2", Conv(32, 13, 64, 3), "SuiteKernelsMnistConv2Kernel", SuiteKernels.MnistConv2, SuiteKernels.MnistConv2),
        Single("resnet_stem", Conv(3, 224, 64, 7, stride: 2, pad: 3), "SuiteKernelsResnetStemKernel", SuiteKernels.ResnetStem, SuiteKernels.ResnetStem),
        Single("resnet_3x3_64", Conv(64, 56, 64, 3, pad: 1), "SuiteKernelsResnet3x3x64Kernel", SuiteKernels.Resnet3x3x64, SuiteKernels.Resnet3x3x64),
        Single("resnet_3x3_s2", Conv(64, 56, 128, 3, stride: 2, pad: 1), "SuiteKernelsResnet3x3Stride2Kernel", SuiteKernels.Resnet3x3Stride2, SuiteKernels.Resnet3x3Stride2),
        Single("resnet_3x3_256", Conv(256, 14, 256, 3, pad: 1), "SuiteKernelsResnet3x3x256Kernel", SuiteKernels.Resnet3x3x256, SuiteKernels.Resnet3x3x256),
        Single("pointwise_256", Conv(256, 14, 256, 1), "SuiteKernelsPointwise256Kernel", SuiteKernels.Pointwise256, SuiteKernels.Pointwise256),
        Single("depthwise_32 (groups)", Conv(32, 112, 32, 3, pad: 1, groups: 32), "SuiteKernelsDepthwise32Kernel", SuiteKernels.Depthwise32, SuiteKernels.Depthwise32),
        new("mnist_conv1, batch 3 (samples or channels)", Conv(1, 28, 32, 3), 3, "SuiteKernelsMnistConv1Kernel", SuiteKernels.MnistConv1, SuiteKernels.MnistConv1),
        new("mnist_conv1, batch 8 (samples)", Conv(1, 28, 32, 3), 8, "SuiteKernelsMnistConv1Kernel", SuiteKernels.MnistConv1, SuiteKernels.MnistConv1),
    };

    private static (float[] Input, float[] Weights, float[] Bias) Data(Layer layer) =>
        (Check.Random(1, layer.Batch * layer.Geometry.InputLength), Check.Random(2, layer.Geometry.WeightLength), Check.Random(3, layer.Geometry.OutChannels));

    private static void AssertSameBits(string what, float[] expected, float[] actual)
    {
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[k]) == BitConverter.SingleToInt32Bits(actual[k]),
                $"{what}: element {k} is {actual[k]:R}, one thread gave {expected[k]:R}");
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void A_convolution_split_among_threads_gives_the_bits_of_one_thread(Layer layer)
    {
        (float[] x, float[] w, float[] b) = Data(layer);
        var expected = new float[layer.Batch * layer.Geometry.OutputLength];
        layer.Run(x, w, b, expected, layer.Batch);
        var actual = new float[expected.Length];
        foreach (int threads in new[] { 1, 2, 3, 4, 7 })
        {
            Array.Fill(actual, float.NaN);
            layer.RunSplit(x, w, b, actual, layer.Batch, new Parallelism(threads));
            AssertSameBits($"{layer.Name} on {threads} threads", expected, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Every_path_run_part_by_part_gives_the_bits_of_one_whole_call(Layer layer)
    {
        (float[] x, float[] w, float[] b) = Data(layer);
        int units = KernelPaths.Units(Assembly.GetExecutingAssembly(), layer.KernelClass);
        var whole = new float[layer.Batch * layer.Geometry.OutputLength];
        var parts = new float[whole.Length];
        foreach (string path in KernelPaths.Of(Assembly.GetExecutingAssembly(), layer.KernelClass))
        {
            KernelPaths.Run(Assembly.GetExecutingAssembly(), layer.KernelClass, path, weighted: true, bias: true, x, w, b, whole, layer.Batch);
            Array.Fill(parts, float.NaN);
            // Uneven parts, one of them a single unit, whatever the unit's tile size.
            int[] cuts = [0, units / 3, Math.Min(units, (units / 3) + 1), units];
            for (int k = 0; k + 1 < cuts.Length; k++)
            {
                KernelPaths.RunPart(Assembly.GetExecutingAssembly(), layer.KernelClass, path, weighted: true, bias: true, x, w, b, parts, layer.Batch, cuts[k], cuts[k + 1]);
            }

            AssertSameBits($"{layer.Name}, {path} in parts {string.Join(", ", cuts)}", whole, parts);
        }
    }

    [Fact]
    public void The_split_overload_checks_its_arguments_before_writing_anything()
    {
        var output = new float[64 * 11 * 11];
        Array.Fill(output, 5f);
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            SuiteKernels.MnistConv2(new float[32 * 13 * 13], new float[64 * 32 * 9 - 1], new float[64], output, new Parallelism(2)));
        Assert.Equal("weights", e.ParamName);
        Assert.All(output, v => Assert.Equal(5f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => SuiteKernels.MnistConv1(new float[784], new float[288], new float[32], new float[21632], 0, new Parallelism(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Parallelism(0));
        Assert.Equal(1, default(Parallelism).Threads);
        Assert.Equal(Environment.ProcessorCount, Parallelism.AllCores.Threads);
    }

    public static TheoryData<string, int> Networks => new()
    {
        { nameof(MnistCnn), 1 }, { nameof(MnistCnn), 3 }, { nameof(Residual), 1 }, { nameof(Residual), 2 }, { nameof(Normalized), 1 }, { nameof(Normalized), 5 },
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_network_with_more_threads_gives_the_bits_of_one_thread_and_allocates_nothing(string name, int batch)
    {
        var mnist = new MnistCnn(seed: 7);
        var residual = new Residual(seed: 7);
        var normalized = new Normalized(seed: 7);
        (INetwork network, Func<Parallelism> get, Action<Parallelism> set) = name switch
        {
            nameof(MnistCnn) => ((INetwork)mnist, () => mnist.Parallelism, p => mnist.Parallelism = p),
            nameof(Residual) => (residual, () => residual.Parallelism, p => residual.Parallelism = p),
            _ => ((INetwork, Func<Parallelism>, Action<Parallelism>))(normalized, () => normalized.Parallelism, p => normalized.Parallelism = p),
        };
        Assert.Equal(Parallelism.OneThread, get());
        float[] input = Check.Random(9, batch * network.InputLength);
        var expected = new float[batch * network.OutputLength];
        network.Forward(network.CreateWorkspace(batch), input, expected, batch);
        var actual = new float[expected.Length];
        NetworkWorkspace workspace = network.CreateWorkspace(batch);
        foreach (int threads in new[] { 2, 3 })
        {
            set(new Parallelism(threads));
            Array.Fill(actual, float.NaN);
            network.Forward(workspace, input, actual, batch);
            AssertSameBits($"{name}, batch {batch}, {threads} threads", expected, actual);
        }

        // Allocations by the calling thread, on as many threads as this machine has cores. The whole process is not measured:
        // the thread pool's own bookkeeping (a thread added, a queue segment) allocates now and then (136 B in one CI run),
        // while the parts the pool threads run are the kernels' code that ConcurrencyTests measures for the whole process.
        set(Parallelism.AllCores);
        long allocated = Measure.AllocatedByThread(() => network.Forward(workspace, input, actual, batch), calls: 20);
        Assert.Equal(0, allocated);
        Measure.Report(output, $"parallelism {name}.Forward, batch {batch}: bit-identical to one thread on 2 and 3 threads; {allocated} bytes allocated per Forward on {Environment.ProcessorCount} threads (the calling thread)");
    }
}
