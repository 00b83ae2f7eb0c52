using System.Reflection;
using BenchmarkDotNet.Attributes;
using KernelGen.Bench.Peers;
using KernelGen.Onnx;
using KernelGen.Samples;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;

namespace KernelGen.Bench;

/// <summary>
/// A whole network: the pretrained ResNet-18 of ML.NET (its ONNX file from the package
/// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>), one 3×224×224 image, one thread. KernelGen runs the class kernelgen
/// imported (samples/ResNet18/ResNet18.cs, batch norms folded) with the imported weights; ONNX Runtime runs the ONNX file
/// with its default graph optimisations (which fold the batch norms too); TorchSharp runs torchvision's resnet18 in eval
/// mode (random weights: the same arithmetic; its batch norms and 1000-class head are its own). The id's suffix <c>_t2</c>
/// gives every implementation two threads for the one image: ours <c>Parallelism = new(2)</c>, ONNX Runtime two intra-op
/// threads, TorchSharp <c>set_num_threads(2)</c>.
/// </summary>
public class NetworkBenchmarks
{
    private ResNet18 _kernelGen = null!;
    private InferenceSession _session = null!;
    private NamedOnnxValue[] _onnxInputs = null!;
    private torch.nn.Module<torch.Tensor, torch.Tensor> _torch = null!;
    private torch.Tensor _torchInput = null!;
    private readonly float[] _image = new float[3 * 224 * 224], _features = new float[512];

    /// <summary>The network and batch, as the report names them.</summary>
    [Params("resnet18_b1", "resnet18_b1_t2")]
    public string Shape { get; set; } = "resnet18_b1";

    [GlobalSetup]
    public void Setup()
    {
        string model = typeof(NetworkBenchmarks).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ResNet18Model").Value!;
        var random = new Random(1);
        for (int i = 0; i < _image.Length; i++)
        {
            _image[i] = (random.NextSingle() * 255) - 128;
        }

        OnnxImport imported = OnnxImport.Import(model, new OnnxImportOptions("ResNet18") { Namespace = "KernelGen.Samples" });
        int threads = Shape.EndsWith("_t2", StringComparison.Ordinal) ? 2 : 1;
        _kernelGen = new ResNet18(maxBatch: 1) { Parallelism = new Parallelism(threads) };
        foreach (Training.Parameter parameter in _kernelGen.Parameters)
        {
            imported.Weights[parameter.Name].AsSpan().CopyTo(parameter.Values);
        }

        _session = new InferenceSession(model, new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL });
        _onnxInputs = [NamedOnnxValue.CreateFromTensor(_session.InputMetadata.Keys.Single(), new DenseTensor<float>(_image, [1, 3, 224, 224]))];

        TorchPeer.EnsureLoaded();
        torch.set_num_threads(threads);
        _torch = torchvision.models.resnet18();
        _torch.eval();
        _torchInput = torch.tensor(_image, [1, 3, 224, 224]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _torch.Dispose();
        _torchInput.Dispose();
    }

    [Benchmark(Baseline = true)]
    public float Generated()
    {
        _kernelGen.Forward(_image, _features);
        return _features[0];
    }

    [Benchmark]
    public float OnnxRuntime()
    {
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = _session.Run(_onnxInputs);
        return results[0].AsTensor<float>().GetValue(0);
    }

    [Benchmark]
    public float TorchSharp()
    {
        using torch.Tensor output = _torch.forward(_torchInput);
        return output[0, 0].item<float>();
    }
}
