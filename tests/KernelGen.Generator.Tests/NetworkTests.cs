extern alias generator;

using System.Globalization;
using generator::KernelGen.Generator;
using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>
/// <c>[Network]</c> classes: the input shape inferred down the layers (flatten implied before a dense layer), the
/// diagnostics for layers that do not chain (naming both shapes) and for unusable declarations, the generated class
/// compiling cleanly, and the pipeline's caching.
/// </summary>
public class NetworkTests
{
    private static string Network(string layers, string attribute = "[Network(InputChannels = 1, InputHeight = 28, InputWidth = 28)]", string declaration = "public sealed partial class Net") => $$"""
        using System;
        using KernelGen;

        namespace Samples;

        {{attribute}}
        {{declaration}}
        {
            {{layers}}
        }
        """;

    private const string Mnist = """
        [Conv2D(OutChannels = 32, Kernel = 3, Activation = Activation.Relu)] partial void Conv1();
            [MaxPool2D(Kernel = 2)] partial void Pool1();
            [Dense(OutFeatures = 128, Activation = Activation.Relu)] partial void Fc1();
            [Dense(OutFeatures = 10)] partial void Logits();
        """;

    [Fact]
    public void A_misspelt_name_in_a_graph_is_reported_with_the_layers_there_are()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3, Padding = 1)] partial void Conv1();\n    [Conv2D(OutChannels = 2, Kernel = 3, Padding = 1)] partial void Conv2();\n    [Add(\"Conv9\")] partial void Sum();\n    [Dense(OutFeatures = 10)] partial void Logits();"),
            "KGEN016", "Add(\"Conv9\")");
        Assert.Equal("'Sum' reads 'Conv9', which is not a layer of 'Net': its layers are Conv1, Conv2, Sum, Logits, and NetworkAttribute.Input names the network's input.", Message(d));
    }

    [Fact]
    public void A_layer_nothing_reads_is_reported()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3)] partial void Conv1();\n    [Conv2D(OutChannels = 2, Kernel = 3, Input = NetworkAttribute.Input)] partial void Side();\n    [Dense(OutFeatures = 10, Input = nameof(Conv1))] partial void Logits();"),
            "KGEN016", "Conv2D(OutChannels = 2, Kernel = 3, Input = NetworkAttribute.Input)");
        Assert.Equal("No layer reads 'Side': the network's output is its last declared layer, 'Logits', and every other layer must feed it (name it in an Input, an [Add] or a [Concat], or remove it).", Message(d));
    }

    [Fact]
    public void Layers_that_read_each_other_are_reported_as_a_cycle()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3, Padding = 1, Input = nameof(B))] partial void A();\n    [Conv2D(OutChannels = 2, Kernel = 3, Padding = 1)] partial void B();\n    [Add(nameof(B), Input = NetworkAttribute.Input)] partial void Sum();\n    [Dense(OutFeatures = 10)] partial void Logits();"),
            "KGEN016", "Conv2D(OutChannels = 2, Kernel = 3, Padding = 1, Input = nameof(B))");
        Assert.Equal("The layers 'A', 'B' of 'Net' read each other in a cycle: a network's layers must be orderable so each comes after the ones it reads.", Message(d));
    }

    [Theory]
    [InlineData("[Add(null)] partial void Sum();", "Add(null)", "'Sum' is an [Add] that names no layer to add to its input: [Add(nameof(Other), …)].")]
    [InlineData("[Concat(null)] partial void Sum();", "Concat(null)", "'Sum' is a [Concat] that names no layer to join to its input: [Concat(nameof(Other), …)].")]
    [InlineData("[Add(nameof(Conv1), Input = null)] partial void Sum();", "Add(nameof(Conv1), Input = null)", "'Sum' sets Input = null, which names no layer: leave Input out to read the layer declared before, or name one.")]
    public void Names_that_are_null_are_reported_not_thrown_on(string layer, string located, string message)
    {
        Diagnostic d = Single(Network($"[Conv2D(OutChannels = 2, Kernel = 3, Padding = 1)] partial void Conv1();\n    {layer}\n    [Dense(OutFeatures = 10)] partial void Logits();"), "KGEN016", located);
        Assert.Equal(message, Message(d));
    }

    [Fact]
    public void Two_layers_with_one_parameter_name_are_reported()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3, Name = \"block.conv\")] partial void Conv1();\n    [Dense(OutFeatures = 10, Name = \"block.conv\")] partial void Logits();"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: its layers 'Conv1' and 'Logits' both name their parameters 'block.conv.weight': give each its own Name", Message(d));
    }

    [Fact]
    public void A_parameter_name_that_is_not_a_dotted_path_is_reported()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3, Name = \"layer1..conv\")] partial void Conv1();\n    [Dense(OutFeatures = 10)] partial void Logits();"), "KGEN004", "Conv2D(OutChannels = 2, Kernel = 3, Name = \"layer1..conv\")");
        Assert.Equal("[Conv2D] Name = \"layer1..conv\": a parameter name prefix is letters, digits and underscores, in parts joined by dots (\"layer1.0.conv1\").", Message(d));
    }

    [Fact]
    public void Binary_cross_entropy_needs_a_sigmoid_or_logits_at_the_end()
    {
        Diagnostic d = Single(Network("[Dense(OutFeatures = 1, Activation = Activation.Relu)] partial void Out();", "[Network(InputChannels = 1, InputHeight = 4, InputWidth = 4, Loss = Loss.BinaryCrossEntropy)]"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: it is trained with BinaryCrossEntropy, whose last layer, 'Out', must end in Activation.Sigmoid (probabilities) or none (logits), not Relu", Message(d));
    }

    [Theory]
    [InlineData("SharesWeightsWith = \"Conv9\"", "'Conv9' is not a layer of 'Net'")]
    [InlineData("SharesWeightsWith = nameof(Conv1), OutChannels = 3", "'Conv1' has parameters [2, 1, 3, 3] with a bias, and 'Conv2' needs [3, 2, 3, 3] with a bias")]
    [InlineData("SharesWeightsWith = nameof(Conv2)", "a layer cannot share its own parameters")]
    public void Shared_weights_must_name_a_layer_of_the_same_shape(string property, string problem)
    {
        string conv2 = $"[Conv2D(Kernel = 3, Padding = 1, {(property.Contains("OutChannels") ? "" : "OutChannels = 2, ")}{property})]";
        Diagnostic d = Single(Network($"[Conv2D(OutChannels = 2, Kernel = 3, Padding = 1)] partial void Conv1();\n    {conv2} partial void Conv2();\n    [Dense(OutFeatures = 10)] partial void Logits();"),
            "KGEN016", conv2.Trim('[', ']'));
        Assert.Equal($"'Conv2' cannot share the weights of '{(property.Contains("Conv9") ? "Conv9" : property.Contains("Conv1") ? "Conv1" : "Conv2")}': {problem}.", Message(d));
    }

    [Fact]
    public void A_layer_called_input_is_reported_once()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3)] partial void input();\n    [Dense(OutFeatures = 10)] partial void Logits();"), "KGEN014", "input");
        Assert.Contains("'input' names the network's input (NetworkAttribute.Input); call the layer something else", Message(d));
    }

    [Fact]
    public void Tensors_of_different_shapes_at_an_add_are_reported_with_both_shapes()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 4, Kernel = 3, Padding = 1)] partial void Conv1();\n    [Conv2D(OutChannels = 2, Kernel = 3, Padding = 1)] partial void Conv2();\n    [Add(nameof(Conv1))] partial void Sum();\n    [Dense(OutFeatures = 10)] partial void Logits();"),
            "KGEN013", "Add(nameof(Conv1))");
        Assert.Equal("[Add] Sum adds 'Conv1', which gives 4×28×28, to its input, 'Conv2', which gives 2×28×28: the tensors added must have one shape.", Message(d));
    }

    [Fact]
    public void Tensors_of_different_planes_at_a_concat_are_reported_with_both_shapes()
    {
        Diagnostic d = Single(Network("[Conv2D(OutChannels = 4, Kernel = 3, Padding = 1)] partial void Conv1();\n    [MaxPool2D(Kernel = 2)] partial void Pool1();\n    [Concat(nameof(Conv1))] partial void Join();\n    [Dense(OutFeatures = 10)] partial void Logits();"),
            "KGEN013", "Concat(nameof(Conv1))");
        Assert.Equal("[Concat] Join joins 'Conv1', which gives 4×28×28, to its input, 'Pool1', which gives 4×14×14: the tensors joined along channels must have one height and width (or all be flat features).", Message(d));
    }

    private static Diagnostic Single(string source, string id, string locatedText)
    {
        (GeneratorDriverRunResult result, Compilation output) = Harness.Run(source);
        Diagnostic diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        SyntaxTree tree = output.SyntaxTrees.Single(t => t.FilePath == diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(locatedText, tree.GetText().ToString(diagnostic.Location.SourceSpan));
        Assert.Empty(result.GeneratedTrees);
        return diagnostic;
    }

    private static string Message(Diagnostic diagnostic) => diagnostic.GetMessage(CultureInfo.InvariantCulture);

    [Fact]
    public void The_MNIST_network_compiles_cleanly_and_infers_every_layer_input()
    {
        (GeneratorDriverRunResult result, _) = Harness.Run(Network(Mnist));
        Assert.Empty(result.Diagnostics);
        Assert.Equal(
            ["KernelGen.DirectTiles.g.cs", "Samples.Net.Conv1Forward.g.cs", "Samples.Net.Fc1Forward.g.cs", "Samples.Net.LogitsForward.g.cs", "Samples.Net.Network.g.cs", "Samples.Net.Pool1Forward.g.cs"],
            result.GeneratedTrees.Select(t => Path.GetFileName(t.FilePath)).Order(StringComparer.Ordinal));

        // Each kernel got the inferred shape: the conv its 1×28×28 input, the pool 32×26×26, the dense layers 5408 and 128 features.
        Assert.Contains("Conv2D 1×28×28 → 32×26×26", Harness.Generated(result, "Samples.Net.Conv1Forward.g.cs"), StringComparison.Ordinal);
        Assert.Contains("32×26×26 → 32×13×13", Harness.Generated(result, "Samples.Net.Pool1Forward.g.cs"), StringComparison.Ordinal);
        Assert.Contains("Dense 5408 → 128, bias, activation Relu", Harness.Generated(result, "Samples.Net.Fc1Forward.g.cs"), StringComparison.Ordinal);
        Assert.Contains("Dense 128 → 10, bias, activation None", Harness.Generated(result, "Samples.Net.LogitsForward.g.cs"), StringComparison.Ordinal);
        string network = Harness.Generated(result, "Samples.Net.Network.g.cs");
        Assert.Contains("new global::KernelGen.Training.Parameter(\"Fc1.weight\", new[] { 128, 5408 }", network, StringComparison.Ordinal);
        Assert.Contains("public const int InputSize = 784;", network, StringComparison.Ordinal);
        Assert.Contains("public const int OutputSize = 10;", network, StringComparison.Ordinal);

        // And the whole of it compiles with every warning an error.
        Harness.CompileAndLoad(Network(Mnist));
    }

    [Fact]
    public void A_stated_size_that_agrees_is_accepted()
    {
        string layers = """
            [Conv2D(InChannels = 1, Height = 28, Width = 28, OutChannels = 4, Kernel = 3)] partial void Conv1();
                [MaxPool2D(Channels = 4, Height = 26, Width = 26, Kernel = 2)] partial void Pool1();
                [Dense(InFeatures = 676, OutFeatures = 10)] partial void Logits();
            """;
        Assert.Empty(Harness.Diagnostics(Network(layers)));
    }

    [Fact]
    public void KGEN013_a_stated_size_that_contradicts_the_inferred_one_names_both_shapes()
    {
        string layers = """
            [Conv2D(OutChannels = 32, Kernel = 3)] partial void Conv1();
                [MaxPool2D(Kernel = 2)] partial void Pool1();
                [Dense(InFeatures = 5000, OutFeatures = 10)] partial void Logits();
            """;
        Diagnostic d = Single(Network(layers), "KGEN013", "Dense(InFeatures = 5000, OutFeatures = 10)");
        Assert.Equal("[Dense] Logits states InFeatures = 5000, but its input is 32×13×13, as 'Pool1' gives it, so InFeatures is 5408. Remove InFeatures, or make the layers agree.", Message(d));
    }

    [Fact]
    public void KGEN013_the_first_layer_is_checked_against_the_network_input()
    {
        Diagnostic d = Single(Network("[Conv2D(InChannels = 3, OutChannels = 8, Kernel = 3)] partial void Conv1();"), "KGEN013", "Conv2D(InChannels = 3, OutChannels = 8, Kernel = 3)");
        Assert.Equal("[Conv2D] Conv1 states InChannels = 3, but its input is 1×28×28, as the network's input gives it, so InChannels is 1. Remove InChannels, or make the layers agree.", Message(d));
    }

    [Fact]
    public void KGEN005_a_kernel_larger_than_its_inferred_input_names_both_shapes()
    {
        string layers = """
            [Conv2D(OutChannels = 8, Kernel = 5, Stride = 5)] partial void Conv1();
                [Conv2D(OutChannels = 8, Kernel = 7)] partial void Conv2();
                [GlobalAvgPool2D] partial void Gap();
            """;
        Diagnostic d = Single(Network(layers), "KGEN005", "Conv2D(OutChannels = 8, Kernel = 7)");
        Assert.Equal("[Conv2D] The kernel spans 7 rows (height 7, dilation 1) but the padded input has only 5. In the network, Conv2's input is 8×5×5, from 'Conv1'. Use a smaller kernel or dilation, or more padding.", Message(d));
    }

    [Fact]
    public void KGEN014_a_layer_method_with_parameters_or_modifiers_is_not_a_layer_declaration()
    {
        Diagnostic d = Single(Network("[Dense(OutFeatures = 10)] partial void Logits(int x);"), "KGEN014", "Logits");
        Assert.Equal("'Logits' is a layer of network 'Net', so it must be declared 'partial void Logits();' with no body, no parameters and no modifiers: it has parameters (the network passes every span itself)", Message(d));
        d = Single(Network("[Dense(OutFeatures = 10)] private static partial void Logits();"), "KGEN014", "Logits");
        Assert.EndsWith(": remove 'private static'", Message(d), StringComparison.Ordinal);
    }

    [Fact]
    public void KGEN015_a_network_must_be_a_partial_class_with_layers_that_ends_in_scores()
    {
        Diagnostic d = Single(Network(Mnist, declaration: "public sealed class Net"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: 'Net' is not partial", Message(d));
        d = Single(Network(""), "KGEN015", "Net");
        Assert.StartsWith("'Net' cannot be a [Network]: it has no layers;", Message(d), StringComparison.Ordinal);
        d = Single(Network("[Conv2D(OutChannels = 4, Kernel = 3)] partial void Conv1();"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: its last layer, 'Conv1', gives 4×26×26, and a network ends in one score per class: end it with [Dense], [GlobalAvgPool2D] or [GlobalMaxPool2D]", Message(d));
    }

    [Fact]
    public void KGEN004_weights_cannot_start_at_zero()
    {
        Diagnostic d = Single(Network(Mnist, attribute: "[Network(InputChannels = 1, InputHeight = 28, InputWidth = 28, Initialization = KernelGen.Training.Initialization.Zeros)]"),
            "KGEN004", "Network(InputChannels = 1, InputHeight = 28, InputWidth = 28, Initialization = KernelGen.Training.Initialization.Zeros)");
        Assert.Equal("[Network] Initialization = Zeros: weights must start at random values, or every unit of a layer learns the same thing. Use Glorot or He.", Message(d));
    }

    [Fact]
    public void KGEN015_the_generated_constructor_must_run_and_the_generated_names_must_be_free()
    {
        Diagnostic d = Single(Network(Mnist + "\n    public Net(string path) { }"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: its constructor 'Net(string)' does not call the generated one; add ': this(seed, maxBatch)' to it", Message(d));
        Assert.Empty(Harness.Diagnostics(Network(Mnist + "\n    public Net(string path) : this(seed: 1) { }")));

        d = Single(Network(Mnist, declaration: "public sealed partial record Net"), "KGEN015", "Net");
        Assert.StartsWith("'Net' cannot be a [Network]: it is a record", Message(d), StringComparison.Ordinal);
        d = Single(Network(Mnist, declaration: "public sealed partial class Net(int size)"), "KGEN015", "Net");
        Assert.StartsWith("'Net' cannot be a [Network]: it has a primary constructor", Message(d), StringComparison.Ordinal);

        d = Single(Network(Mnist + "\n    public int Conv1Weight => 3;"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: it declares 'Conv1Weight', a name the generator gives one of the network's own members; rename it", Message(d));
        d = Single(Network(Mnist + "\n    public void Conv1InputGradientForward() { }"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: it declares 'Conv1InputGradientForward', a name the generator gives one of the network's own members; rename it", Message(d));
        d = Single(Network("[Conv2D(OutChannels = 2, Kernel = 3, Bias = false)] partial void Conv1();\n    [BatchNorm2D] partial void Bn1();\n    [GlobalAvgPool2D] partial void Gap();\n    public float[] Bn1RunningVar => [];"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: it declares 'Bn1RunningVar', a name the generator gives one of the network's own members; rename it", Message(d));
        d = Single(Network(Mnist + "\n    public string Profile => \"\";"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: it declares 'Profile', a name the generator gives one of the network's own members; rename it", Message(d));

        d = Single(Network("[MaxPool2D(Kernel = 2)] partial void Pool1();\n    [GlobalAvgPool2D] partial void Gap();"), "KGEN015", "Net");
        Assert.Equal("'Net' cannot be a [Network]: it has no [Conv2D], [Dense] or [BatchNorm2D] layer, so nothing in it can be trained", Message(d));
    }

    [Fact]
    public void KGEN014_a_layer_cannot_take_a_generated_name_or_clash_with_another_up_to_case()
    {
        Diagnostic d = Single(Network("[Dense(OutFeatures = 10)] partial void Forward();"), "KGEN014", "Forward");
        Assert.EndsWith(": 'Forward' is the name of a member every network gets; call the layer something else", Message(d), StringComparison.Ordinal);
        d = Single(Network("[Dense(OutFeatures = 10)] partial void Profile();"), "KGEN014", "Profile");
        Assert.EndsWith(": 'Profile' is the name of a member every network gets; call the layer something else", Message(d), StringComparison.Ordinal);
        d = Single(Network("[Conv2D(OutChannels = 4, Kernel = 3)] partial void conv1();\n    [Dense(OutFeatures = 10)] partial void Conv1();"), "KGEN014", "Conv1");
        Assert.EndsWith(": another layer, 'conv1', has the same name up to case, and their kernels' files would clash; rename one", Message(d), StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_broken_layer_the_later_layers_are_not_checked_against_a_guessed_input()
    {
        string layers = """
            [Conv2D(OutChannels = 32, Kernel = 3)] void Conv1();
                [MaxPool2D(Kernel = 2)] partial void Pool1();
                [Dense(InFeatures = 5408, OutFeatures = 10)] partial void Logits();
            """;
        Diagnostic d = Single(Network(layers), "KGEN014", "Conv1");
        Assert.EndsWith(": it is not partial", Message(d), StringComparison.Ordinal);
    }

    [Fact]
    public void KGEN003_the_network_input_is_required()
    {
        Diagnostic d = Single(Network(Mnist, attribute: "[Network(InputChannels = 1, InputHeight = 28)]"), "KGEN003", "Network(InputChannels = 1, InputHeight = 28)");
        Assert.Equal("[Network] needs InputWidth: add it to the attribute", Message(d));
    }

    [Fact]
    public void Layer_methods_do_not_get_the_stand_alone_kernel_diagnostics_and_the_analyzers_are_told_they_are_declarations()
    {
        // Instance methods without spans would be KGEN001/KGEN002 as stand-alone kernels; in a network they are layers.
        Assert.Empty(Harness.Diagnostics(Network(Mnist)));
        Assert.Contains(new NetworkLayerSuppressor().SupportedSuppressions, s => s.SuppressedDiagnosticId == "CA1822");
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_network_cached_and_a_shape_change_regenerates_it()
    {
        GeneratorDriver driver = Harness.Driver();
        Compilation first = Harness.Compilation(Network(Mnist));
        driver = driver.RunGenerators(first);
        driver = driver.RunGenerators(first.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText("class Unrelated { }", Harness.ParseOptions)));
        var steps = driver.GetRunResult().Results.Single().TrackedSteps[KernelGenerator.Steps.Plan("Network")];
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.Contains(o.Reason, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));

        driver = driver.RunGenerators(Harness.Compilation(Network(Mnist.Replace("OutFeatures = 128", "OutFeatures = 64", StringComparison.Ordinal))));
        steps = driver.GetRunResult().Results.Single().TrackedSteps[KernelGenerator.Steps.Plan("Network")];
        Assert.Contains(steps.SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
    }
}
