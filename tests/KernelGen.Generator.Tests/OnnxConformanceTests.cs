using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using KernelGen.Tests;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace KernelGen.Generator.Tests;

/// <summary>
/// The ONNX backend conformance cases of Conv, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool and Gemm,
/// run through generated kernels. The inputs and expected outputs are the onnx package's own
/// (<c>onnx.backend.test.case.node</c>), written once to <c>tests/data/onnx-conformance</c> by its
/// <c>generate.py</c>; no Python runs here. Each case that is a 2-D float layer becomes the attribute a user
/// would write for that ONNX node and is compared, through the public method and on every hardware path,
/// with ONNX's expected output. Every other case is in <see cref="Excluded"/> with its reason, and
/// <see cref="Every_case_in_the_data_folder_is_run_or_excluded_with_a_reason"/> keeps the two lists whole.
/// </summary>
public class OnnxConformanceTests(ITestOutputHelper output)
{
    /// <summary>The cases that are not a 2-D float layer, each with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> Excluded = new Dictionary<string, string>
    {
        ["test_averagepool_1d_default"] = "1-D pool (input [1, 3, 32]): the pool attributes are 2-D only.",
        ["test_averagepool_3d_default"] = "3-D pool (input [1, 3, 32, 32, 32]): the pool attributes are 2-D only. (Its values are not in the data file: too large.)",
        ["test_maxpool_1d_default"] = "1-D pool (input [1, 3, 32]): the pool attributes are 2-D only.",
        ["test_maxpool_3d_default"] = "3-D pool (input [1, 3, 32, 32, 32]): the pool attributes are 2-D only. (Its values are not in the data file: too large.)",
        ["test_maxpool_2d_uint8"] = "uint8 tensors: KernelGen's layers are float32.",
        ["test_maxpool_with_argmax_2d_precomputed_pads"] = "Asks for MaxPool's second output, Indices (the flattened argmax of each window), which no layer produces.",
        ["test_maxpool_with_argmax_2d_precomputed_strides"] = "Asks for MaxPool's second output, Indices, in column-major order (storage_order = 1); no layer produces indices.",
        ["test_gemm_default_matrix_bias"] = "C is a [3, 4] matrix, a different bias for each row (each sample): a dense layer's bias is one per output feature, the same for every sample.",
        ["test_gemm_transposeA"] = "transA = 1: A holds the activations transposed, [features, samples]; a layer reads samples back to back, so this is a Transpose followed by a layer, not a layer.",
        ["test_gemm_all_attributes"] = "transA = 1 (as test_gemm_transposeA): the activations are transposed. Its alpha, beta and transB alone would map (see test_gemm_alpha, test_gemm_beta, test_gemm_transposeB).",
    };

    private static readonly string[] Ops = ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm"];

    /// <summary>tests/data/onnx-conformance, found from this project's folder (recorded at build time), as the snapshots are.</summary>
    public static string DataFolder { get; } = Path.GetFullPath(Path.Combine(Snapshot.ProjectDirectory, "..", "data", "onnx-conformance"));

    private static readonly Lazy<OnnxCase[]> AllCases = new(() =>
        [.. Directory.GetFiles(DataFolder, "*.json").Order(StringComparer.Ordinal).Select(OnnxCase.Load)]);

    private static OnnxCase[] Runnable => [.. AllCases.Value.Where(c => !Excluded.ContainsKey(c.Name))];

    /// <summary>The cases run, by name, so that the test output lists each.</summary>
    public static TheoryData<string> Cases => [.. Runnable.Select(c => c.Name)];

    /// <summary>
    /// Every runnable case declared in one source and compiled once; if that fails (a case the generator rejects or
    /// that does not compile), null, and each case then compiles alone so that the failure is its own.
    /// </summary>
    private static readonly Lazy<Assembly?> Shared = new(() =>
    {
        OnnxCase[] cases = Runnable;
        try
        {
            return Compile(Source(cases.Select((c, i) => (c, i))), out _);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_onnx_through_the_generated_kernel(string name)
    {
        OnnxCase[] cases = Runnable;
        int index = Array.FindIndex(cases, c => c.Name == name);
        OnnxCase c = cases[index];
        Layer layer = Map(c);
        output.WriteLine($"{c.Name} ({c.OpType}, opset {c.Opset}): {c.AttributeText}");
        output.WriteLine($"  as {layer.Attribute}, batch {layer.Batch}");

        Assembly assembly = Shared.Value ?? Compile(Source([(c, index)]), out string? failure)
            ?? throw new Xunit.Sdk.XunitException($"{c.Name}: {layer.Attribute} does not compile:{Environment.NewLine}{failure}");

        float[] expected = c.Outputs[0].Floats(c.Name);
        double tolerance = Math.Max(layer.ReductionLength, 1) * Math.Pow(2, -23);
        var actual = new float[expected.Length];
        Array.Fill(actual, float.NaN);

        // The public method, on whichever path this machine takes ...
        try
        {
            assembly.GetType("Onnx.Conformance")!.GetMethod($"Run{index}")!.Invoke(null, [layer.Input, layer.Weights, layer.Bias, actual, layer.Batch]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new Xunit.Sdk.XunitException($"{c.Name}: {layer.Attribute} threw {e.InnerException.GetType().Name}: {e.InnerException.Message}");
        }

        double worst = Compare(c, layer, "dispatch", expected, actual, tolerance);

        // ... and every path directly (Vector512 is emulated where it is not accelerated, and so is NEON's Vector128 path on x64).
        foreach (string path in KernelPaths.Of(assembly, $"ConformanceK{index}Kernel"))
        {
            Array.Fill(actual, float.NaN);
            KernelPaths.Run(assembly, $"ConformanceK{index}Kernel", path, layer.Weights.Length > 0, layer.HasBias, layer.Input, layer.Weights, layer.Bias, actual, layer.Batch);
            worst = Math.Max(worst, Compare(c, layer, path, expected, actual, tolerance));
        }

        output.WriteLine($"  {expected.Length} outputs match ONNX's on the dispatch and every path; largest error / tolerance {worst:F3}");
    }

    [Fact]
    public void Every_case_in_the_data_folder_is_run_or_excluded_with_a_reason()
    {
        string[] files = [.. Directory.GetFiles(DataFolder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];
        string[] cases = [.. files.Where(f => f.EndsWith(".json", StringComparison.Ordinal)).Select(f => Path.GetFileNameWithoutExtension(f))];
        string[] run = [.. ((IEnumerable<object?[]>)Cases).Select(row => (string)row[0]!)];

        // Nothing in the folder but the cases, the script that writes them and its README.
        Assert.DoesNotContain(files, f => !f.EndsWith(".json", StringComparison.Ordinal) && f is not "generate.py" and not "README.md");

        // Each case file is run or excluded, never both, never neither; each exclusion names a case and says why.
        string[] accounted = [.. run.Concat(Excluded.Keys).Order(StringComparer.Ordinal)];
        Assert.Equal(cases, accounted);
        Assert.Empty(run.Intersect(Excluded.Keys));
        Assert.All(Excluded, e => Assert.True(e.Value.Trim().Length > 10, $"{e.Key} is excluded without a reason."));
        Assert.All(AllCases.Value, c => Assert.Equal(c.Name, Path.GetFileNameWithoutExtension(c.File)));

        // Something runs, of each operator.
        Assert.NotEmpty(run);
        Assert.All(AllCases.Value, c => Assert.Contains(c.OpType, Ops));
        Assert.All(Ops, op => Assert.Contains(AllCases.Value, c => c.OpType == op && run.Contains(c.Name)));

        foreach (string op in Ops)
        {
            OnnxCase[] of = [.. AllCases.Value.Where(c => c.OpType == op)];
            output.WriteLine($"{op}: {of.Length} cases, {of.Count(c => run.Contains(c.Name))} run, {of.Count(c => Excluded.ContainsKey(c.Name))} excluded");
        }
    }

    /// <summary>A KernelGen layer for an ONNX node: its attribute, its method's parameters and the arrays to call it with.</summary>
    private sealed record Layer(string Attribute, float[] Input, float[] Weights, float[] Bias, bool HasBias, int Batch, long ReductionLength);

    /// <summary>
    /// The KernelGen layer a user would declare for the case's node. Anything the mapping does not know (another rank or
    /// type, a second output, an attribute it does not read) throws: such a case is not silently half-run, it fails until
    /// it is mapped or excluded with a reason.
    /// </summary>
    private static Layer Map(OnnxCase c)
    {
        if (c.Inputs.Any(t => t.DType != "float32") || c.Outputs.Any(t => t.DType != "float32"))
        {
            throw new NotSupportedException($"{c.Name}: not float32 ({string.Join(", ", c.Inputs.Concat(c.Outputs).Select(t => t.DType))}).");
        }

        if (c.Outputs.Length != 1)
        {
            throw new NotSupportedException($"{c.Name}: {c.Outputs.Length} outputs; a layer has one.");
        }

        return c.OpType switch
        {
            "Conv" => MapConv(c),
            "MaxPool" or "AveragePool" => MapPool(c),
            "GlobalAveragePool" or "GlobalMaxPool" => MapGlobalPool(c),
            "Gemm" => MapGemm(c),
            _ => throw new NotSupportedException($"{c.Name}: {c.OpType} is not one of the operators mapped."),
        };
    }

    /// <summary>
    /// Conv → [Conv2D]. Both are cross-correlations over NCHW with OIHW weights, so the tensors pass as they are; each
    /// ONNX attribute has a property of the same meaning (pads [top, left, bottom, right] → the four Padding* sides,
    /// strides, dilations, group → Groups), and auto_pad becomes the sides ONNX's rule gives. No bias input → the
    /// method without a bias span (ONNX's missing B is zeros, and so is a layer without bias).
    /// </summary>
    private static Layer MapConv(OnnxCase c)
    {
        c.OnlyAttributes("auto_pad", "kernel_shape", "pads", "strides", "dilations", "group");
        Tensor x = c.Inputs[0], w = c.Inputs[1];
        RequireRank(c, x, 4);
        RequireRank(c, w, 4);
        int n = x.Shape[0], channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        int outChannels = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        int[] kernel = c.Ints("kernel_shape") ?? [kh, kw];
        if (kernel[0] != kh || kernel[1] != kw)
        {
            throw new NotSupportedException($"{c.Name}: kernel_shape [{string.Join(", ", kernel)}] is not W's [{kh}, {kw}].");
        }

        int[] strides = c.Ints("strides") ?? [1, 1], dilations = c.Ints("dilations") ?? [1, 1];
        int groups = c.Int("group") ?? 1;
        (int top, int left, int bottom, int right) = Pads(c, [height, width], kernel, strides, dilations);
        bool hasBias = c.Inputs.Length == 3;
        string attribute = "[Conv2D(" + Props(
            ("InChannels", channels), ("Height", height), ("Width", width), ("OutChannels", outChannels),
            ("KernelHeight", kh), ("KernelWidth", kw), ("StrideHeight", strides[0]), ("StrideWidth", strides[1]),
            ("PaddingTop", top), ("PaddingLeft", left), ("PaddingBottom", bottom), ("PaddingRight", right),
            ("DilationHeight", dilations[0]), ("DilationWidth", dilations[1]), ("Groups", groups)) + ")]";
        return new Layer(attribute, x.Floats(c.Name), w.Floats(c.Name), hasBias ? c.Inputs[2].Floats(c.Name) : [], hasBias, n,
            (long)(channels / groups) * kh * kw);
    }

    /// <summary>
    /// MaxPool → [MaxPool2D], AveragePool → [AvgPool2D]: the same windows over NCHW. ONNX's stride defaults to 1 and
    /// KernelGen's to the window, so the strides are always written; pads → the four sides, auto_pad → the sides ONNX's
    /// rule gives, ceil_mode → CeilMode, count_include_pad → CountIncludePad (ONNX's 0, padding not counted, is
    /// KernelGen's default), dilations → DilationHeight/DilationWidth (written only when not 1).
    /// </summary>
    private static Layer MapPool(OnnxCase c)
    {
        bool max = c.OpType == "MaxPool";
        if (max)
        {
            c.OnlyAttributes("auto_pad", "kernel_shape", "pads", "strides", "dilations", "ceil_mode", "storage_order");
            if ((c.Int("storage_order") ?? 0) != 0)
            {
                throw new NotSupportedException($"{c.Name}: storage_order only orders the Indices output, which no layer has.");
            }
        }
        else
        {
            c.OnlyAttributes("auto_pad", "kernel_shape", "pads", "strides", "ceil_mode", "count_include_pad");
        }

        Tensor x = c.Inputs[0];
        RequireRank(c, x, 4);
        int n = x.Shape[0], channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        int[] kernel = c.Ints("kernel_shape") ?? throw new NotSupportedException($"{c.Name}: no kernel_shape.");
        int[] strides = c.Ints("strides") ?? [1, 1], dilations = c.Ints("dilations") ?? [1, 1];
        (int top, int left, int bottom, int right) = Pads(c, [height, width], kernel, strides, dilations);
        bool ceil = (c.Int("ceil_mode") ?? 0) != 0, includePad = (c.Int("count_include_pad") ?? 0) != 0;
        string attribute = $"[{(max ? "MaxPool2D" : "AvgPool2D")}(" + Props(
            ("Channels", channels), ("Height", height), ("Width", width), ("KernelHeight", kernel[0]), ("KernelWidth", kernel[1]),
            ("StrideHeight", strides[0]), ("StrideWidth", strides[1]),
            ("PaddingTop", top), ("PaddingLeft", left), ("PaddingBottom", bottom), ("PaddingRight", right),
            ("DilationHeight", dilations[0] != 1 || dilations[1] != 1 ? dilations[0] : null),
            ("DilationWidth", dilations[0] != 1 || dilations[1] != 1 ? dilations[1] : null),
            ("CeilMode", ceil ? true : null), ("CountIncludePad", includePad ? true : null)) + ")]";
        return new Layer(attribute, x.Floats(c.Name), [], [], false, n, max ? 0 : (long)kernel[0] * kernel[1]);
    }

    /// <summary>GlobalAveragePool/GlobalMaxPool → [GlobalAvgPool2D]/[GlobalMaxPool2D]: ONNX's [N, C, 1, 1] output is KernelGen's [N, C], the same elements in the same order.</summary>
    private static Layer MapGlobalPool(OnnxCase c)
    {
        c.OnlyAttributes();
        Tensor x = c.Inputs[0];
        RequireRank(c, x, 4);
        int n = x.Shape[0], channels = x.Shape[1], height = x.Shape[2], width = x.Shape[3];
        bool max = c.OpType == "GlobalMaxPool";
        string attribute = $"[{(max ? "GlobalMaxPool2D" : "GlobalAvgPool2D")}(" + Props(("Channels", channels), ("Height", height), ("Width", width)) + ")]";
        return new Layer(attribute, x.Floats(c.Name), [], [], false, n, max ? 0 : (long)height * width);
    }

    /// <summary>
    /// Gemm → [Dense], where Gemm is a layer: <c>Y = alpha · A · B' + beta · C</c> with A the activations [M samples, K
    /// features] (transA = 0) and C one value per output feature, broadcast along the rows (or absent). Why each part
    /// maps exactly:
    /// <list type="bullet">
    /// <item>transB = 1: B is [N, K], [Dense]'s [OutFeatures, InFeatures] weights as they are (PyTorch's Linear export).</item>
    /// <item>transB = 0: B is [K, N]; its transpose, stored once, is the layer's weight matrix (how an importer stores a
    /// MatMul's weight). The products and their sums are the same; only the storage order of a parameter differs.</item>
    /// <item>alpha: folded into the weights, W = alpha · B'; beta: into the bias, b = beta · C, as an importer folds them
    /// into the parameters of the layer the user runs. The only alpha and beta of the cases run are 0.5, a power of two,
    /// for which the scaling is exact in binary floating point: (alpha·w)·x = alpha·(w·x) bit for bit, so the folded
    /// layer computes ONNX's values up to the order of the sum.</item>
    /// <item>C of shape [], [1], [N] or [1, N]: one bias per output feature (a scalar or single element broadcast to every
    /// feature), added to every sample — a layer's bias. A C that differs per row is not (excluded).</item>
    /// <item>No C: the method without a bias span.</item>
    /// </list>
    /// The M rows of A are the samples: the kernel's batch parameter.
    /// </summary>
    private static Layer MapGemm(OnnxCase c)
    {
        c.OnlyAttributes("alpha", "beta", "transA", "transB");
        if ((c.Int("transA") ?? 0) != 0)
        {
            throw new NotSupportedException($"{c.Name}: transA = 1 transposes the activations, which is not a layer.");
        }

        Tensor a = c.Inputs[0], b = c.Inputs[1];
        RequireRank(c, a, 2);
        RequireRank(c, b, 2);
        bool transB = (c.Int("transB") ?? 0) != 0;
        int m = a.Shape[0], k = a.Shape[1], outFeatures = transB ? b.Shape[0] : b.Shape[1];
        if ((transB ? b.Shape[1] : b.Shape[0]) != k)
        {
            throw new NotSupportedException($"{c.Name}: A [{m}, {k}] and B [{string.Join(", ", b.Shape)}] do not multiply.");
        }

        float alpha = c.Float("alpha") ?? 1f, beta = c.Float("beta") ?? 1f;
        float[] bValues = b.Floats(c.Name);
        var weights = new float[outFeatures * k];
        for (int o = 0; o < outFeatures; o++)
        {
            for (int i = 0; i < k; i++)
            {
                weights[(o * k) + i] = alpha * (transB ? bValues[(o * k) + i] : bValues[(i * outFeatures) + o]);
            }
        }

        float[] bias = [];
        if (c.Inputs.Length == 3)
        {
            Tensor cTensor = c.Inputs[2];
            float[] cValues = cTensor.Floats(c.Name);
            bool perFeature = cTensor.Shape switch
            {
                [] or [1] => true,
                [var f] => f == outFeatures,
                [1, var f] => f == outFeatures || f == 1,
                _ => false,
            };
            if (!perFeature)
            {
                throw new NotSupportedException($"{c.Name}: C [{string.Join(", ", cTensor.Shape)}] is not one value per output feature.");
            }

            bias = [.. Enumerable.Range(0, outFeatures).Select(o => beta * cValues[cValues.Length == 1 ? 0 : o])];
        }

        string attribute = "[Dense(" + Props(("InFeatures", k), ("OutFeatures", outFeatures)) + ")]";
        return new Layer(attribute, a.Floats(c.Name), weights, bias, c.Inputs.Length == 3, m, k);
    }

    /// <summary>
    /// The padding sides, [top, left, bottom, right]: ONNX's pads, or auto_pad's. SAME_UPPER and SAME_LOWER give
    /// ceil(in / stride) outputs, padding total = max(0, (out − 1)·stride + (kernel − 1)·dilation + 1 − in); SAME_UPPER
    /// puts the odd one at the end, SAME_LOWER at the beginning. VALID is no padding.
    /// </summary>
    private static (int Top, int Left, int Bottom, int Right) Pads(OnnxCase c, int[] size, int[] kernel, int[] strides, int[] dilations)
    {
        string autoPad = c.Text("auto_pad") ?? "NOTSET";
        int[]? pads = c.Ints("pads");
        if (autoPad != "NOTSET" && pads is not null && pads.Any(p => p != 0))
        {
            throw new NotSupportedException($"{c.Name}: both auto_pad and pads.");
        }

        switch (autoPad)
        {
            case "NOTSET":
                pads ??= [0, 0, 0, 0];
                return (pads[0], pads[1], pads[2], pads[3]);
            case "VALID":
                return (0, 0, 0, 0);
            case "SAME_UPPER" or "SAME_LOWER":
                var before = new int[2];
                var after = new int[2];
                for (int axis = 0; axis < 2; axis++)
                {
                    int outSize = (size[axis] + strides[axis] - 1) / strides[axis];
                    int total = Math.Max(0, ((outSize - 1) * strides[axis]) + ((kernel[axis] - 1) * dilations[axis]) + 1 - size[axis]);
                    before[axis] = autoPad == "SAME_UPPER" ? total / 2 : total - (total / 2);
                    after[axis] = total - before[axis];
                }

                return (before[0], before[1], after[0], after[1]);
            default:
                throw new NotSupportedException($"{c.Name}: auto_pad {autoPad}.");
        }
    }

    private static void RequireRank(OnnxCase c, Tensor t, int rank)
    {
        if (t.Shape.Length != rank)
        {
            throw new NotSupportedException($"{c.Name}: {t.Name} has shape [{string.Join(", ", t.Shape)}], not rank {rank}.");
        }
    }

    private static string Props(params (string Name, object? Value)[] properties) =>
        string.Join(", ", properties.Where(p => p.Value is not null).Select(p => p.Name + " = " + (p.Value is bool v ? (v ? "true" : "false") : Convert.ToString(p.Value, CultureInfo.InvariantCulture))));

    /// <summary>The cases as methods <c>K{index}</c> of <c>Onnx.Conformance</c>, each with a wrapper <c>Run{index}</c> taking arrays.</summary>
    private static string Source(IEnumerable<(OnnxCase Case, int Index)> cases)
    {
        var source = new StringBuilder("using System;\nusing KernelGen;\n\nnamespace Onnx;\n\npublic static partial class Conformance\n{\n");
        foreach ((OnnxCase c, int i) in cases)
        {
            Layer layer = Map(c);
            bool weighted = layer.Weights.Length > 0;
            string spans = weighted
                ? $"ReadOnlySpan<float> input, ReadOnlySpan<float> weights, {(layer.HasBias ? "ReadOnlySpan<float> bias, " : "")}Span<float> output"
                : "ReadOnlySpan<float> input, Span<float> output";
            string arguments = weighted ? $"input, weights, {(layer.HasBias ? "bias, " : "")}output" : "input, output";
            source.AppendLine(CultureInfo.InvariantCulture, $$"""
                    // {{c.Name}}
                    {{layer.Attribute}}
                    private static partial void K{{i}}({{spans}}, int batch);
                    public static void Run{{i}}(float[] input, float[] weights, float[] bias, float[] output, int batch) => K{{i}}({{arguments}}, batch);
                """);
        }

        return source.AppendLine("}").ToString();
    }

    /// <summary>Generates and compiles; the assembly, or null and the generator's and compiler's messages.</summary>
    private static Assembly? Compile(string source, out string? failure)
    {
        (GeneratorDriverRunResult result, Compilation compilation) = Harness.Run(source);
        using var stream = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = compilation.Emit(stream);
        ImmutableArray<Diagnostic> problems = [.. result.Diagnostics, .. emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        if (!emitted.Success || !problems.IsEmpty)
        {
            failure = string.Join(Environment.NewLine, problems.Take(20).Select(d => d.ToString()));
            if (!emitted.Success && problems.IsEmpty)
            {
                failure = "the compilation failed without a message";
            }

            return null;
        }

        failure = null;
        stream.Position = 0;
        return new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(stream);
    }

    private static double Compare(OnnxCase c, Layer layer, string path, float[] expected, float[] actual, double tolerance)
    {
        TensorComparison comparison = TensorComparison.Of(expected, actual, c.Outputs[0].Shape, tolerance, tolerance);
        Assert.True(comparison.Matches, $"{c.Name}: {layer.Attribute} (batch {layer.Batch}), {path}: {comparison}");
        return comparison.MaxErrorToTolerance;
    }

    /// <summary>A tensor of a case: its dtype, shape and values (little-endian bytes, base64), as generate.py writes them.</summary>
    private sealed record Tensor(string Name, string DType, int[] Shape, string? Data)
    {
        public float[] Floats(string caseName)
        {
            if (DType != "float32" || Data is null)
            {
                throw new NotSupportedException($"{caseName}: {Name} has no float32 values in the data file ({DType}{(Data is null ? ", values omitted" : "")}).");
            }

            byte[] bytes = Convert.FromBase64String(Data);
            var values = new float[bytes.Length / 4];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            }

            int count = Shape.Aggregate(1, (p, d) => p * d);
            Assert.True(values.Length == count && bytes.Length == count * 4, $"{caseName}: {Name} holds {bytes.Length} bytes for shape [{string.Join(", ", Shape)}].");
            return values;
        }
    }

    /// <summary>One case file: the node (operator, opset, attributes) and its inputs and expected outputs.</summary>
    private sealed record OnnxCase(string File, string Name, string OpType, int Opset, Dictionary<string, JsonElement> Attributes, Tensor[] Inputs, Tensor[] Outputs)
    {
        public string AttributeText => Attributes.Count == 0 ? "no attributes" : string.Join(", ", Attributes.Select(a => $"{a.Key} = {a.Value.GetRawText().Replace("\n", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal)}"));

        public static OnnxCase Load(string file)
        {
            using JsonDocument json = JsonDocument.Parse(System.IO.File.ReadAllText(file));
            JsonElement root = json.RootElement;
            static Tensor[] Tensors(JsonElement list) => [.. list.EnumerateArray().Select(t => new Tensor(
                t.GetProperty("name").GetString()!, t.GetProperty("dtype").GetString()!,
                [.. t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())],
                t.GetProperty("data").ValueKind == JsonValueKind.Null ? null : t.GetProperty("data").GetString()))];
            return new OnnxCase(
                file,
                root.GetProperty("name").GetString()!,
                root.GetProperty("op_type").GetString()!,
                root.GetProperty("opset").GetInt32(),
                root.GetProperty("attributes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
                Tensors(root.GetProperty("inputs")),
                Tensors(root.GetProperty("outputs")));
        }

        /// <summary>Fails the mapping on an attribute it does not read: a new one could change the operation.</summary>
        public void OnlyAttributes(params string[] known)
        {
            string[] unknown = [.. Attributes.Keys.Where(a => !known.Contains(a))];
            if (unknown.Length > 0)
            {
                throw new NotSupportedException($"{Name}: attribute(s) {string.Join(", ", unknown)} not mapped.");
            }
        }

        public int[]? Ints(string name) => Attributes.TryGetValue(name, out JsonElement v) ? [.. v.EnumerateArray().Select(e => e.GetInt32())] : null;

        public int? Int(string name) => Attributes.TryGetValue(name, out JsonElement v) ? v.GetInt32() : null;

        public float? Float(string name) => Attributes.TryGetValue(name, out JsonElement v) ? v.GetSingle() : null;

        public string? Text(string name) => Attributes.TryGetValue(name, out JsonElement v) ? v.GetString() : null;
    }
}
