using System.Text.RegularExpressions;

namespace KernelGen.Generator.Tests;

/// <summary>
/// The generated code is read by users in their IDE: lines fit a screen, framework names go through the file's
/// <c>Kg</c> aliases (<c>global::</c> only in the partial-method shell), no loop runs once, no offset is cast with
/// parentheses it does not need — and the files stay a third smaller per hardware path than before the aliases.
/// </summary>
public partial class ReadabilityTests
{
    private const int Limit = 160;

    /// <summary>
    /// Each snapshot's characters per hardware path before the aliases (commit b8aabf9): three paths, the network file's
    /// backward kernels two. Not Dense_relu: since the dense kernels became blocked matrix products each path writes tile
    /// methods beside the per-sample blocks it had then, so the file no longer compares with its old size. Nor the
    /// convolutions whose output planes are flattened since (<see cref="FlattenedCharactersPerPath"/>): their tiles hold
    /// 3–7 times the accumulators they held then.
    /// </summary>
    private static readonly Dictionary<string, int> CharactersPerPathBefore = new()
    {
        ["Avg_pool_excluding_padding"] = 21305 / 3,
        ["Depthwise_without_bias"] = 46227 / 3,
        ["Global_avg_pool"] = 5995 / 3,
        ["Max_pool_3_stride_2_padding_1"] = 18784 / 3,
        ["Mnist_conv1_relu_batched"] = 113653 / 3,
        ["Mnist_network"] = 134280 / 2,
        ["Same_padding_stride_2"] = 99472 / 3,
    };

    /// <summary>
    /// The budget of a convolution with flattened output planes, per hardware path: its tiles are wide (up to 24
    /// accumulators), so only windows of up to about 300 statements unroll whole and a block too short for a whole tile
    /// computes a few pixels past the plane instead of taking a tile of its own.
    /// </summary>
    private const int FlattenedCharactersPerPath = 20_000;

    public static TheoryData<string> FlattenedSnapshots => ["Seed_3x3_with_padding", "Rectangular_kernel_flipped", "Strided_and_dilated", "Side_padding_as_onnx_states_it"];

    [Theory]
    [MemberData(nameof(FlattenedSnapshots))]
    public void Flattened_convolutions_stay_within_their_budget_per_hardware_path(string snapshot)
    {
        string text = File.ReadAllText(Path.Combine(Snapshot.ProjectDirectory, "Snapshots", $"SnapshotTests.{snapshot}.verified.cs"));
        Assert.Contains("FillPlanes(ref inputGroup, ref band, ", text, StringComparison.Ordinal);
        double perPath = (double)text.Length / PathMethod().Count(text);
        Assert.True(perPath <= FlattenedCharactersPerPath, $"{snapshot}: {perPath:F0} characters per path; the budget is {FlattenedCharactersPerPath}.");
    }

    public static TheoryData<string> Snapshots => [.. CharactersPerPathBefore.Keys];

    [Theory]
    [MemberData(nameof(Snapshots))]
    public void Snapshots_are_a_third_smaller_per_hardware_path(string snapshot)
    {
        string text = File.ReadAllText(Path.Combine(Snapshot.ProjectDirectory, "Snapshots", $"SnapshotTests.{snapshot}.verified.cs"));
        int paths = PathMethod().Count(text);
        if (paths == 0)
        {
            // The network file's backward kernels: a branch per vector path and the scalar code after them.
            paths = 4;
            Assert.Contains("if (KgV512.IsHardwareAccelerated)", text, StringComparison.Ordinal);
            Assert.Contains("else if (KgV128.IsHardwareAccelerated)", text, StringComparison.Ordinal);
        }

        double perPath = (double)text.Length / paths;
        Assert.True(perPath <= CharactersPerPathBefore[snapshot] * 2.0 / 3,
            $"{snapshot}: {perPath:F0} characters per path, against {CharactersPerPathBefore[snapshot]} before; the budget is two thirds of that.");
    }

    /// <summary>Every committed snapshot, by its test's name.</summary>
    public static TheoryData<string> AllSnapshots => [.. Directory.GetFiles(Path.Combine(Snapshot.ProjectDirectory, "Snapshots"), "*.verified.cs")
        .Select(f => Path.GetFileName(f)["SnapshotTests.".Length..^".verified.cs".Length]).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(AllSnapshots))]
    public void Snapshots_read_as_a_person_would_write_them(string snapshot) =>
        AssertReadable(snapshot, File.ReadAllText(Path.Combine(Snapshot.ProjectDirectory, "Snapshots", $"SnapshotTests.{snapshot}.verified.cs")));

    /// <summary>The widest layers of the benchmark suite, whose tiles and argument lists are the longest.</summary>
    [Fact]
    public void Large_layers_read_as_a_person_would_write_them()
    {
        const string source = """
            using System;
            using KernelGen;

            namespace Samples;

            public static partial class Resnet
            {
                [Conv2D(InChannels = 3, Height = 224, Width = 224, OutChannels = 64, Kernel = 7, Stride = 2, Padding = 3)]
                public static partial void Stem(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);

                [Conv2D(InChannels = 256, Height = 14, Width = 14, OutChannels = 256, Kernel = 3, Padding = 1, Activation = Activation.Relu)]
                public static partial void Block(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);

                [Conv2D(InChannels = 32, Height = 112, Width = 112, OutChannels = 32, Kernel = 3, Padding = 1, Groups = 32)]
                public static partial void Depthwise(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, Span<float> output);

                [AvgPool2D(Channels = 64, Height = 56, Width = 56, Kernel = 2, CountIncludePad = true)]
                public static partial void Pool(ReadOnlySpan<float> input, Span<float> output, int batch);
            }
            """;
        (var result, _) = Harness.Run(source);
        Assert.Empty(result.Diagnostics);
        foreach (var file in result.Results.Single().GeneratedSources)
        {
            AssertReadable(file.HintName, file.SourceText.ToString());
        }
    }

    /// <summary>A network whose inference passes packed weights, one of them folded with a batch norm: the longest calls of a network.</summary>
    [Fact]
    public void A_network_with_packed_forms_reads_as_a_person_would_write_it()
    {
        const string source = """
            using KernelGen;

            namespace Samples;

            [Network(InputChannels = 8, InputHeight = 16, InputWidth = 16)]
            public sealed partial class PackedConvolutions
            {
                [Conv2D(OutChannels = 64, Kernel = 3, Stride = 2, Padding = 1, Activation = Activation.Relu)] partial void Conv1();
                [Conv2D(OutChannels = 32, Kernel = 1, Bias = false)] partial void Conv2WithAVeryLongNameForItsBatchNorm();
                [BatchNorm2D(Activation = Activation.Relu)] partial void BatchNormWithAVeryLongNameAsImportersWriteThem();
                [Conv2D(OutChannels = 32, Kernel = 3, Padding = 1)] partial void Conv3();
                [GlobalAvgPool2D] partial void Gap();
                [Dense(OutFeatures = 5)] partial void Out();
            }
            """;
        (var result, _) = Harness.Run(source);
        Assert.Empty(result.Diagnostics);
        string network = result.Results.Single().GeneratedSources.Single(f => f.HintName.EndsWith(".Network.g.cs", StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("if (FixedWeights)", network, StringComparison.Ordinal);
        Assert.Contains("BatchNormWithAVeryLongNameAsImportersWriteThemPacked.For(", network, StringComparison.Ordinal);
        foreach (var file in result.Results.Single().GeneratedSources)
        {
            AssertReadable(file.HintName, file.SourceText.ToString());
        }
    }

    private static void AssertReadable(string name, string text)
    {
        string[] lines = text.Split('\n');
        string longest = lines.OrderByDescending(l => l.Length).First();
        Assert.True(longest.Length <= Limit, $"{name}: a line of {longest.Length} characters: {longest}");
        Assert.DoesNotContain(lines, l => l.Length > 0 && string.IsNullOrWhiteSpace(l));

        Match oneTrip = OneTripLoop().Match(text);
        Assert.False(oneTrip.Success, $"{name}: a loop that runs once: {oneTrip.Value}");
        Match cast = NeedlessParentheses().Match(text);
        Assert.False(cast.Success, $"{name}: parentheses around a plain offset: {cast.Value}");

        // global:: in the alias directives and in the shell that completes the user's partial declarations; none in
        // the file-local class of kernels, nor in the class of shared tiles.
        int start = text.IndexOf("\nfile static class", StringComparison.Ordinal);
        string kernels = text[(start >= 0 ? start : text.IndexOf("\ninternal static class", StringComparison.Ordinal))..];
        Assert.DoesNotContain("global::", kernels, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^    public static void (Vector512|Vector256|Vector128|Scalar)\(", RegexOptions.Multiline)]
    private static partial Regex PathMethod();

    [GeneratedRegex(@"for \(int (\w+) = 0; \1 < 1; \1\+\+\)|for \(int (\w+) = 0; \2 < (\d+); \2 \+= \3\)")]
    private static partial Regex OneTripLoop();

    [GeneratedRegex(@"\(nuint\)\((\w+)\)")]
    private static partial Regex NeedlessParentheses();
}
