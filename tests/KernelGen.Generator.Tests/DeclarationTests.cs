using Microsoft.CodeAnalysis;

namespace KernelGen.Generator.Tests;

/// <summary>The declaration forms the contract accepts compile and run: any accessibility, nesting, names that are keywords, overloads.</summary>
public class DeclarationTests
{
    [Fact]
    public void Overloads_and_names_differing_in_case_get_distinct_files_and_all_compile()
    {
        const string source = """
            using System;
            using KernelGen;

            namespace Samples;

            public static partial class Layers
            {
                [MaxPool2D(Channels = 2, Height = 4, Width = 4, Kernel = 2)]
                public static partial void Pool(ReadOnlySpan<float> input, Span<float> output);

                [MaxPool2D(Channels = 2, Height = 4, Width = 4, Kernel = 2)]
                public static partial void Pool(ReadOnlySpan<float> input, Span<float> output, int batch);

                [AvgPool2D(Channels = 2, Height = 4, Width = 4, Kernel = 2)]
                public static partial void pool(ReadOnlySpan<float> input, Span<float> output);

                public static float[] Run()
                {
                    float[] input = new float[64], a = new float[16], b = new float[8], c = new float[8];
                    for (int i = 0; i < 64; i++) input[i] = i;
                    Pool(input, a, 2);
                    Pool(input.AsSpan(0, 32), b);
                    pool(input.AsSpan(0, 32), c);
                    return [.. a, .. b, .. c];
                }
            }
            """;
        (GeneratorDriverRunResult result, _) = Harness.Run(source);
        Assert.Equal(["Samples.Layers.Pool.1.g.cs", "Samples.Layers.Pool.2.g.cs", "Samples.Layers.pool.3.g.cs"],
            result.Results.Single().GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));

        var values = (float[])Harness.CompileAndLoad(source).GetType("Samples.Layers")!.GetMethod("Run")!.Invoke(null, null)!;
        Assert.Equal([5f, 7, 13, 15, 21, 23, 29, 31, 37, 39, 45, 47, 53, 55, 61, 63], values[..16]);
        Assert.Equal(values[..8], values[16..24]);
        Assert.Equal([2.5f, 4.5f, 10.5f, 12.5f, 18.5f, 20.5f, 26.5f, 28.5f], values[24..]);
    }

    [Fact]
    public void Keywords_as_names_nested_types_records_and_any_accessibility_compile()
    {
        const string source = """
            using System;
            using KernelGen;

            namespace @class.Layers;

            internal partial record struct Outer
            {
                private partial class @event
                {
                    [Dense(InFeatures = 3, OutFeatures = 2)]
                    internal static partial void @fixed(ReadOnlySpan<float> @in, ReadOnlySpan<float> @params, Span<float> @out);

                    public static float[] Run()
                    {
                        var y = new float[2];
                        @fixed([1, 2, 3], [1, 0, 0, 0, 1, 1], y);
                        return y;
                    }
                }

                public static float[] Run() => @event.Run();
            }
            """;
        var y = (float[])Harness.CompileAndLoad(source).GetType("class.Layers.Outer")!.GetMethod("Run")!.Invoke(null, null)!;
        Assert.Equal([1f, 5f], y);
    }
}
