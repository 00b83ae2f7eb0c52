extern alias generator;

using System.Collections.Generic;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using KernelGen.Tests.Shared;
using Microsoft.CodeAnalysis;
using Xunit.Abstractions;

namespace KernelGen.Generator.Tests;

/// <summary>
/// The generator on what a user's IDE feeds it: random layer declarations, valid and broken, in every kind of containing
/// type, random <c>[Network]</c> graphs, and all of it cut off mid-keystroke. Whatever the input, no exception escapes the
/// generator and none becomes KGEN011; an input broken in a known way gets a KGEN error of the right kind on the right
/// node; a valid one compiles with every warning an error and its kernels equal the reference; and the output is the
/// same bytes under the invariant, Turkish and Arabic cultures and from run to run.
/// </summary>
/// <remarks>
/// Inputs come from CsCheck generators drawn with a fixed seed (<c>KERNELGEN_FUZZ_SEED</c> replaces it), so a CI run is
/// repeatable; <c>KERNELGEN_FUZZ_ITERATIONS</c> multiplies the budget for a longer run (its value over 1,000, so 10000 is
/// ten times the CI budget). A failure names the input's index and prints its source.
/// </remarks>
public class GeneratorFuzzTests(ITestOutputHelper output)
{
    private static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("KERNELGEN_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong s) ? s : 20261201;

    /// <summary>The CI budget <paramref name="ci"/>, scaled by <c>KERNELGEN_FUZZ_ITERATIONS</c> / 1000 when it is set.</summary>
    private static int Budget(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("KERNELGEN_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? (int)Math.Max(1, (long)ci * n / 1000)
            : ci;

    /// <summary>The first <paramref name="count"/> values of <paramref name="gen"/> for the seed, the same on every run.</summary>
    private static IEnumerable<T> Draw<T>(Gen<T> gen, int count, ulong stream)
    {
        var pcg = new PCG((uint)stream, Seed);
        for (int i = 0; i < count; i++)
        {
            yield return gen.Generate(pcg, null, out _);
        }
    }

    /// <summary>A type to declare kernels in: valid (its name as reflection sees it) or not (KGEN009 on each method).</summary>
    public sealed record Container(string Name, string Open, string Close, Func<Type, bool>? Finds)
    {
        public bool Valid => Finds is not null;
    }

    private static readonly Container[] Containers =
    [
        new("a class in a namespace", "namespace Fuzz\n{\npublic static partial class Kernels\n{", "}\n}", t => t.FullName == "Fuzz.Kernels"),
        new("a class in the global namespace", "public static partial class GlobalKernels\n{", "}", t => t.FullName == "GlobalKernels"),
        new("a class nested in two others", "namespace Fuzz.Deep\n{\npublic partial class Outer\n{\ninternal partial class Middle\n{\nprivate static partial class Inner\n{", "}\n}\n}\n}", t => t.FullName == "Fuzz.Deep.Outer+Middle+Inner"),
        new("a record", "namespace Fuzz;\npublic partial record Holder(int A)\n{", "}", t => t.FullName == "Fuzz.Holder"),
        new("a record struct", "namespace Fuzz;\npublic readonly partial record struct Pair(int A, int B)\n{", "}", t => t.FullName == "Fuzz.Pair"),
        new("a struct nested in a sealed class", "namespace Fuzz;\ninternal sealed partial class Host\n{\npublic partial struct Box\n{", "}\n}", t => t.FullName == "Fuzz.Host+Box"),
        new("a file-local class (its generated part would be in another file)", "namespace Fuzz;\nfile static partial class Local\n{", "}", null),
        new("a class that is not partial", "namespace Fuzz;\npublic static class Plain\n{", "}", null),
        new("a generic class", "namespace Fuzz;\npublic static partial class Generic<T>\n{", "}", null),
        new("a partial class in one that is not", "namespace Fuzz;\npublic class Whole\n{\npublic static partial class Part\n{", "}\n}", null),
    ];

    private static Gen<T> OneOf<T>(T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly Gen<Container> ValidContainers = OneOf([.. Containers.Where(c => c.Valid)]);

    private static readonly Gen<LayerCase> Layers = Gen.Frequency((3, RandomLayers.Conv), (2, RandomLayers.Pool), (2, RandomLayers.DenseOrGlobal));

    private static string Source(Container container, IEnumerable<string> declarations) =>
        $"using System;\nusing KernelGen;\n\n{container.Open}\n{string.Join("\n", declarations)}\n{container.Close}\n";

    /// <summary>What a fuzzed source should give: which KGEN IDs, on which text; none for valid code; null for "anything but a crash".</summary>
    public sealed record Expected(string[] Ids, string[] LocatedTexts);

    public sealed record Input(string What, string Source, Expected? Expect)
    {
        /// <summary>For a network: its input, and its layers as (kind, size), to run the reference on.</summary>
        public (int Channels, int Side, (string Kind, int Size)[] Layers)? Plan { get; init; }

        public override string ToString() => $"{What}:\n{Source}";
    }

    private static readonly Regex Integer = new(@"\b(\w+) = (\d+)(?![\d.f])", RegexOptions.CultureInvariant);

    /// <summary>One layer declaration broken in one known way, and what the generator must say about it.</summary>
    private static Gen<Input> BrokenKernels =>
        from layer in Layers
        from container in OneOf(Containers)
        from kind in Gen.Int[0, 11]
        from pick in Gen.Int[0, 1000]
        let broken = Break(layer, container, kind, pick)
        where broken is not null
        select broken;

    private static Input? Break(LayerCase layer, Container container, int kind, int pick)
    {
        const string Method = "K0";
        string attribute = layer.Attribute[1..^1];
        string declaration = layer.Declaration(0);
        // In a type that is not a valid container, KGEN009 on the method comes first and the shape is not checked.
        Input With(string what, string newAttribute, params string[] ids) =>
            new($"{what} in {container.Name}", Source(container, [declaration.Replace(attribute, newAttribute, StringComparison.Ordinal)]),
                container.Valid ? new Expected(ids, [newAttribute]) : new Expected([.. ids, "KGEN009"], [newAttribute, Method]));
        Input OnMethod(string what, string newDeclaration, params string[] ids) =>
            new($"{what} in {container.Name}", Source(container, [newDeclaration]), new Expected(container.Valid ? ids : [.. ids, "KGEN009"], [Method]));

        MatchCollection integers = Integer.Matches(attribute);
        Match? Some(Func<string, bool> which)
        {
            Match[] matches = [.. integers.Where(m => which(m.Groups[1].Value))];
            return matches.Length == 0 ? null : matches[pick % matches.Length];
        }

        string Set(Match m, string value) => attribute[..m.Groups[2].Index] + value + attribute[(m.Groups[2].Index + m.Groups[2].Length)..];
        switch (kind)
        {
            case 0 when Some(_ => true) is { } m:
                return With($"{m.Groups[1].Value} = -1", Set(m, "-1"), "KGEN004");
            case 1 when Some(name => !name.StartsWith("Padding", StringComparison.Ordinal)) is { } m:
                return With($"{m.Groups[1].Value} = 0", Set(m, "0"), "KGEN004");
            // int.MaxValue only where it is always wrong for these shapes (inputs of at most 60 channels and 40 columns): a
            // window (KGEN005, or the weights' count, KGEN008) or a group count (KGEN006). It is valid as a stride (one
            // output), as a dilation where the window is one tap along its axis (Huge_dilation_of_a_one_tap_axis_is_valid_and_equals_the_reference),
            // as a pool's window with SAME padding, which always overlaps the input (Pool_window_larger_than_any_input_with_same_padding_takes_the_whole_column),
            // and as a size whose element counts still fit an int (Height = int.MaxValue with one channel and one column).
            case 2 when Some(name => (name.StartsWith("Kernel", StringComparison.Ordinal) || name == "Groups")
                && !(name.StartsWith("Kernel", StringComparison.Ordinal) && attribute.Contains("Pool2D(", StringComparison.Ordinal) && attribute.Contains("SamePadding = true", StringComparison.Ordinal))) is { } m:
                // The window past the input (KGEN005), the weights' count (KGEN008), or the groups (KGEN006).
                return With($"{m.Groups[1].Value} = int.MaxValue", Set(m, "int.MaxValue"), "KGEN004", "KGEN005", "KGEN006", "KGEN008", "KGEN010");
            case 3 when Some(name => name is "InChannels" or "OutChannels" or "Channels" or "Height" or "Width" or "InFeatures" or "OutFeatures") is { } m:
            {
                int start = m.Index, end = m.Index + m.Length;
                string without = end < attribute.Length && attribute[end] == ',' ? attribute[..start] + attribute[(end + 2)..] : attribute[..(start - 2)] + attribute[end..];
                return With($"no {m.Groups[1].Value}", without, "KGEN003");
            }

            case 4 when Some(name => name is "Kernel" or "KernelHeight") is { } m:
                return With($"{m.Groups[1].Value} and its counterpart both set", attribute[..^1] + (m.Groups[1].Value == "Kernel" ? ", KernelHeight = 2)" : ", Kernel = 2)"), "KGEN007");
            case 5 when attribute.Contains("Activation = Activation.", StringComparison.Ordinal):
                return With("an undefined activation", Regex.Replace(attribute, @"Activation = Activation\.\w+", "Activation = (Activation)99"), "KGEN004");
            case 6:
                return OnMethod("a method that is not static", declaration.Replace("private static partial void", "private partial void", StringComparison.Ordinal), "KGEN001");
            case 7:
                return OnMethod("an array for a span", declaration.Replace("ReadOnlySpan<float> input", "float[] input", StringComparison.Ordinal), "KGEN002");
            case 8:
                // Not an int: an int after the output is the batch, whatever its name.
                return OnMethod("a parameter too many", declaration.Replace("Span<float> output", "Span<float> output, float extra", StringComparison.Ordinal), "KGEN002");
            case 9:
                return OnMethod("a method returning a value", declaration.Replace("static partial void K0", "static partial int K0", StringComparison.Ordinal), "KGEN001");
            case 10:
                return OnMethod("a generic method", declaration.Replace("K0(ReadOnlySpan", "K0<T>(ReadOnlySpan", StringComparison.Ordinal), "KGEN001");
            case 11:
                return OnMethod("two layer attributes", "[MaxPool2D(Channels = 1, Height = 4, Width = 4, Kernel = 2)]\n" + declaration, "KGEN012");
            default:
                return container.Valid ? null : new($"a valid layer in {container.Name}", Source(container, [declaration]), new Expected(["KGEN009"], [Method]));
        }
    }

    /// <summary>A network: a chain of shape-preserving convolutions, batch norms and pools, then a classifier; maybe broken in one known way.</summary>
    private static Gen<Input> Networks =>
        from channels in Gen.Int[1, 3]
        from side in Gen.Int[4, 12]
        from kinds in Gen.Int[0, 3].Array[1, 5]
        from widths in Gen.Int[1, 5].Array[5]
        from classes in Gen.Int[2, 6]
        from gap in Gen.Bool
        from breakage in Gen.Int[0, 12]
        select Network(channels, side, kinds, widths, classes, gap, breakage);

    private static Input Network(int channels, int side, int[] kinds, int[] widths, int classes, bool gap, int breakage)
    {
        var attributes = new List<string>();
        var plan = new List<(string Kind, int Size)>();
        int h = side, c = channels;
        bool afterConv = false;
        for (int i = 0; i < kinds.Length; i++)
        {
            switch (kinds[i])
            {
                case 1 when h >= 4:
                    attributes.Add("MaxPool2D(Kernel = 2)");
                    plan.Add(("pool", 2));
                    h /= 2;
                    afterConv = false;
                    break;
                case 2 when afterConv:
                    attributes.Add("BatchNorm2D");
                    plan.Add(("bn", c));
                    afterConv = false;
                    break;
                default:
                    c = widths[i];
                    attributes.Add(string.Create(CultureInfo.InvariantCulture, $"Conv2D(OutChannels = {c}, Kernel = 3, Padding = 1, Activation = Activation.Relu)"));
                    plan.Add(("conv", c));
                    afterConv = true;
                    break;
            }
        }

        if (gap)
        {
            attributes.Add("GlobalAvgPool2D");
            plan.Add(("gap", c));
        }

        attributes.Add(string.Create(CultureInfo.InvariantCulture, $"Dense(OutFeatures = {classes})"));
        plan.Add(("dense", classes));
        string[] names = [.. attributes.Select((_, i) => $"L{i}")];
        string header = string.Create(CultureInfo.InvariantCulture, $"[Network(InputChannels = {channels}, InputHeight = {side}, InputWidth = {side})]");
        string declaration = "public sealed partial class Net", layerSuffix = "()";
        string[] ids = [];
        string[] located = [];
        string what = $"a network of {string.Join(", ", attributes)}";
        int target = attributes.Count > 1 ? 1 : 0;
        switch (breakage)
        {
            case 0:
                attributes[target] = attributes[target].Contains('(', StringComparison.Ordinal) ? attributes[target][..^1] + ", Input = \"Nowhere\")" : attributes[target] + "(Input = \"Nowhere\")";
                (ids, located, what) = (["KGEN016"], [attributes[target]], what + ", a layer reading a name that is no layer");
                break;
            case 1 when attributes.Count > 2:
                attributes[0] = attributes[0].Contains('(', StringComparison.Ordinal) ? attributes[0][..^1] + $", Input = nameof({names[^2]}))" : attributes[0] + $"(Input = nameof({names[^2]}))";
                (ids, located, what) = (["KGEN016"], [.. attributes], what + ", the first layer reading the last but one (a cycle)");
                break;
            case 2:
                declaration = "public sealed class Net";
                (ids, located, what) = (["KGEN015"], ["Net"], what + ", in a class that is not partial");
                break;
            case 3:
                declaration = "public sealed partial class Net<T>";
                (ids, located, what) = (["KGEN015"], ["Net"], what + ", in a generic class");
                break;
            case 4:
                layerSuffix = "(int x)";
                (ids, located, what) = (["KGEN014"], [.. names], what + ", layer methods with a parameter");
                break;
            case 5 when attributes[0].StartsWith("Conv2D(", StringComparison.Ordinal):
                attributes[0] = attributes[0].Replace("Conv2D(", string.Create(CultureInfo.InvariantCulture, $"Conv2D(InChannels = {channels + 1}, "), StringComparison.Ordinal);
                (ids, located, what) = (["KGEN013"], [attributes[0]], what + ", the first layer stating one input channel too many");
                break;
            case 6:
                attributes[^1] = attributes[^1][..^1] + string.Create(CultureInfo.InvariantCulture, $", InFeatures = {(gap ? c : c * h * h) + 1})");
                (ids, located, what) = (["KGEN013"], [attributes[^1]], what + ", the classifier stating one input feature too many");
                break;
            case 7 when !gap:
                attributes[^1] = "Conv2D(OutChannels = 2, Kernel = 1)";
                (ids, located, what) = (["KGEN015"], ["Net"], what + ", ending in a convolution");
                break;
            default:
                (ids, located) = ([], []);
                break;
        }

        var source = new StringBuilder("using System;\nusing KernelGen;\n\nnamespace Fuzz;\n\n").Append(header).Append('\n').Append(declaration).Append("\n{\n");
        for (int i = 0; i < attributes.Count; i++)
        {
            source.Append("    [").Append(attributes[i]).Append("] partial void ").Append(names[i]).Append(layerSuffix).Append(";\n");
        }

        return new Input(what, source.Append("}\n").ToString(), new Expected(ids, located)) { Plan = ids.Length == 0 ? (channels, side, [.. plan]) : null };
    }

    /// <summary>Valid declarations, one to three layers each in a random valid type (compiled and run against the reference).</summary>
    private static Gen<(Container Container, LayerCase[] Layers)> ValidKernels =>
        from container in ValidContainers
        from layers in Layers.Array[1, 3]
        select (container, layers);

    private static string Source(Container container, LayerCase[] layers) => Source(container, layers.Select((l, i) => l.Declaration(i)));

    /// <summary>The longest one generator run of this test took, in milliseconds.</summary>
    private double _slowest;

    /// <summary>
    /// Runs the generator on <paramref name="input"/> and checks what it must do for any input: no exception, no KGEN011,
    /// and an answer within 30 seconds (a generator that tries every tap of a 2³¹-tap window is a hang to the IDE).
    /// </summary>
    private (GeneratorDriverRunResult Result, Compilation Output) Generate(Input input)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        (GeneratorDriverRunResult result, Compilation compilation) = Harness.Run(input.Source);
        double ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        _slowest = Math.Max(_slowest, ms);
        Assert.True(ms < 30_000, $"The generator took {ms / 1000:F0} s on {input}");
        GeneratorRunResult run = result.Results.Single();
        if (run.Exception is not null || result.Diagnostics.Any(d => d.Id is "KGEN011" or "CS8785"))
        {
            Assert.Fail($"The generator failed on {input}\n{run.Exception}\n{string.Join("\n", result.Diagnostics)}");
        }

        return (result, compilation);
    }

    private void CheckExpected(Input input)
    {
        (GeneratorDriverRunResult result, Compilation compilation) = Generate(input);
        if (input.Expect is not { } expect)
        {
            return;
        }

        if (expect.Ids.Length == 0)
        {
            Assert.True(result.Diagnostics.IsEmpty, $"A valid input got {string.Join("; ", result.Diagnostics)}: {input}");
            Diagnostic[] problems = [.. compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];
            Assert.True(problems.Length == 0, $"A valid input does not compile cleanly: {string.Join("; ", problems.Take(5))}: {input}");
            return;
        }

        // The generator's diagnostics carry file locations made from its cached data: their text is read from the source's tree.
        string Located(Diagnostic d) => compilation.SyntaxTrees.SingleOrDefault(t => t.FilePath == d.Location.GetLineSpan().Path)?.GetText().ToString(d.Location.SourceSpan) ?? "(no location)";
        bool found = result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error && expect.Ids.Contains(d.Id) && expect.LocatedTexts.Contains(Located(d)));
        Assert.True(found, $"Expected {string.Join(" or ", expect.Ids)} on {string.Join(" or ", expect.LocatedTexts.Select(t => $"'{t}'"))}; got {(result.Diagnostics.IsEmpty ? "nothing" : string.Join("; ", result.Diagnostics.Select(d => $"{d.Id} on '{Located(d)}'")))}, for {input}");
    }

    /// <summary><paramref name="source"/> cut off at a random point, with a random stretch before it deleted: what the IDE sees mid-edit.</summary>
    private static Gen<Input> HalfWritten(Gen<string> sources) =>
        from source in sources
        from cut in Gen.Int[0, 10_000]
        from hole in Gen.Int[0, 10_000]
        from holeLength in Gen.Int[0, 12]
        let end = cut % (source.Length + 1)
        let start = end == 0 ? 0 : hole % end
        let length = Math.Min(holeLength, end - start)
        select new Input($"cut at {end}, {length} characters deleted at {start}", source[..start] + source[(start + length)..end], null);

    private static Gen<string> AnySource =>
        Gen.OneOf(BrokenKernels.Select(i => i.Source), Networks.Select(i => i.Source), ValidKernels.Select(v => Source(v.Container, v.Layers)));

    [Fact]
    public void Broken_layer_declarations_get_the_right_diagnostic_on_the_right_node_and_never_crash_the_generator()
    {
        int count = Budget(600);
        int index = 0;
        foreach (Input input in Draw(BrokenKernels, count, 1))
        {
            CheckExpected(input with { What = $"input {index++} of seed {Seed}: {input.What}" });
        }

        Measure.Report(output, $"generator fuzz: {count} broken layer declarations (10 kinds of containing type, 12 kinds of fault), each with the expected KGEN error on the expected node; 0 exceptions, 0 KGEN011; slowest generator run {_slowest:F0} ms");
    }

    [Fact]
    public void Networks_valid_and_broken_get_the_right_diagnostics_and_never_crash_the_generator()
    {
        int count = Budget(200), valid = 0, run = 0, index = 0;
        foreach (Input input in Draw(Networks, count, 2))
        {
            Input named = input with { What = $"input {index++} of seed {Seed}: {input.What}" };
            CheckExpected(named);
            if (named.Plan is not null)
            {
                valid++;
                if (run < Budget(25))
                {
                    CheckAgainstReference(named);
                    run++;
                }
            }
        }

        Assert.InRange(valid, count / 10, count - (count / 10));
        Measure.Report(output, $"generator fuzz: {count} networks ({valid} valid, each compiled with warnings as errors, {run} of them run against the reference; {count - valid} broken: dangling names, cycles, not partial, generic, layer parameters, stated shapes that clash, a last layer that is no classifier); 0 exceptions, 0 KGEN011; slowest generator run {_slowest:F0} ms");
    }

    /// <summary>
    /// Loads the valid network <paramref name="input"/>, gives every parameter and running statistic random values, and
    /// checks its <c>Forward</c> on two samples against the reference layer by layer (the network folds each batch norm
    /// into the convolution before it, so the tolerance is relative).
    /// </summary>
    private static void CheckAgainstReference(Input input)
    {
        (int channels, int side, (string Kind, int Size)[] layers) = input.Plan!.Value;
        Type type = Harness.CompileAndLoad(input.Source).GetType("Fuzz.Net")!;
        var network = (Training.INetwork)Activator.CreateInstance(type, 7, 2)!;
        var random = new Random(11);
        var parameters = network.Parameters.ToDictionary(p => p.Name, p => p.Values);
        foreach ((string name, float[] values) in parameters)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = name.EndsWith("running_var", StringComparison.Ordinal) ? (float)(0.5 + random.NextDouble()) : (float)((random.NextDouble() * 2) - 1);
            }
        }

        const int Batch = 2;
        float[] x = RandomLayers.Data(5, Batch * channels * side * side);
        float[] actual = new float[Batch * network.OutputLength];
        network.Forward(network.CreateWorkspace(Batch), x, actual, Batch);

        int c = channels, h = side;
        float[] current = x;
        for (int i = 0; i < layers.Length; i++)
        {
            (string kind, int size) = layers[i];
            float[] Weight(string suffix) => parameters[$"L{i}.{suffix}"];
            float[] next;
            switch (kind)
            {
                case "conv":
                    var conv = new Conv2DGeometry(c, h, h, size, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
                    next = new float[Batch * conv.OutputLength];
                    Reference.Conv2D<float>(conv, current, Weight("weight"), Weight("bias"), next, Batch, Activation.Relu);
                    c = size;
                    break;
                case "pool":
                    var pool = new Pool2DGeometry(c, h, h, 2, 2);
                    next = new float[Batch * pool.OutputLength];
                    Reference.MaxPool2D<float>(pool, current, next, Batch);
                    h /= 2;
                    break;
                case "bn":
                    next = new float[current.Length];
                    Reference.BatchNorm2D<float>(c, h, h, current, Weight("weight"), Weight("bias"), Weight("running_mean"), Weight("running_var"), next, Batch);
                    break;
                case "gap":
                    next = new float[Batch * c];
                    Reference.GlobalAvgPool2D<float>(c, h, h, current, next, Batch);
                    h = 1;
                    break;
                default:
                    next = new float[Batch * size];
                    Reference.Dense<float>(new DenseGeometry(c * h * h, size), current, Weight("weight"), Weight("bias"), next, Batch);
                    break;
            }

            current = next;
        }

        double scale = current.Max(v => Math.Abs((double)v));
        TensorComparison comparison = TensorComparison.Of(current, actual, [actual.Length], 1e-4 * scale, 1e-4);
        Assert.True(comparison.Matches, $"{comparison}, for {input}");
    }

    [Fact]
    public void Half_written_code_never_crashes_the_generator()
    {
        int count = Budget(600), index = 0;
        foreach (Input input in Draw(HalfWritten(AnySource), count, 3))
        {
            Generate(input with { What = $"input {index++} of seed {Seed}: {input.What}" });
        }

        Measure.Report(output, $"generator fuzz: {count} half-written sources (cut at random, a random stretch deleted); 0 exceptions, 0 KGEN011; slowest generator run {_slowest:F0} ms");
    }

    [Fact]
    public void Valid_declarations_in_every_kind_of_type_compile_cleanly_and_equal_the_reference()
    {
        int count = Budget(40), layers = 0, index = 0;
        foreach ((Container container, LayerCase[] cases) in Draw(ValidKernels, count, 4))
        {
            string source = Source(container, cases);
            Generate(new Input($"input {index++} of seed {Seed}", source, null));
            Assembly assembly = Harness.CompileAndLoad(source);
            Type type = assembly.GetTypes().Single(container.Finds!);
            for (int i = 0; i < cases.Length; i++)
            {
                LayerCase c = cases[i];
                float[] x = RandomLayers.Data(c.Seed, c.InputLength), w = RandomLayers.Data(c.Seed + 1, c.WeightLength), b = RandomLayers.Data(c.Seed + 2, c.BiasLength);
                float[] expected = new float[c.OutputLength], actual = new float[c.OutputLength];
                c.Reference(x, w, b, expected);
                type.GetMethod($"Run{i}")!.Invoke(null, [x, w, b, actual, c.Batch]);
                RandomLayers.Compare(c, $"in {container.Name}", expected, actual, RandomLayers.Tolerance(c));
                layers++;
            }
        }

        Measure.Report(output, $"generator fuzz: {count} valid sources ({layers} layers in {Containers.Count(c => c.Valid)} kinds of containing type), each compiled with warnings as errors and equal to the reference");
    }

    /// <summary>
    /// Found by the long run: a pool with <c>KernelHeight = int.MaxValue</c> and SAME padding is valid — every window covers
    /// every input row — and the generator rightly accepts it, but it tried each of the window's 2³¹ taps per output row
    /// (minutes of generation), and an average's divisor overflowed. Now it finds the taps in the input by arithmetic, and
    /// the output is each column window's maximum or mean over all rows, repeated for each output row: the reference of
    /// the same pool with a window exactly the input's height.
    /// </summary>
    [Theory]
    [InlineData("MaxPool2D")]
    [InlineData("AvgPool2D")]
    public void Pool_window_larger_than_any_input_with_same_padding_takes_the_whole_column(string pool)
    {
        string source = $$"""
            using System;
            using KernelGen;

            public static partial class Huge
            {
                [{{pool}}(Channels = 2, Height = 8, Width = 36, KernelHeight = int.MaxValue, KernelWidth = 3, StrideHeight = 3, SamePadding = true)]
                private static partial void Pool(ReadOnlySpan<float> input, Span<float> output);
                public static void Run(float[] input, float[] output) => Pool(input, output);
            }
            """;
        (int left, int right) = ShapeMath.SamePadding(36, 3, 3);
        var column = new Pool2DGeometry(2, 8, 36, 8, 3, 1, 3, 0, 0, left, right);
        float[] input = RandomLayers.Data(3, 2 * 8 * 36), once = new float[column.OutputLength];
        if (pool == "MaxPool2D")
        {
            Reference.MaxPool2D<float>(column, input, once);
        }
        else
        {
            Reference.AvgPool2D<float>(column, input, once);
        }

        int outputWidth = column.OutputWidth;
        float[] expected = [.. Enumerable.Range(0, 2).SelectMany(c => Enumerable.Repeat(once.Skip(c * outputWidth).Take(outputWidth), 3).SelectMany(row => row))];

        float[] actual = new float[expected.Length];
        Harness.CompileAndLoad(source).GetType("Huge")!.GetMethod("Run")!.Invoke(null, [input, actual]);

        TensorComparison comparison = TensorComparison.Of(expected, actual, [expected.Length], 8 * Math.Pow(2, -23), 8 * Math.Pow(2, -23));
        Assert.True(comparison.Matches, comparison.ToString());
    }

    /// <summary>
    /// Found by the long run: <c>DilationHeight = int.MaxValue</c> with <c>KernelHeight = 1</c> is valid — a one-tap axis has
    /// no gaps to dilate — and the generator rightly accepts it; its kernel equals the reference on every path.
    /// </summary>
    [Fact]
    public void Huge_dilation_of_a_one_tap_axis_is_valid_and_equals_the_reference()
    {
        var layer = new ConvCase(3, 3, 1, 7, 8, 1, 2, 3, 3, int.MaxValue, 2, 1, 3, 1, 1, false, false, Activation.Relu, true, false, 1, 5);
        Assert.NotNull(layer.Geometry);

        Assert.InRange(RandomLayers.CheckAll([layer]), 0, 1);
    }

    [Fact]
    public void Output_is_the_same_bytes_under_the_invariant_Turkish_and_Arabic_cultures_and_from_run_to_run()
    {
        string[] sources = [.. Draw(ValidKernels, Budget(12), 5).Select(v => Source(v.Container, v.Layers)),
            .. Draw(Networks, Budget(12), 6).Where(n => n.Expect!.Ids.Length == 0).Select(n => n.Source)];
        CultureInfo before = CultureInfo.CurrentCulture, beforeUi = CultureInfo.CurrentUICulture;
        try
        {
            foreach (string source in sources)
            {
                string? first = null;
                foreach (string culture in new[] { "", "tr-TR", "ar-SA", "" })
                {
                    CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
                    (GeneratorDriverRunResult result, _) = Harness.Run(source);
                    string generated = string.Join("\n", result.Results.Single().GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText));
                    first ??= generated;
                    Assert.True(first == generated, $"The output under '{culture}' differs from the invariant culture's for:\n{source}");
                }
            }
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
            CultureInfo.CurrentUICulture = beforeUi;
        }

        Measure.Report(output, $"generator fuzz: {sources.Length} valid sources generated under the invariant, tr-TR and ar-SA cultures and twice: byte-identical");
    }
}
