using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Generator.Tests;

/// <summary>
/// The direct convolutions' register tiles are written once per assembly, in <c>KernelGen.DirectTiles.g.cs</c>, and every
/// kernel calls them with a struct of its own constants: layers of different sizes share the methods.
/// </summary>
public class DirectTilesTests
{
    private const string Source = """
        using System;
        using KernelGen;

        namespace Samples;

        public static partial class Layers
        {
            [Conv2D(InChannels = 16, Height = 28, Width = 28, OutChannels = 32, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
            public static partial void Wide(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

            [Conv2D(InChannels = 8, Height = 30, Width = 30, OutChannels = 32, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
            public static partial void Other(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

            [Conv2D(InChannels = 4, Height = 9, Width = 9, OutChannels = 6, Kernel = 5, FlipKernel = true)]
            public static partial void Flipped(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);
        }
        """;

    private static readonly string[] Kernels = ["Samples.Layers.Wide.g.cs", "Samples.Layers.Other.g.cs", "Samples.Layers.Flipped.g.cs"];

    [Fact]
    public void Each_tile_is_written_once_and_every_kernel_calls_the_ones_it_needs()
    {
        GeneratorDriverRunResult result = Harness.Driver().RunGenerators(Harness.Compilation(Source)).GetRunResult();
        string tiles = Harness.Generated(result, "KernelGen.DirectTiles.g.cs");
        List<string> declared = [.. Regex.Matches(tiles, @"public static void (\w+)<TShape>\(").Select(m => m.Groups[1].Value)];
        List<HashSet<string>> called = [.. Kernels.Select(k => Regex.Matches(Harness.Generated(result, k), @"KgTiles\.(\w+)<Shape>\(").Select(m => m.Groups[1].Value).ToHashSet())];

        Assert.Equal(declared.Count, declared.Distinct().Count());
        Assert.True(called.SelectMany(c => c).ToHashSet().SetEquals(declared), "every declared tile is called and every called tile declared");
        Assert.NotEmpty(called[0].Intersect(called[1]));
        Assert.All(called[2], name => Assert.Contains("Window5x5", name, StringComparison.Ordinal));
        Assert.All(called[2], name => Assert.Contains("Flipped", name, StringComparison.Ordinal));
        Assert.DoesNotContain(called[2], called[0].Contains);
    }

    [Fact]
    public void A_kernel_passes_its_shape_as_constants_and_no_tile_holds_one()
    {
        GeneratorDriverRunResult result = Harness.Driver().RunGenerators(Harness.Compilation(Source)).GetRunResult();
        string wide = Harness.Generated(result, Kernels[0]), other = Harness.Generated(result, Kernels[1]);
        Assert.Contains("public static int PlaneOut => 784;", wide, StringComparison.Ordinal);
        Assert.Contains("public static int WeightStride => 144;", wide, StringComparison.Ordinal);
        Assert.Contains("public static int PlaneOut => 900;", other, StringComparison.Ordinal);
        Assert.Contains("public static int WeightStride => 72;", other, StringComparison.Ordinal);

        // The shared file knows no layer: none of the two layers' strides appears in it.
        string tiles = Harness.Generated(result, "KernelGen.DirectTiles.g.cs");
        Assert.DoesNotMatch(@"\b(784|900|144|72)\b", tiles);
    }

    /// <summary>
    /// Each assembly has its own internal <c>DirectTiles</c>: one that sees another's internals takes its own, with every
    /// warning an error (the compiler's CS0436, that a source type hides an imported one, is the generated files' to quiet).
    /// </summary>
    [Fact]
    public void Assemblies_that_see_each_others_internals_each_use_their_own_tiles()
    {
        string Layer(string name) => $$"""
            using System;
            using KernelGen;

            namespace {{name}};

            public static partial class Layers
            {
                [Conv2D(InChannels = 2, Height = 6, Width = 6, OutChannels = 3, Kernel = 3, Padding = 1)]
                public static partial void Conv(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);
            }
            """;
        Compilation first = Generate(Harness.Compilation(Layer("First"), "[assembly: System.Runtime.CompilerServices.InternalsVisibleTo(\"Second\")]").WithAssemblyName("First"));
        using var image = new MemoryStream();
        Assert.True(first.Emit(image).Success);

        Compilation second = Generate(Harness.Compilation(Layer("Second")).WithAssemblyName("Second").AddReferences(MetadataReference.CreateFromImage(image.ToArray())));
        using var output = new MemoryStream();
        var emitted = second.Emit(output);
        Assert.True(emitted.Success && !emitted.Diagnostics.Any(d => d.Severity >= DiagnosticSeverity.Warning), string.Join("\n", emitted.Diagnostics));

        static Compilation Generate(CSharpCompilation compilation)
        {
            Harness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var diagnostics);
            Assert.Empty(diagnostics);
            return output;
        }
    }

    [Fact]
    public void An_assembly_without_direct_convolutions_gets_no_tiles_file()
    {
        const string pools = """
            using System;
            using KernelGen;

            namespace Samples;

            public static partial class Layers
            {
                [MaxPool2D(Channels = 4, Height = 8, Width = 8, Kernel = 2)]
                public static partial void Pool(ReadOnlySpan<float> input, Span<float> output, int batch);
            }
            """;
        GeneratorDriverRunResult result = Harness.Driver().RunGenerators(Harness.Compilation(pools)).GetRunResult();
        Assert.DoesNotContain(result.Results.Single().GeneratedSources, s => s.HintName == "KernelGen.DirectTiles.g.cs");
        Assert.Single(result.Results.Single().GeneratedSources);
    }
}
