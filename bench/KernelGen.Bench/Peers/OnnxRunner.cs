using Microsoft.ML.OnnxRuntime;

namespace KernelGen.Bench.Peers;

/// <summary>
/// One ONNX Runtime session configured as suite.md says: one intra-op (or <c>threads</c>) and one inter-op thread,
/// sequential execution, all graph optimisations, and input and output <see cref="OrtValue"/>s over pre-allocated
/// arrays, so that <see cref="Run"/> does no copying or allocation of tensors. The model's first input and first
/// output are the ones bound.
/// </summary>
public sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _input, _output;
    private readonly string[] _inputNames, _outputNames;
    private readonly OrtValue[] _inputValues, _outputValues;

    /// <summary>A model in memory (the suite's one-layer models, the MNIST CNN); <paramref name="profile"/> as for a file.</summary>
    public OnnxRunner(byte[] model, float[] input, long[] inputShape, float[] output, long[] outputShape, int threads = 1, string? profile = null)
        : this(options => new InferenceSession(model, options), input, inputShape, output, outputShape, threads, profile)
    {
    }

    /// <summary>
    /// A model file (the whole networks: read by ONNX Runtime itself, not held in a managed array); with
    /// <paramref name="profile"/>, ONNX Runtime's profiling on, its JSON file starting with that path (see <see cref="EndProfiling"/>).
    /// </summary>
    public OnnxRunner(string modelPath, float[] input, long[] inputShape, float[] output, long[] outputShape, int threads = 1, string? profile = null)
        : this(options => new InferenceSession(modelPath, options), input, inputShape, output, outputShape, threads, profile)
    {
    }

    private OnnxRunner(Func<SessionOptions, InferenceSession> open, float[] input, long[] inputShape, float[] output, long[] outputShape, int threads, string? profile = null)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        if (profile is not null)
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = profile;
        }

        _session = open(options);
        _inputNames = [_session.InputMetadata.Keys.First()];
        _outputNames = [_session.OutputMetadata.Keys.First()];
        _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        _output = OrtValue.CreateTensorValueFromMemory(output, outputShape);
        _inputValues = [_input];
        _outputValues = [_output];
    }

    /// <summary>Ends ONNX Runtime's profiling and returns the path of its JSON file (Chrome's trace format).</summary>
    public string EndProfiling() => _session.EndProfiling();

    /// <summary>Runs the model from the input array into the output array.</summary>
    public void Run() => _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);

    public void Dispose()
    {
        _input.Dispose();
        _output.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
