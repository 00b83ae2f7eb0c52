using System.Threading;
using KernelGen.Generated.Tests.Networks;
using KernelGen.Tests;
using KernelGen.Tests.Shared;
using KernelGen.Training;
using Xunit.Abstractions;

namespace KernelGen.Generated.Tests;

/// <summary>
/// Generated kernels and networks share nothing between calls: many threads calling one kernel, or one network's
/// <c>Forward</c> with a workspace each, get the single-threaded result to the bit; and no call allocates — not a
/// kernel (whose bands live on the stack or come from <c>ArrayPool</c>), not a <c>Forward</c>, not a training step.
/// </summary>
[Collection(nameof(Alone))]
public class ConcurrencyTests(ITestOutputHelper output)
{
    private const int Threads = 8, CallsPerThread = 20;

    /// <summary>A kernel with its inputs bound: writes its output into the span given.</summary>
    public sealed record Kernel(string Name, int OutputLength, Action<float[]> Run)
    {
        public override string ToString() => Name;
    }

    private static Kernel Conv(string name, int input, int weights, int bias, int outputLength, Action<float[], float[], float[], float[]> kernel)
    {
        float[] x = Check.Random(1, input), w = Check.Random(2, weights), b = Check.Random(3, bias);
        return new Kernel(name, outputLength, y => kernel(x, w, b, y));
    }

    private static Kernel Pool(string name, int input, int outputLength, Action<float[], float[]> kernel)
    {
        float[] x = Check.Random(4, input);
        return new Kernel(name, outputLength, y => kernel(x, y));
    }

    /// <summary>
    /// Suite kernels of every kind and band: flattened planes on the stack (mnist_conv2) and from the array pool
    /// (resnet_3x3_256), row tiles, depthwise, batched, the pools and the dense product.
    /// </summary>
    public static TheoryData<Kernel> Kernels => new()
    {
        Conv("mnist_conv2", 32 * 13 * 13, 64 * 32 * 9, 64, 64 * 11 * 11, (x, w, b, y) => SuiteKernels.MnistConv2(x, w, b, y)),
        Conv("resnet_3x3_256", 256 * 14 * 14, 256 * 256 * 9, 256, 256 * 14 * 14, (x, w, b, y) => SuiteKernels.Resnet3x3x256(x, w, b, y)),
        Conv("lenet5_conv2", 6 * 14 * 14, 16 * 6 * 25, 16, 16 * 10 * 10, (x, w, b, y) => SuiteKernels.Lenet5Conv2(x, w, b, y)),
        Conv("mnist_conv1, batch 3", 3 * 28 * 28, 32 * 9, 32, 3 * 32 * 26 * 26, (x, w, b, y) => SuiteKernels.MnistConv1(x, w, b, y, 3)),
        Conv("depthwise_32", 32 * 112 * 112, 32 * 9, 32, 32 * 112 * 112, (x, w, b, y) => SuiteKernels.Depthwise32(x, w, b, y)),
        Conv("mnist_fc1, batch 5", 5 * 5408, 128 * 5408, 128, 5 * 128, (x, w, b, y) => SuiteKernels.MnistFc1(x, w, b, y, 5)),
        Pool("maxpool_2", 32 * 26 * 26, 32 * 13 * 13, (x, y) => SuiteKernels.MaxPool2(x, y)),
        Pool("avgpool_2", 64 * 56 * 56, 64 * 28 * 28, (x, y) => SuiteKernels.AvgPool2(x, y)),
        Pool("gap_512", 512 * 7 * 7, 512, (x, y) => SuiteKernels.Gap512(x, y)),
    };

    /// <summary>Runs <paramref name="call"/>(thread, call) on <see cref="Threads"/> threads started together, <see cref="CallsPerThread"/> times each.</summary>
    private static void OnManyThreads(Action<int, int> call)
    {
        using var start = new Barrier(Threads);
        Exception? failure = null;
        Thread[] threads = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (int i = 0; i < CallsPerThread; i++)
                {
                    call(t, i);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        }))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("A thread failed.", failure);
        }
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void A_kernel_called_from_eight_threads_at_once_gives_the_single_threaded_bits_and_allocates_nothing(Kernel kernel)
    {
        var expected = new float[kernel.OutputLength];
        kernel.Run(expected);
        float[][] outputs = [.. Enumerable.Range(0, Threads).Select(_ => new float[kernel.OutputLength])];
        int[] mismatches = new int[Threads];

        OnManyThreads((t, _) =>
        {
            Array.Fill(outputs[t], float.NaN);
            kernel.Run(outputs[t]);
            mismatches[t] += Bits(outputs[t]).SequenceEqual(Bits(expected)) ? 0 : 1;
        });

        Assert.All(mismatches, m => Assert.Equal(0, m));
        var y = new float[kernel.OutputLength];
        long allocated = Measure.AllocatedByThread(() => kernel.Run(y), calls: 5);
        Assert.Equal(0, allocated);
        Measure.Report(output, $"concurrency {kernel.Name}: {Threads} threads × {CallsPerThread} calls, every output bit-identical to one thread's; {allocated} bytes allocated per call");
    }

    /// <summary>The networks: a chain (the README's MNIST CNN), a graph with a residual, a branch and a concat, and batch norms.</summary>
    public static TheoryData<string> Networks => new() { nameof(MnistCnn), nameof(Residual), nameof(Normalized) };

    private static INetwork Create(string name) => name switch
    {
        nameof(MnistCnn) => new MnistCnn(seed: 7),
        nameof(Residual) => new Residual(seed: 7),
        _ => new Normalized(seed: 7),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void A_network_run_from_eight_threads_with_a_workspace_each_gives_the_single_threaded_bits_and_allocates_nothing(string name)
    {
        INetwork network = Create(name);
        const int batch = 3;
        float[] input = Check.Random(9, batch * network.InputLength);
        var expected = new float[batch * network.OutputLength];
        network.Forward(network.CreateWorkspace(batch), input, expected, batch);
        NetworkWorkspace[] workspaces = [.. Enumerable.Range(0, Threads).Select(_ => network.CreateWorkspace(batch))];
        float[][] outputs = [.. Enumerable.Range(0, Threads).Select(_ => new float[expected.Length])];
        int[] mismatches = new int[Threads];

        OnManyThreads((t, _) =>
        {
            network.Forward(workspaces[t], input, outputs[t], batch);
            mismatches[t] += Bits(outputs[t]).SequenceEqual(Bits(expected)) ? 0 : 1;
        });

        Assert.All(mismatches, m => Assert.Equal(0, m));
        long allocated = Measure.AllocatedByThread(() => network.Forward(workspaces[0], input, outputs[0], batch), calls: 5);
        Assert.Equal(0, allocated);
        Measure.Report(output, $"concurrency {name}.Forward: {Threads} threads × {CallsPerThread} calls with a workspace each, bit-identical to one thread's; {allocated} bytes allocated per Forward");
    }

    [Theory]
    [InlineData(nameof(MnistCnn), 1)]
    [InlineData(nameof(MnistCnn), 2)]
    [InlineData(nameof(Residual), 2)]
    [InlineData(nameof(Normalized), 4)]
    public void A_training_step_of_a_generated_network_allocates_nothing_after_the_first(string name, int threads)
    {
        INetwork network = Create(name);
        var trainer = new Trainer(network, new Adam(1e-4f), maxBatch: 8, threads);
        float[] images = Check.Random(10, 8 * network.InputLength);
        int[] labels = [.. Enumerable.Range(0, 8).Select(i => i % network.OutputLength)];

        // The calling thread's allocations and those of the trainer's helper threads, each counted on its own thread: a
        // process-wide count also took in the thread pool's (168 B once in CI, a pool thread made during the measurement).
        long allocated = Measure.AllocatedByThreadAndHelpers(() => trainer.Step(images, labels, 8), () => trainer.AllocatedOnHelpers, calls: 10);

        Assert.Equal(0, allocated);
        Measure.Report(output, $"allocation {name} training step on {threads} thread(s): {allocated} bytes per step after the first");
    }
}
