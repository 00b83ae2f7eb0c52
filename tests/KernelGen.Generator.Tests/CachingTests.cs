extern alias generator;

using generator::KernelGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KernelGen.Generator.Tests;

/// <summary>The pipeline caches: unrelated edits rerun nothing that matters, and an attribute change regenerates only its method.</summary>
public class CachingTests
{
    private const string Source = """
        using System;
        using KernelGen;

        namespace Samples;

        public static partial class Layers
        {
            [Conv2D(InChannels = 1, Height = 28, Width = 28, OutChannels = 32, Kernel = 3, Activation = Activation.Relu)]
            public static partial void Conv1(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

            [MaxPool2D(Channels = 32, Height = 26, Width = 26, Kernel = 2)]
            public static partial void Pool1(ReadOnlySpan<float> input, Span<float> output);

            [Dense(InFeatures = 5408, OutFeatures = 10)]
            public static partial void Fc(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output, int batch);
        }
        """;

    private static readonly string[] Layers = ["Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "Dense"];

    private static (GeneratorDriverRunResult First, GeneratorDriverRunResult Second) RunTwice(string edited)
    {
        CSharpCompilation compilation = Harness.Compilation(Source);
        GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
        GeneratorDriverRunResult first = driver.GetRunResult();
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation next = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited)));
        return (first, driver.RunGenerators(next).GetRunResult());
    }

    private static IEnumerable<(string Step, IncrementalStepRunReason Reason)> Outputs(GeneratorDriverRunResult run, string step) =>
        run.Results.Single().TrackedSteps.TryGetValue(step, out var steps)
            ? steps.SelectMany(s => s.Outputs).Select(o => (step, o.Reason))
            : [];

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached_or_unchanged()
    {
        string edited = Source.Replace("public static partial class Layers\n{", "public static partial class Layers\n{\n    // a comment, and a member that has nothing to do with kernels\n    public static int Answer => 42;\n", StringComparison.Ordinal);
        Assert.NotEqual(Source, edited);
        (GeneratorDriverRunResult first, GeneratorDriverRunResult second) = RunTwice(edited);

        Assert.Equal(3, first.GeneratedTrees.Length);
        var steps = Layers.SelectMany(l => Outputs(second, KernelGenerator.Steps.Parse(l)).Concat(Outputs(second, KernelGenerator.Steps.Plan(l)))).ToList();
        Assert.Equal(6, steps.Count);
        Assert.All(steps, s => Assert.True(s.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{s.Step} was {s.Reason}"));
        Assert.All(Outputs(second, KernelGenerator.Steps.Intrinsics), s => Assert.Equal(IncrementalStepRunReason.Unchanged, s.Reason));
    }

    [Fact]
    public void Changing_one_attribute_argument_regenerates_only_that_method()
    {
        string edited = Source.Replace("OutChannels = 32", "OutChannels = 16", StringComparison.Ordinal);
        (_, GeneratorDriverRunResult second) = RunTwice(edited);

        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(Outputs(second, KernelGenerator.Steps.Plan("Conv2D"))).Reason);
        Assert.Equal(IncrementalStepRunReason.Cached, Assert.Single(Outputs(second, KernelGenerator.Steps.Plan("MaxPool2D"))).Reason);
        Assert.Equal(IncrementalStepRunReason.Cached, Assert.Single(Outputs(second, KernelGenerator.Steps.Plan("Dense"))).Reason);
        Assert.Contains("32×26×26", Harness.Generated(RunTwice(Source).First, "Samples.Layers.Conv1.g.cs"), StringComparison.Ordinal);
        Assert.Contains("16×26×26", second.Results.Single().GeneratedSources.Single(s => s.HintName == "Samples.Layers.Conv1.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_input_gives_byte_identical_output()
    {
        string a = Harness.Generated(Harness.Run(Source).Result, "Samples.Layers.Conv1.g.cs");
        string b = Harness.Generated(Harness.Run(Source).Result, "Samples.Layers.Conv1.g.cs");
        Assert.Equal(a, b);
    }
}
