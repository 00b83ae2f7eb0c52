using BenchmarkDotNet.Attributes;

namespace KernelGen.Bench;

/// <summary>
/// The suite's convolutions: the generated kernel (baseline), the generic kernel with the same algorithm and
/// run-time shapes, and for small shapes the reference. Before timing, every implementation's output is
/// checked against the reference, and the run stops if one differs.
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private ConvShape _shape = null!;
    private float[] _input = [], _weights = [], _bias = [], _output = [];

    public static IEnumerable<string> Shapes => Suite.Selected(Suite.Convolutions.Select(c => c.Id));

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _shape = Suite.Convolutions.Single(c => c.Id == Shape);
        Conv2DGeometry g = _shape.Geometry;
        _input = Suite.Random(1, _shape.Batch * g.InputLength);
        _weights = Suite.Random(2, g.WeightLength);
        _bias = Suite.Random(3, g.OutChannels);
        _output = new float[_shape.Batch * g.OutputLength];

        var expected = new float[_output.Length];
        Reference.Conv2D<float>(g, _input, _weights, _bias, expected, _shape.Batch, _shape.Activation);
        double tolerance = g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth * Math.Pow(2, -23);
        foreach ((string name, Action run) in new (string, Action)[] { ("generated", Generated), ("generic", Generic) })
        {
            Array.Fill(_output, float.NaN);
            run();
            TensorComparison comparison = TensorComparison.Of(expected, _output, [_output.Length], tolerance, tolerance);
            if (!comparison.Matches)
            {
                throw new InvalidOperationException($"{Shape}: the {name} kernel differs from the reference: {comparison}");
            }
        }
    }

    [Benchmark(Baseline = true)]
    public void Generated() => _shape.Generated(_input, _weights, _bias, _output);

    [Benchmark]
    public void Generic() => KernelGen.Generic.Conv2D(_shape.Geometry, _input, _weights, _bias, _output, _shape.Batch, _shape.Activation);

    /// <summary>Floating-point operations of one call, for GFLOP/s.</summary>
    public long Flops => _shape.Batch * _shape.Geometry.Flops;
}
