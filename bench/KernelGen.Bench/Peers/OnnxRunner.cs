using Microsoft.ML.OnnxRuntime;

namespace KernelGen.Bench.Peers;

/// <summary>
/// One ONNX Runtime session configured as suite.md says: one intra-op and one inter-op thread, sequential
/// execution, all graph optimisations, and input and output <see cref="OrtValue"/>s over pre-allocated arrays,
/// so that <see cref="Run"/> does no copying or allocation of tensors.
/// </summary>
public sealed class OnnxRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue _input, _output;
    private readonly string[] _inputNames = ["x"], _outputNames = ["y"];
    private readonly OrtValue[] _inputValues, _outputValues;

    public OnnxRunner(byte[] model, float[] input, long[] inputShape, float[] output, long[] outputShape)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
        _input = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        _output = OrtValue.CreateTensorValueFromMemory(output, outputShape);
        _inputValues = [_input];
        _outputValues = [_output];
    }

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
