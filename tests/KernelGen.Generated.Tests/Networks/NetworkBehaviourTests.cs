using System.Collections.Generic;
using System.IO;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>What a user of a generated network relies on besides the kernels: initialisation, Forward and Predict,
/// saving and loading, argument errors, and training that learns.</summary>
public sealed class NetworkBehaviourTests
{
    [Fact]
    public void The_same_seed_gives_the_same_parameters_and_another_seed_others()
    {
        var a = new MnistCnn(seed: 4);
        var b = new MnistCnn(seed: 4);
        var c = new MnistCnn(seed: 5);
        Assert.Equal(a.Fc1Weight.Values, b.Fc1Weight.Values);
        Assert.NotEqual(a.Fc1Weight.Values, c.Fc1Weight.Values);

        // Glorot uniform by default, zero biases: U(±√(6 / (fanIn + fanOut))), fanIn 1·3·3 and fanOut 32·3·3 for Conv1.
        AssertUniform(a.Conv1Weight, MathF.Sqrt(6f / (9 + 288)));
        AssertUniform(a.LogitsWeight, MathF.Sqrt(6f / (128 + 10)));
        Assert.All(a.Fc1Bias.Values, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void He_initialisation_applies_to_the_layers_followed_by_ReLU_and_Glorot_to_the_others()
    {
        var network = new EveryLayer(seed: 1);
        AssertUniform(network.Conv2Weight, MathF.Sqrt(6f / (2 * 3 * 2)));          // ReLU, groups 2: fanIn 2·3·2
        AssertUniform(network.Fc1Weight, MathF.Sqrt(6f / 12));                    // ReLU
        AssertUniform(network.Conv1Weight, MathF.Sqrt(6f / ((2 * 9) + (4 * 9)))); // tanh
        AssertUniform(network.OutWeight, MathF.Sqrt(6f / (9 + 5)));              // no activation
    }

    /// <summary>Every value inside ±bound, and some beyond half of it (so not a smaller rule's values).</summary>
    private static void AssertUniform(Parameter parameter, float bound)
    {
        Assert.All(parameter.Values, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.Contains(parameter.Values, v => Math.Abs(v) > 0.6f * bound);
    }

    [Fact]
    public void Forward_in_chunks_larger_than_the_buffers_equals_one_sample_at_a_time_and_Predict_takes_the_largest_score()
    {
        var network = new EveryLayer(seed: 1, maxBatch: 3);
        const int batch = 7;
        float[] input = Data(3, batch * EveryLayer.InputSize);
        var logits = new float[batch * EveryLayer.OutputSize];
        network.Forward(input, logits, batch);

        var classes = new int[batch];
        network.Predict(input, classes, batch);
        var one = new float[EveryLayer.OutputSize];
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> image = input.AsSpan(n * EveryLayer.InputSize, EveryLayer.InputSize);
            network.Forward(image, one);
            Assert.Equal(one, logits.AsSpan(n * EveryLayer.OutputSize, EveryLayer.OutputSize).ToArray());
            int best = Array.IndexOf(one, one.Max());
            Assert.Equal(best, classes[n]);
            Assert.Equal(best, network.Predict(image));
        }
    }

    [Fact]
    public void Save_and_Load_round_trip_every_parameter_under_its_PyTorch_name()
    {
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-{Guid.NewGuid():N}.safetensors");
        try
        {
            var trained = new EveryLayer(seed: 8);
            trained.OutWeight.Values[0] = 0.25f; // not what any seed gives
            trained.Save(path);

            IReadOnlyDictionary<string, Tensor> file = Safetensors.Load(path);
            Assert.Equal(trained.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal), file.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([6, 2, 3, 2], file["Conv2.weight"].Shape.ToArray());

            var loaded = new EveryLayer(seed: 9);
            loaded.Load(path);
            for (int p = 0; p < trained.Parameters.Count; p++)
            {
                Assert.Equal(trained.Parameters[p].Values, loaded.Parameters[p].Values);
            }

            float[] input = Data(1, 2 * EveryLayer.InputSize);
            float[] expected = new float[2 * EveryLayer.OutputSize], actual = new float[expected.Length];
            trained.Forward(input, expected, 2);
            loaded.Forward(input, actual, 2);
            Assert.Equal(expected, actual);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loading_a_file_with_a_missing_tensor_or_a_wrong_shape_names_it_and_changes_nothing()
    {
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-{Guid.NewGuid():N}.safetensors");
        try
        {
            var network = new MnistCnn(seed: 2);
            float[] before = (float[])network.Fc1Weight.Values.Clone();

            var tensors = network.Parameters.Where(p => p.Name != "Logits.bias").ToDictionary(p => p.Name, p => Tensor.FromArray((float[])p.Values.Clone(), [.. p.Shape]));
            Safetensors.Save(path, tensors);
            var missing = Assert.Throws<KeyNotFoundException>(() => new MnistCnn(seed: 3).Load(path));
            Assert.Contains("'Logits.bias' is missing", missing.Message, StringComparison.Ordinal);

            tensors["Logits.bias"] = Tensor.Zeros(11);
            tensors["Fc1.weight"] = Tensor.Zeros(128, 5408);
            Safetensors.Save(path, tensors);
            var wrong = Assert.Throws<InvalidDataException>(() => network.Load(path));
            Assert.Equal("Tensor 'Logits.bias' has shape [11], expected [10].", wrong.Message);
            Assert.Equal(before, network.Fc1Weight.Values);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bad_arguments_throw_naming_the_parameter()
    {
        var network = new MnistCnn(maxBatch: 2);
        var other = new MnistCnn(maxBatch: 2);
        NetworkWorkspace workspace = network.CreateWorkspace(2);
        float[] input = new float[2 * MnistCnn.InputSize], logits = new float[2 * MnistCnn.OutputSize];
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => network.Forward(input.AsSpan(1), logits, 2)).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => network.Forward(input, logits.AsSpan(1), 2)).ParamName);
        Assert.Equal("image", Assert.Throws<ArgumentException>(() => network.Predict(input)).ParamName);
        Assert.Equal("workspace", Assert.Throws<ArgumentException>(() => other.Forward(workspace, input, logits, 2)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => network.ForwardBackward(network.CreateWorkspace(1), input, [0, 1], logits, 2, 1)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => network.ForwardBackward(workspace, input, [0, 10], logits, 2, 1)).ParamName);
        Assert.Equal("maxBatch", Assert.Throws<ArgumentOutOfRangeException>(() => new MnistCnn(maxBatch: 0)).ParamName);
    }

    [Fact]
    public void A_few_training_steps_on_a_small_slice_lower_the_loss_the_same_way_on_one_and_two_threads()
    {
        // A synthetic slice: each class a bright 6×6 square in its own place, with noise.
        const int count = 96, batch = 32;
        var random = new Random(12);
        var images = new float[count * MnistCnn.InputSize];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 10;
            int top = 2 + (labels[n] / 5 * 12), left = 2 + (labels[n] % 5 * 5);
            for (int i = 0; i < MnistCnn.InputSize; i++)
            {
                int y = i / 28, x = i % 28;
                bool inside = y >= top && y < top + 6 && x >= left && x < left + 6;
                images[(n * MnistCnn.InputSize) + i] = (inside ? 1f : 0f) + (float)((random.NextDouble() - 0.5) * 0.3);
            }
        }

        var data = new LabeledImages(images, labels, 28, 28, 10);
        double[] Run(int threads)
        {
            var network = new MnistCnn(seed: 3);
            var trainer = new Trainer(network, new Adam(1e-3f), batch, threads);
            var order = new BatchOrder(count, batch, seed: 1);
            var losses = new List<double> { trainer.Evaluate(data).Loss };
            for (int epoch = 0; epoch < 4; epoch++)
            {
                trainer.Epoch(data, order, epoch);
                losses.Add(trainer.Evaluate(data).Loss);
            }

            Assert.Equal(1.0, trainer.Evaluate(data).Accuracy);
            return [.. losses];
        }

        double[] one = Run(1), two = Run(2);
        Assert.True(one[^1] < one[0] / 10, $"The loss went from {one[0]} to {one[^1]}.");
        Assert.All(one.Zip(one.Skip(1)), pair => Assert.True(pair.Second < pair.First, $"The loss rose from {pair.First} to {pair.Second}."));
        Assert.Equal(one, two, (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(a)));
    }

    [Fact]
    public void Three_epochs_on_a_slice_of_real_MNIST_lower_the_loss_and_classify_unseen_digits()
    {
        // tests/data/mnist-slice: the first 1,000 training and 200 test images of MNIST, committed.
        (LabeledImages train, LabeledImages test) = LabeledImages.LoadMnist(Path.Combine(RepositoryRoot(), "tests", "data", "mnist-slice"));
        Assert.Equal((1000, 200), (train.Count, test.Count));

        var network = new MnistCnn(seed: 0);
        var trainer = new Trainer(network, new Adam(1e-3f), maxBatch: 64, threads: 2);
        StepResult before = trainer.Evaluate(test);
        var order = new BatchOrder(train.Count, 64, seed: 0);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            trainer.Epoch(train, order, epoch);
        }

        StepResult after = trainer.Evaluate(test);
        Assert.True(after.Loss < before.Loss / 4, $"The test loss went from {before.Loss:F3} to {after.Loss:F3}.");
        Assert.True(after.Accuracy > 0.8, $"The test accuracy after three epochs on 1,000 images is {after.Accuracy:P1}.");
    }

    /// <summary>The repository's root: the nearest folder above the test binaries that holds <c>KernelGen.sln</c>.</summary>
    private static string RepositoryRoot()
    {
        for (DirectoryInfo? folder = new(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "KernelGen.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds KernelGen.sln.");
    }

    private static float[] Data(int seed, int length)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
    }
}
