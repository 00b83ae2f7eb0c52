using System.Diagnostics;
using KernelGen.Bench.Peers;
using KernelGen.Samples;
using KernelGen.Training;
using TorchSharp;
using TorchSharp.Modules;
using TorchAdam = TorchSharp.Modules.Adam;
using TorchParameter = TorchSharp.Modules.Parameter;
using TorchTensor = TorchSharp.torch.Tensor;

namespace KernelGen.TrainingComparison;

/// <summary>
/// TorchSharp: the same network — the CNN as an <c>nn.Sequential</c> whose layers carry KernelGen's layer names, the
/// ResNet as <see cref="TorchResNet"/> — so that its parameters are named as KernelGen's (<c>Conv1.weight</c>, …,
/// <c>Logits.bias</c>; <c>conv1.weight</c>, …, <c>fc.bias</c>) and start from the same values;
/// <c>CrossEntropyLoss</c> and <c>torch.optim.Adam</c>. Training runs in train mode with autograd on, tests in eval
/// mode under <c>no_grad</c>.
/// </summary>
internal sealed class TorchTrainee : ITrainee, IDisposable
{
    private const int TestChunk = 1000;

    private readonly torch.nn.Module<TorchTensor, TorchTensor> _model;
    private readonly string _modelName;
    private readonly TorchAdam _optimizer;
    private readonly CrossEntropyLoss _loss = torch.nn.CrossEntropyLoss();
    private readonly Batches _batches;
    private readonly long[] _labels;
    private readonly TorchTensor _testImages, _testLabels;
    private readonly TrainingSettings _settings;

    /// <summary>Builds the network with the values of <paramref name="initial"/>; <see cref="Load"/> must have run.</summary>
    public TorchTrainee(string model, IReadOnlyDictionary<string, Tensor> initial, LabeledImages train, LabeledImages test, TrainingSettings settings)
    {
        _settings = settings;
        _modelName = model;
        _model = CreateModel(model);
        CopyParameters(initial, _model);
        _optimizer = torch.optim.Adam(_model.parameters(), lr: Comparison.LearningRate);
        _batches = new Batches(train, settings.Batch, settings.Seed);
        _labels = new long[settings.Batch];
        _testImages = torch.tensor(test.Images, [test.Count, 1, test.Height, test.Width]);
        _testLabels = torch.tensor(test.Labels.Select(l => (long)l).ToArray(), [test.Count]);
    }

    public string Name => "TorchSharp";

    /// <summary>Loads libtorch (patching the build output's copy as <see cref="TorchPeer"/> does) with <paramref name="threads"/> threads and autograd on.</summary>
    public static void Load(int threads)
    {
        TorchPeer.EnsureLoaded();
        torch.set_num_threads(threads);
        torch.set_grad_enabled(true);
    }

    /// <summary>The model <paramref name="model"/> names: <see cref="TorchResNet"/> for <c>resnet</c>, or the CNN.</summary>
    public static torch.nn.Module<TorchTensor, TorchTensor> CreateModel(string model) => model == "resnet" ? new TorchResNet() : CreateCnn();

    /// <summary>conv 3×3 1→32, ReLU, max pool 2, flatten, linear 5408→128, ReLU, linear 128→10, named as KernelGen's layers.</summary>
    private static Sequential CreateCnn() => torch.nn.Sequential(
        ("Conv1", torch.nn.Conv2d(1, 32, 3)),
        ("Relu1", torch.nn.ReLU()),
        ("Pool1", torch.nn.MaxPool2d(2)),
        ("Flatten", torch.nn.Flatten()),
        ("Fc1", torch.nn.Linear(5408, 128)),
        ("Relu2", torch.nn.ReLU()),
        ("Logits", torch.nn.Linear(128, 10)));

    public void WarmUp()
    {
        using torch.nn.Module<TorchTensor, TorchTensor> model = CreateModel(_modelName);
        using TorchAdam optimizer = torch.optim.Adam(model.parameters(), lr: Comparison.LearningRate);
        Step(model, optimizer, _batches.Fill(0));
        Correct(model, 0, Math.Min(TestChunk, _testImages.shape[0]));
    }

    public EpochResult Epoch(int epoch, float learningRate)
    {
        foreach (var group in _optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }

        _batches.StartEpoch(epoch);
        double lossSum = 0;
        int samples = 0;
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < _batches.Count; b++)
        {
            int count = _batches.Fill(b);
            lossSum += Step(_model, _optimizer, count) * count;
            samples += count;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        return new EpochResult(seconds, lossSum / samples, TestAccuracy());
    }

    public float[] TestLogits(int count)
    {
        _model.eval();
        using var noGrad = torch.no_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        return _model.forward(_testImages.narrow(0, 0, count)).data<float>().ToArray();
    }

    public void Dispose()
    {
        _testImages.Dispose();
        _testLabels.Dispose();
        _optimizer.Dispose();
        _loss.Dispose();
        _model.Dispose();
    }

    /// <summary>One training step on the first <paramref name="count"/> images of the current batch; returns the mean loss.</summary>
    private float Step(torch.nn.Module<TorchTensor, TorchTensor> model, TorchAdam optimizer, int count)
    {
        using DisposeScope scope = torch.NewDisposeScope();
        for (int i = 0; i < count; i++)
        {
            _labels[i] = _batches.Labels[i];
        }

        TorchTensor images = torch.tensor(_batches.Images, [_settings.Batch, 1, 28, 28]).narrow(0, 0, count);
        TorchTensor labels = torch.tensor(_labels, [_settings.Batch]).narrow(0, 0, count);
        model.train();
        optimizer.zero_grad();
        TorchTensor loss = _loss.forward(model.forward(images), labels);
        loss.backward();
        optimizer.step();
        return loss.item<float>();
    }

    private double TestAccuracy()
    {
        long count = _testImages.shape[0], correct = 0;
        for (long first = 0; first < count; first += TestChunk)
        {
            correct += Correct(_model, first, Math.Min(TestChunk, count - first));
        }

        return (double)correct / count;
    }

    /// <summary>How many of <paramref name="count"/> test images from <paramref name="first"/> on <paramref name="model"/> classifies correctly.</summary>
    private long Correct(torch.nn.Module<TorchTensor, TorchTensor> model, long first, long count)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        using DisposeScope scope = torch.NewDisposeScope();
        TorchTensor predicted = model.forward(_testImages.narrow(0, first, count)).argmax(1);
        return predicted.eq(_testLabels.narrow(0, first, count)).sum().item<long>();
    }

    /// <summary>
    /// Copies each of <paramref name="model"/>'s parameters and buffers (batch norms' running statistics; not their
    /// <c>num_batches_tracked</c> counters, which KernelGen does not keep) from the tensor of the same name, checking
    /// shapes, and that every tensor found one.
    /// </summary>
    private static void CopyParameters(IReadOnlyDictionary<string, Tensor> tensors, torch.nn.Module model)
    {
        using var noGrad = torch.no_grad();
        var unused = new HashSet<string>(tensors.Keys, StringComparer.Ordinal);
        IEnumerable<(string Name, TorchTensor Tensor)> targets = model.named_parameters().Select(p => (p.name, (TorchTensor)p.parameter))
            .Concat(model.named_buffers().Where(b => !b.name.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(b => (b.name, b.buffer)));
        foreach ((string name, TorchTensor parameter) in targets)
        {
            long[] shape = parameter.shape;
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            Safetensors.CopyTensor(tensors, name, [.. shape.Select(s => (int)s)], values);
            using TorchTensor source = torch.tensor(values, shape);
            parameter.copy_(source);
            unused.Remove(name);
        }

        if (unused.Count > 0)
        {
            throw new InvalidOperationException($"The TorchSharp model has no parameter for {string.Join(", ", unused)}.");
        }
    }
}
