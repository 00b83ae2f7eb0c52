using BenchmarkDotNet.Attributes;

namespace KernelGen.Bench;

/// <summary>
/// Whole networks (<see cref="NetworkCase"/>): ML.NET's pretrained ResNet-18 (its ONNX file from the package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>) at batch 1 and 8, and the MNIST CNN of samples/Mnist at batch 1
/// and 8, one thread; the suffix <c>_t2</c> gives every implementation two threads for the batch: ours
/// <c>Parallelism = new(2)</c>, ONNX Runtime two intra-op threads, TorchSharp <c>set_num_threads(2)</c>.
/// KernelGen runs the class <c>kernelgen</c> imported (samples/ResNet18/ResNet18.cs, batch norms folded) with the
/// imported weights; ONNX Runtime runs the ONNX file with its default graph optimisations (which fold the batch norms
/// too); TorchSharp runs torchvision's resnet18 in eval mode (random weights: the same arithmetic). For the MNIST CNN
/// all three compute the same function with the same parameters. Before timing, ONNX Runtime's outputs (and for the
/// MNIST CNN TorchSharp's) are checked against ours.
/// </summary>
[MemoryDiagnoser]
public class NetworkBenchmarks
{
    private NetworkRunner _runner = null!;

    /// <summary>Every case: network, batch and threads (<see cref="NetworkCase.Parse"/>).</summary>
    public static readonly string[] Cases = ["resnet18_b1", "resnet18_b1_t2", "resnet18_b8", "mnist_cnn_b1", "mnist_cnn_b8"];

    /// <summary>Every case, or those KERNELGEN_BENCH_SHAPES lists.</summary>
    public static IEnumerable<string> Shapes => Suite.Selected(Cases);

    /// <summary>The network and batch, as the report names them.</summary>
    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "resnet18_b1";

    [GlobalSetup(Target = nameof(Generated))]
    public void SetupGenerated() => _runner = NetworkRunner.Create(NetworkCase.Parse(Shape), NetworkRunner.Generated);

    [GlobalSetup(Target = nameof(OnnxRuntime))]
    public void SetupOnnxRuntime() => _runner = Checked(NetworkRunner.OnnxRuntime);

    [GlobalSetup(Target = nameof(TorchSharp))]
    public void SetupTorchSharp()
    {
        NetworkCase c = NetworkCase.Parse(Shape);
        _runner = c.Network == NetworkCase.MnistCnn ? Checked(NetworkRunner.TorchSharp) : NetworkRunner.Create(c, NetworkRunner.TorchSharp);
    }

    [GlobalCleanup]
    public void Cleanup() => _runner.Dispose();

    [Benchmark(Baseline = true)]
    public float Generated()
    {
        _runner.Run();
        return _runner.Output[0];
    }

    [Benchmark]
    public float OnnxRuntime()
    {
        _runner.Run();
        return _runner.Output[0];
    }

    [Benchmark]
    public float TorchSharp()
    {
        _runner.Run();
        return _runner.Output[0];
    }

    /// <summary>The peer's runner, once its outputs agree with the generated network's on the same images.</summary>
    private NetworkRunner Checked(string implementation)
    {
        NetworkCase c = NetworkCase.Parse(Shape);
        NetworkRunner peer = NetworkRunner.Create(c, implementation);
        using (NetworkRunner ours = NetworkRunner.Create(c, NetworkRunner.Generated))
        {
            ours.Run();
            peer.Run();
            float largest = ours.Output.Max(MathF.Abs);
            for (int i = 0; i < ours.Output.Length; i++)
            {
                if (!(MathF.Abs(peer.Output[i] - ours.Output[i]) <= 1e-4f * largest))
                {
                    peer.Dispose();
                    throw new InvalidOperationException($"{Shape}: {implementation} output {i} is {peer.Output[i]}, the generated network's {ours.Output[i]} (largest {largest}).");
                }
            }
        }

        return peer;
    }
}
