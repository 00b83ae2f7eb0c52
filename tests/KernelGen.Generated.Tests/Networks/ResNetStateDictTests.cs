using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using KernelGen.Samples;
using KernelGen.Training;

namespace KernelGen.Generated.Tests.Networks;

/// <summary>
/// The MNIST ResNet (samples/Mnist's <see cref="MnistResNet"/>, linked in) keeps its state as torchvision's ResNets
/// do: dotted names, batch norm buffers, and a state dict as PyTorch writes it — with its <c>num_batches_tracked</c>
/// counters as I64 — loads as it is.
/// </summary>
public sealed class ResNetStateDictTests
{
    [Fact]
    public void Its_state_has_torchvisions_names()
    {
        var network = new MnistResNet();
        string[] names = [.. network.Parameters.Select(p => p.Name)];

        string[] norm(string prefix) => [$"{prefix}.weight", $"{prefix}.bias", $"{prefix}.running_mean", $"{prefix}.running_var"];
        Assert.Equal(
            [
                "conv1.weight", .. norm("bn1"),
                "layer1.0.conv1.weight", .. norm("layer1.0.bn1"), "layer1.0.conv2.weight", .. norm("layer1.0.bn2"),
                "layer2.0.conv1.weight", .. norm("layer2.0.bn1"), "layer2.0.conv2.weight", .. norm("layer2.0.bn2"),
                "layer2.0.downsample.0.weight", .. norm("layer2.0.downsample.1"),
                "fc.weight", "fc.bias",
            ],
            names);
    }

    [Fact]
    public void A_state_dict_written_as_PyTorch_writes_it_loads_bit_for_bit()
    {
        MnistResNet trained = Trained();
        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-resnet-{Guid.NewGuid():N}.safetensors");
        try
        {
            // As safetensors.torch.save_file(model.state_dict()) writes it: every tensor, and an I64 counter per batch norm.
            WriteStateDict(path, trained.Parameters, trained.Parameters.Where(p => p.Name.EndsWith(".running_mean", StringComparison.Ordinal))
                .Select(p => p.Name.Replace(".running_mean", ".num_batches_tracked", StringComparison.Ordinal)));
            var loaded = new MnistResNet(seed: 5);
            loaded.Load(path);
            for (int i = 0; i < trained.Parameters.Count; i++)
            {
                Assert.Equal(trained.Parameters[i].Values, loaded.Parameters[i].Values);
            }

            float[] images = [.. Enumerable.Range(0, 2 * MnistResNet.InputSize).Select(i => (i * 37 % 101) / 100f)];
            float[] expected = new float[2 * MnistResNet.OutputSize], actual = new float[expected.Length];
            trained.Forward(images, expected, 2);
            loaded.Forward(images, actual, 2);
            Assert.Equal(expected, actual);

            // Its own Save writes the same tensors (F32, no counters), which load back as well.
            trained.Save(path);
            var again = new MnistResNet(seed: 6);
            again.Load(path);
            Assert.All(Enumerable.Range(0, trained.Parameters.Count), i => Assert.Equal(trained.Parameters[i].Values, again.Parameters[i].Values));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A network whose running statistics and weights have moved from their first values: two training steps.</summary>
    private static MnistResNet Trained()
    {
        var network = new MnistResNet(seed: 3, maxBatch: 4);
        var trainer = new Trainer(network, new Adam(1e-3f), 4);
        var random = new Random(4);
        for (int step = 0; step < 2; step++)
        {
            float[] images = [.. Enumerable.Range(0, 4 * MnistResNet.InputSize).Select(_ => (float)random.NextDouble())];
            trainer.Step(images, [1, 7, 3, 0], 4);
        }

        Assert.DoesNotContain(0f, network.Parameters.Single(p => p.Name == "bn1.running_mean").Values);
        return network;
    }

    /// <summary>Writes a safetensors file as PyTorch would: the parameters as F32 and the named counters as I64 (value 2).</summary>
    private static void WriteStateDict(string path, IReadOnlyList<Parameter> parameters, IEnumerable<string> counters)
    {
        using var data = new MemoryStream();
        var header = new Dictionary<string, object>();
        Span<byte> bytes = stackalloc byte[8];
        foreach (Parameter parameter in parameters)
        {
            long begin = data.Length;
            foreach (float value in parameter.Values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
                data.Write(bytes[..4]);
            }

            header[parameter.Name] = new { dtype = "F32", shape = parameter.Shape, data_offsets = new[] { begin, data.Length } };
        }

        foreach (string counter in counters)
        {
            long begin = data.Length;
            BinaryPrimitives.WriteInt64LittleEndian(bytes, 2);
            data.Write(bytes);
            header[counter] = new { dtype = "I64", shape = Array.Empty<int>(), data_offsets = new[] { begin, data.Length } };
        }

        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using FileStream file = File.Create(path);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        file.Write(bytes);
        file.Write(json);
        data.Position = 0;
        data.CopyTo(file);
    }
}
