using BenchmarkDotNet.Attributes;
using KernelGen.Bench.Peers;
using TorchSharp;

namespace KernelGen.Bench;

/// <summary>
/// One suite layer timed five ways: the generated kernel (baseline), the generic kernel with the same algorithm
/// and run-time shapes, the reference (small layers only), ONNX Runtime and TorchSharp. Before timing, every
/// implementation's output is checked against the reference, and the run stops if one differs.
/// </summary>
[MemoryDiagnoser]
public abstract class LayerBenchmarks
{
    private SuiteLayer _layer = null!;
    private float[] _input = [], _weights = [], _bias = [], _output = [];
    private OnnxRunner? _onnx;
    private torch.Tensor? _torchInput, _torchWeights, _torchBias;

    /// <summary>The suite id of the layer; each subclass lists its own with <c>ParamsSource</c>.</summary>
    public abstract string Shape { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _layer = Suite.Find(Shape);
        _input = Suite.Random(1, _layer.InputLength);
        _weights = _layer.Weights();
        _bias = Suite.Random(3, _layer.BiasLength);
        _output = new float[_layer.OutputLength];
        _layer.Prepare(_weights);

        _onnx = new OnnxRunner(_layer.Onnx(_weights, _bias), _input, _layer.InputShape, _output, _layer.OutputShape);
        TorchPeer.EnsureLoaded();
        _torchInput = torch.tensor(_input, _layer.InputShape);
        _torchWeights = torch.tensor(_weights, [_weights.Length]);
        _torchBias = torch.tensor(_bias, [_bias.Length]);
        if (_layer.WeightLength > 0)
        {
            _torchWeights = _layer.TorchWeights(_torchWeights);
        }

        Check();
    }

    private void Check()
    {
        var expected = new float[_output.Length];
        _layer.Reference(_input, _weights, _bias, expected);
        double ours = _layer.Terms * Math.Pow(2, -23), peers = _layer.Terms * Math.Pow(2, -20);
        foreach ((string name, Action run, double tolerance) in new (string, Action, double)[]
        {
            (nameof(Generated), Generated, _layer.GeneratedTolerance),
            (nameof(Generic), Generic, ours),
            (nameof(OnnxRuntime), OnnxRuntime, peers),
            (nameof(TorchSharp), CopyTorchOutput, peers),
        })
        {
            Array.Fill(_output, float.NaN);
            run();
            TensorComparison comparison = TensorComparison.Of(expected, _output, [_output.Length], tolerance, tolerance);
            if (!comparison.Matches)
            {
                throw new InvalidOperationException($"{Shape}: {name} differs from the reference: {comparison}");
            }
        }
    }

    private void CopyTorchOutput()
    {
        using torch.Tensor result = _layer.Torch(_torchInput!, _torchWeights!, _torchBias!);
        result.contiguous().data<float>().CopyTo(_output, 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _onnx?.Dispose();
        _torchInput?.Dispose();
        _torchWeights?.Dispose();
        _torchBias?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Generated() => _layer.Generated(_input, _weights, _bias, _output);

    [Benchmark]
    public void Generic() => _layer.Generic(_input, _weights, _bias, _output);

    /// <summary>Timed on small layers only (see <see cref="BenchConfig"/>).</summary>
    [Benchmark]
    public void Reference() => _layer.Reference(_input, _weights, _bias, _output);

    [Benchmark]
    public void OnnxRuntime() => _onnx!.Run();

    /// <summary>The functional call under no_grad, one thread; libtorch allocates the output, which is freed at once.</summary>
    [Benchmark]
    public void TorchSharp()
    {
        using torch.Tensor result = _layer.Torch(_torchInput!, _torchWeights!, _torchBias!);
    }
}

public class ConvBenchmarks : LayerBenchmarks
{
    public static IEnumerable<string> Shapes => Suite.Selected(Suite.Convolutions);

    [ParamsSource(nameof(Shapes))]
    public override string Shape { get; set; } = "";
}

public class PoolBenchmarks : LayerBenchmarks
{
    public static IEnumerable<string> Shapes => Suite.Selected(Suite.Pools);

    [ParamsSource(nameof(Shapes))]
    public override string Shape { get; set; } = "";
}

public class ElementwiseBenchmarks : LayerBenchmarks
{
    public static IEnumerable<string> Shapes => Suite.Selected(Suite.Elementwise);

    [ParamsSource(nameof(Shapes))]
    public override string Shape { get; set; } = "";
}

public class DenseBenchmarks : LayerBenchmarks
{
    public static IEnumerable<string> Shapes => Suite.Selected(Suite.Dense);

    [ParamsSource(nameof(Shapes))]
    public override string Shape { get; set; } = "";
}
