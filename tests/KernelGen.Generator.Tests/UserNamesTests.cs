using System.Reflection;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Generated code means the same whatever names the user's project defines: its framework types are spelled through
/// file-local <c>Kg</c> aliases of <c>global::</c> names, and the partial-method shells with <c>global::</c> names, so
/// neither <c>global using</c> aliases, nor types called <c>Vector256</c>, <c>Unsafe</c> or <c>Math</c>, nor a namespace
/// called <c>System</c> inside the user's own can capture them. Every kind of kernel, and a network, is compiled with
/// every warning an error in such a project, and a kernel is run.
/// </summary>
public class UserNamesTests
{
    private const string Source = """
        global using Unsafe = System.String;
        global using MemoryMarshal = System.Text.StringBuilder;
        global using Vector512 = System.Int64;
        global using KernelArguments = System.Object;
        global using Span = System.Collections.Generic.List<float>;
        using KernelGen;

        namespace Samples
        {
            public sealed class Vector256 { }
            public sealed class Vector128<T> { }
            public static class MathF { }
            public static class Math { }
            public sealed class Span<T> { }
            public sealed class Random { }
            public sealed class MethodImplAttribute : global::System.Attribute { }
            public sealed class Parallelism { }
            public static class KernelParts { }

            namespace System
            {
                public sealed class Runtime { }
                public static class Math { }
            }

            public static partial class Layers
            {
                [Conv2D(InChannels = 3, Height = 9, Width = 11, OutChannels = 5, Kernel = 3, Padding = 1, Activation = Activation.Sigmoid)]
                public static partial void Conv(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> weights,
                    global::System.ReadOnlySpan<float> bias, global::System.Span<float> output);

                [Conv2D(InChannels = 4, Height = 12, Width = 12, OutChannels = 4, Kernel = 3, Stride = 2, Groups = 4)]
                public static partial void Depthwise(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> weights,
                    global::System.Span<float> output, int batch);

                [MaxPool2D(Channels = 2, Height = 9, Width = 9, Kernel = 3, Stride = 2, Padding = 1)]
                public static partial void MaxPool(global::System.ReadOnlySpan<float> input, global::System.Span<float> output);

                [AvgPool2D(Channels = 2, Height = 9, Width = 9, Kernel = 3, Stride = 2, Padding = 1)]
                public static partial void AvgPool(global::System.ReadOnlySpan<float> input, global::System.Span<float> output);

                [GlobalAvgPool2D(Channels = 3, Height = 5, Width = 5)]
                public static partial void Gap(global::System.ReadOnlySpan<float> input, global::System.Span<float> output);

                [Dense(InFeatures = 21, OutFeatures = 6, Activation = Activation.Tanh)]
                public static partial void Fc(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> weights,
                    global::System.ReadOnlySpan<float> bias, global::System.Span<float> output);
            }

            [Network(InputChannels = 1, InputHeight = 12, InputWidth = 12)]
            public sealed partial class Net
            {
                [Conv2D(OutChannels = 4, Kernel = 3, Activation = Activation.Relu)] partial void Conv1();
                [MaxPool2D(Kernel = 2)] partial void Pool1();
                [Dense(OutFeatures = 20, Activation = Activation.Sigmoid)] partial void Fc1();
                [Dense(OutFeatures = 3)] partial void Logits();
            }
        }
        """;

    [Fact]
    public void Kernels_and_networks_compile_cleanly_among_names_that_shadow_the_frameworks()
    {
        Assembly assembly = Harness.CompileAndLoad(Source);

        // And they compute what they should.
        var g = new Conv2DGeometry(3, 9, 11, 5, 3, 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1);
        float[] input = RandomLayers.Data(7, g.InputLength), weights = RandomLayers.Data(8, g.WeightLength), bias = RandomLayers.Data(9, 5);
        var expected = new float[g.OutputLength];
        var actual = new float[g.OutputLength];
        Reference.Conv2D<float>(g, input, weights, bias, expected, activation: Activation.Sigmoid);
        MethodInfo conv = assembly.GetType("Samples.Layers")!.GetMethod("Conv", [typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<float>), typeof(ReadOnlySpan<float>), typeof(Span<float>)])!;
        var run = conv.CreateDelegate<WeightedKernel>();
        run(input, weights, bias, actual);
        TensorComparison comparison = TensorComparison.Of(expected, actual, [g.OutputLength], 27 * Math.Pow(2, -23), 27 * Math.Pow(2, -23));
        Assert.True(comparison.Matches, comparison.Message);
    }

    [Fact]
    public void Generated_files_declare_only_prefixed_aliases_of_global_names()
    {
        (var result, _) = Harness.Run(Source);
        foreach (var file in result.Results.Single().GeneratedSources)
        {
            string[] usings = [.. file.SourceText.Lines.Select(l => l.ToString()).Where(l => l.StartsWith("using ", StringComparison.Ordinal))];
            Assert.NotEmpty(usings);
            Assert.All(usings, u => Assert.Matches(@"^using Kg[A-Za-z0-9]+ = global::[A-Za-z0-9_.<>]+;$", u));
        }
    }

    private delegate void WeightedKernel(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);
}
