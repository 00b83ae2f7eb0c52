using Google.Protobuf;
using KernelGen.Tests.Shared;
using Xunit.Abstractions;

namespace KernelGen.Onnx.Tests;

/// <summary>
/// The importer on damaged and hostile ONNX files (<see cref="FileFuzzer"/>): an <see cref="OnnxImportException"/> with a
/// message, and never one that wraps an importer bug (any exception but the protobuf parser's own); no allocation beyond a
/// small multiple of the file; no hang. docs/reliability.md gives the figures.
/// </summary>
public class FileFuzzTests(ITestOutputHelper output)
{
    private static byte[] Cnn()
    {
        var b = new OnnxBuilder(3, 1, 3, 8, 8);
        string x = b.Node("Conv", ["x", b.Weight([4, 3, 3, 3]), b.Weight([4])], ("kernel_shape", new[] { 3, 3 }), ("pads", new[] { 1, 1, 1, 1 }));
        x = b.Node("BatchNormalization", [x, b.Weight([4]), b.Weight([4]), b.Weight([4]), b.Weight([4], low: 0.5f)]);
        x = b.Node("Relu", [x]);
        x = b.Node("MaxPool", [x], ("kernel_shape", new[] { 2, 2 }), ("strides", new[] { 2, 2 }));
        x = b.Node("Flatten", [x]);
        return b.Build(b.Node("Gemm", [x, b.Weight([3, 4 * 4 * 4]), b.Weight([3])], ("transB", 1)));
    }

    private static byte[] Residual()
    {
        var b = new OnnxBuilder(4, 1, 2, 6, 6);
        string x = b.Node("Conv", ["x", b.Weight([2, 1, 3, 3])], ("group", 2), ("pads", new[] { 1, 1, 1, 1 }));
        x = b.Node("Relu", [b.Node("Add", [x, "x"])]);
        x = b.Node("AveragePool", [x], ("kernel_shape", new[] { 3, 3 }), ("strides", new[] { 2, 2 }), ("pads", new[] { 1, 1, 1, 1 }));
        return b.Build(b.Node("Flatten", [b.Node("GlobalAveragePool", [x])]));
    }

    [Fact]
    public void Importer_survives_damaged_models_with_only_OnnxImportException_and_no_importer_bug()
    {
        var fuzzer = new FileFuzzer("ONNX import", bytes => OnnxImport.Import(bytes, "fuzzed.onnx", new OnnxImportOptions("Fuzzed")),
            e => e is not OnnxImportException ? $"{e.GetType().Name} is not an OnnxImportException"
                : e.InnerException is not (null or InvalidProtocolBufferException) ? "the importer failed inside (a bug it reports as one)"
                : string.IsNullOrWhiteSpace(e.Message) ? "the exception has no message"
                : null,
            length => (64 * length) + (32 << 20));

        FileFuzzer.Figures figures = fuzzer.Run(output, [Cnn(), Residual()], FileFuzzer.Iterations(3000));

        Assert.InRange(figures.Read, 20, figures.Inputs / 2);
    }
}
