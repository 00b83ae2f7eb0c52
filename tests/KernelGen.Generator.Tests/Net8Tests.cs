using System.Reflection;
using System.Runtime.Intrinsics.X86;
using System.Runtime.Loader;
using KernelGen.Tests;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Generator.Tests;

/// <summary>
/// .NET 8 has no portable <c>Vector512.FusedMultiplyAdd</c>: for a project that targets it the generator
/// spells FMA with the x86 intrinsics. That code must compile cleanly against .NET 8 and compute the same.
/// </summary>
public class Net8Tests
{
    private const string Source = """
        using System;
        using KernelGen;

        namespace Net8;

        public static partial class Kernels
        {
            [Conv2D(InChannels = 3, Height = 19, Width = 21, OutChannels = 10, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Relu)]
            private static partial void Conv(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);
            public static void RunConv(float[] input, float[] weights, float[] bias, float[] output) => Conv(input, weights, bias, output);

            [Dense(InFeatures = 70, OutFeatures = 9)]
            private static partial void Fc(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);
            public static void RunFc(float[] input, float[] weights, float[] output) => Fc(input, weights, output);
        }
        """;

    [Fact]
    public void Kernels_for_net8_use_x86_intrinsics_compile_cleanly_and_match_the_reference()
    {
        // Generate and compile against .NET 8 and the runtime's net8.0 build.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        string runtime8 = Path.Combine(Snapshot.ProjectDirectory, "..", "..", "runtime", "KernelGen", "bin", configuration, "net8.0", "KernelGen.dll");
        Assert.True(File.Exists(runtime8), $"{runtime8} is missing: build the solution, which builds the runtime for net8.0 too.");
        CSharpCompilation net8 = CSharpCompilation.Create("Net8Kernels",
            [CSharpSyntaxTree.ParseText(Source, Harness.ParseOptions, path: "Kernels.cs")],
            [.. Basic.Reference.Assemblies.Net80.References.All, MetadataReference.CreateFromFile(runtime8)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, generalDiagnosticOption: ReportDiagnostic.Error));
        Harness.Driver().RunGeneratorsAndUpdateCompilation(net8, out Compilation generated, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(generated.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));

        string text = string.Concat(generated.SyntaxTrees.Skip(1).Select(t => t.ToString()));
        Assert.Contains("using KgAvx512F = global::System.Runtime.Intrinsics.X86.Avx512F;", text, StringComparison.Ordinal);
        Assert.Contains("KgAvx512F.FusedMultiplyAdd(", text, StringComparison.Ordinal);
        Assert.Contains("KgFma.MultiplyAdd(", text, StringComparison.Ordinal);
        Assert.Contains("KgAvx512F.IsSupported", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Vector512.FusedMultiplyAdd", text, StringComparison.Ordinal);

        // Run that same generated code here, through the dispatch and on each path this CPU supports.
        CSharpCompilation here = Harness.Compilation(Source).AddSyntaxTrees(generated.SyntaxTrees.Skip(1).Select(t => t.WithRootAndOptions(t.GetRoot(), Harness.ParseOptions)));
        using var stream = new MemoryStream();
        Assert.True(here.Emit(stream).Success);
        stream.Position = 0;
        Assembly assembly = new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(stream);
        Type kernels = assembly.GetType("Net8.Kernels")!;
        string[] PathsHere(string kernelClass) =>
            [.. KernelPaths.Of(assembly, kernelClass).Where(p => p != "Vector512" || Avx512F.IsSupported).Where(p => p != "Vector256" || Fma.IsSupported)];

        var conv = new Conv2DGeometry(3, 19, 21, 10, 3, 3, 2, 2, 1, 1, 1, 1);
        float[] input = RandomLayers.Data(1, conv.InputLength), weights = RandomLayers.Data(2, conv.WeightLength), bias = RandomLayers.Data(3, 10);
        var expected = new float[conv.OutputLength];
        Reference.Conv2D<float>(conv, input, weights, bias, expected, activation: Activation.Relu);
        AssertEveryPath(expected, 27, output => kernels.GetMethod("RunConv")!.Invoke(null, [input, weights, bias, output]),
            PathsHere("KernelsConvKernel").Select(p => (Action<float[]>)(output => KernelPaths.Run(assembly, "KernelsConvKernel", p, true, true, input, weights, bias, output, 1))));

        var fc = new DenseGeometry(70, 9);
        float[] x = RandomLayers.Data(4, 70), w = RandomLayers.Data(5, fc.WeightLength);
        var y = new float[9];
        Reference.Dense<float>(fc, x, w, [], y);
        AssertEveryPath(y, 70, output => kernels.GetMethod("RunFc")!.Invoke(null, [x, w, output]),
            PathsHere("KernelsFcKernel").Select(p => (Action<float[]>)(output => KernelPaths.Run(assembly, "KernelsFcKernel", p, true, false, x, w, [], output, 1))));
    }

    private static void AssertEveryPath(float[] expected, long terms, Action<float[]> dispatch, IEnumerable<Action<float[]>> paths)
    {
        double tolerance = terms * Math.Pow(2, -23);
        foreach (Action<float[]> run in paths.Prepend(dispatch))
        {
            var actual = new float[expected.Length];
            Array.Fill(actual, float.NaN);
            run(actual);
            TensorComparison comparison = TensorComparison.Of(expected, actual, [expected.Length], tolerance, tolerance);
            Assert.True(comparison.Matches, comparison.Message);
        }
    }
}
