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

        // The three kernels and the direct convolution's shared tiles.
        Assert.Equal(4, first.GeneratedTrees.Length);
        var steps = Layers.SelectMany(l => Outputs(second, KernelGenerator.Steps.Parse(l)).Concat(Outputs(second, KernelGenerator.Steps.Plan(l)))).ToList();
        Assert.Equal(6, steps.Count);
        Assert.All(steps, s => Assert.True(s.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{s.Step} was {s.Reason}"));
        Assert.All(Outputs(second, KernelGenerator.Steps.Intrinsics), s => Assert.Equal(IncrementalStepRunReason.Unchanged, s.Reason));
        Assert.All(Outputs(second, KernelGenerator.Steps.DirectTiles), s => Assert.True(s.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"the shared tiles were {s.Reason}"));
        Assert.NotEmpty(Outputs(second, KernelGenerator.Steps.DirectTiles));
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

    private const string NetworkSource = """
        using KernelGen;

        namespace Samples;

        [Network(InputChannels = 1, InputHeight = 8, InputWidth = 8)]
        public sealed partial class Net
        {
            [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1, Bias = false)] partial void Conv1();
            [BatchNorm2D(Activation = Activation.Relu, Momentum = 0.1f)] partial void Bn1();
            [Conv2D(OutChannels = 4, Kernel = 3, Padding = 1)] partial void Conv2();
            [Add(nameof(Bn1), Activation = Activation.Relu)] partial void Block();
            [GlobalAvgPool2D] partial void Gap();
            [Dense(OutFeatures = 3)] partial void Out();
        }

        public static class Unrelated
        {
            public static int Answer => 42;
        }
        """;

    private static (GeneratorDriverRunResult First, GeneratorDriverRunResult Second) RunNetworkTwice(string edited)
    {
        CSharpCompilation compilation = Harness.Compilation(NetworkSource);
        GeneratorDriver driver = Harness.Driver().RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        CSharpCompilation next = compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited)));
        return (driver.GetRunResult(), driver.RunGenerators(next).GetRunResult());
    }

    private static generator::KernelGen.Generator.Planning.NetworkPlan Plan(GeneratorDriverRunResult run) =>
        (((generator::KernelGen.Generator.Planning.NetworkPlan?, generator::KernelGen.Generator.Diagnostics.DiagnosticInfo?))
            run.Results.Single().TrackedSteps[KernelGenerator.Steps.Plan("Network")].Single().Outputs.Single().Value).Item1!;

    [Fact]
    public void A_network_is_planned_in_its_own_step_which_an_unrelated_edit_leaves_cached()
    {
        string edited = NetworkSource.Replace("public static int Answer => 42;", "public static int Answer => 43;", StringComparison.Ordinal);
        (GeneratorDriverRunResult first, GeneratorDriverRunResult second) = RunNetworkTwice(edited);

        generator::KernelGen.Generator.Planning.NetworkPlan plan = Plan(first);
        Assert.NotNull(plan.Spec.Layers.Single(l => l.Name == "Bn1").Folded);  // conv → bn → relu folds for inference
        Assert.Equal(["Conv1Forward", "Conv2Forward", "GapForward", "OutForward", "Conv1FoldedForward", "Conv2InputGradientForward"], plan.Kernels.Select(k => k.Plan.Method.Name));
        Assert.All(Outputs(second, KernelGenerator.Steps.Parse("Network")).Concat(Outputs(second, KernelGenerator.Steps.Plan("Network"))),
            s => Assert.True(s.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{s.Step} was {s.Reason}"));
    }

    [Fact]
    public void Changing_a_network_layer_replans_the_network_and_leaves_the_other_kernels_plans_equal()
    {
        string edited = NetworkSource.Replace("Momentum = 0.1f", "Momentum = 0.2f", StringComparison.Ordinal);
        (GeneratorDriverRunResult first, GeneratorDriverRunResult second) = RunNetworkTwice(edited);

        Assert.Equal(IncrementalStepRunReason.Modified, Assert.Single(Outputs(second, KernelGenerator.Steps.Plan("Network"))).Reason);
        Assert.NotEqual(Plan(first).Spec, Plan(second).Spec);
        Assert.Equal(Plan(first).Kernels, Plan(second).Kernels);  // the momentum is the network file's business only
        Assert.Contains("0.2 * mean", second.Results.Single().GeneratedSources.Single(s => s.HintName == "Samples.Net.Network.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_input_gives_byte_identical_output()
    {
        string a = Harness.Generated(Harness.Run(Source).Result, "Samples.Layers.Conv1.g.cs");
        string b = Harness.Generated(Harness.Run(Source).Result, "Samples.Layers.Conv1.g.cs");
        Assert.Equal(a, b);
    }
}
