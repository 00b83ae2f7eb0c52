using System.Reflection;
using KernelGen.Generator.Tests;
using KernelGen.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace KernelGen.Onnx.Tests;

/// <summary>Imports a model, compiles the class with the generator, and runs it beside ONNX Runtime on the same inputs.</summary>
internal static class ImportRunner
{
    /// <summary>
    /// Imports <paramref name="model"/>, compiles it, loads the imported weights, and checks its output on random inputs
    /// (a batch of <paramref name="batch"/>) against ONNX Runtime's: within 1e-4 of the output's largest magnitude.
    /// </summary>
    public static OnnxImport AssertMatches(byte[] model, OnnxImportOptions? options = null, int batch = 1, int seed = 1)
    {
        OnnxImport imported = OnnxImport.Import(model, "test.onnx", options ?? new OnnxImportOptions("Imported"));
        INetwork network = Load(imported);
        var random = new Random(seed);
        float[] input = [.. Enumerable.Range(0, batch * network.InputLength).Select(_ => (random.NextSingle() * 2) - 1)];
        float[] ours = Run(network, imported, input, batch);
        float[] theirs = OnnxRuntime(model, input, batch, network.InputLength);
        AssertClose(theirs, ours);
        return imported;
    }

    public static INetwork Load(OnnxImport imported)
    {
        Assembly assembly = Harness.CompileAndLoad(imported.Source);
        Type type = assembly.GetTypes().Single(t => t.Name == imported.ClassName);
        var network = (INetwork)Activator.CreateInstance(type, 0, 8)!;
        foreach (Parameter parameter in network.Parameters)
        {
            Assert.True(imported.Weights.TryGetValue(parameter.Name, out Tensor? weights), $"No imported tensor for '{parameter.Name}'.");
            Assert.Equal(parameter.Shape, weights!.Shape.ToArray());
            weights.AsSpan().CopyTo(parameter.Values);
        }

        Assert.Equal(imported.Weights.Count, network.Parameters.Count);
        return network;
    }

    /// <summary>The network's output — its <c>Probabilities</c> when the model ends in a Softmax, its <c>Forward</c> otherwise.</summary>
    public static float[] Run(INetwork network, OnnxImport imported, float[] input, int batch)
    {
        var output = new float[batch * network.OutputLength];
        if (imported.Softmax)
        {
            MethodInfo probabilities = network.GetType().GetMethod("Probabilities")!;
            var call = probabilities.CreateDelegate<Probabilities>(network);
            call(input, output, batch);
        }
        else
        {
            network.Forward(network.CreateWorkspace(batch), input, output, batch);
        }

        return output;
    }

    private delegate void Probabilities(ReadOnlySpan<float> input, Span<float> probabilities, int batch);

    public static float[] OnnxRuntime(byte[] model, float[] input, int batch, int perSample)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        (string name, NodeMetadata metadata) = session.InputMetadata.Single();
        int[] shape = [batch, .. metadata.Dimensions.Skip(1)];
        Assert.Equal(perSample, shape.Skip(1).Aggregate(1, (a, b) => a * b));
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(input, shape))]);
        return [.. results.Single().AsEnumerable<float>()];
    }

    /// <summary>Every element within 1e-4 of the largest magnitude of <paramref name="expected"/>.</summary>
    public static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), worst = -1;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]);
            if (!(error <= worst))
            {
                (worst, at) = (error, i);
            }
        }

        Assert.True(worst <= 1e-4 * scale, $"Element {at}: {actual[at]}, ONNX Runtime {expected[at]} (error {worst:G3}, {worst / scale:G3} of the largest magnitude {scale:G4}).");
    }
}
