extern alias generator;

using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using generator::KernelGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Generator.Tests;

/// <summary>Runs the generator on source text in memory, as the compiler would, and compiles and loads the result.</summary>
internal static class Harness
{
    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Basic.Reference.Assemblies.Net100.References.All,
        MetadataReference.CreateFromFile(typeof(Conv2DAttribute).Assembly.Location),
    ];

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "KernelGenTest" + Guid.NewGuid().ToString("N"),
        sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions, path: "Kernels.cs")),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
            generalDiagnosticOption: ReportDiagnostic.Error, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new KernelGenerator().AsSourceGenerator()],
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator: its result, and the compilation with the generated files added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output) Run(string source)
    {
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(Compilation(source), out Compilation output, out _);
        return (driver.GetRunResult(), output);
    }

    /// <summary>The generator's diagnostics for <paramref name="source"/>.</summary>
    public static ImmutableArray<Diagnostic> Diagnostics(string source) => Run(source).Result.Diagnostics;

    /// <summary>
    /// Generates, compiles with every warning an error, and loads the assembly. Fails the test with the
    /// compiler's messages if anything does not compile cleanly.
    /// </summary>
    public static Assembly CompileAndLoad(string source)
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(source);
        Assert.Empty(result.Diagnostics);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Diagnostic[] problems = [.. emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning)];
        Assert.True(emitted.Success && problems.Length == 0, string.Join(Environment.NewLine, problems.Take(20).Select(d => d.ToString())));
        stream.Position = 0;
        return new AssemblyLoadContext(null, isCollectible: true).LoadFromStream(stream);
    }

    /// <summary>The generated file for a method, by its hint name.</summary>
    public static string Generated(GeneratorDriverRunResult result, string hintName) =>
        result.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();
}
