using System.Reflection;
using Xunit.Abstractions;

namespace KernelGen.Generator.Tests;

/// <summary>
/// Every generated method stays far below the JIT's limits for optimised code (60,000 bytes of IL,
/// 512 locals): for the largest benchmark shapes and for kernels far larger than any real layer, which
/// the generator must loop over instead of unrolling.
/// </summary>
public class MethodSizeTests(ITestOutputHelper output)
{
    private const int JitIlLimit = 60_000;
    private const int JitLocalsLimit = 512;

    private static readonly string[] Layers =
    [
        "[Conv2D(InChannels = 3, Height = 224, Width = 224, OutChannels = 64, Kernel = 7, Stride = 2, Padding = 3)]",
        "[Conv2D(InChannels = 64, Height = 56, Width = 56, OutChannels = 64, Kernel = 3, Padding = 1)]",
        "[Conv2D(InChannels = 64, Height = 56, Width = 56, OutChannels = 128, Kernel = 3, Stride = 2, Padding = 1)]",
        "[Conv2D(InChannels = 256, Height = 14, Width = 14, OutChannels = 256, Kernel = 3, Padding = 1)]",
        "[Conv2D(InChannels = 6, Height = 14, Width = 14, OutChannels = 16, Kernel = 5)]",
        "[Conv2D(InChannels = 8, Height = 64, Width = 128, OutChannels = 64, Kernel = 11, Padding = 5, Activation = Activation.Sigmoid)]",
        "[Conv2D(InChannels = 4, Height = 40, Width = 200, OutChannels = 32, KernelHeight = 3, KernelWidth = 61, Dilation = 2, Padding = 30)]",
        "[Conv2D(InChannels = 4, Height = 40, Width = 40, OutChannels = 32, Kernel = 31, SamePadding = true, FlipKernel = true)]",
        "[Conv2D(InChannels = 2048, Height = 7, Width = 7, OutChannels = 2048, Kernel = 3, Padding = 1, Activation = Activation.Relu)]",
        "[MaxPool2D(Channels = 64, Height = 112, Width = 112, Kernel = 3, Stride = 2, Padding = 1)]",
        "[AvgPool2D(Channels = 8, Height = 64, Width = 200, Kernel = 31, Stride = 1, Padding = 15)]",
    ];

    [Fact]
    public void Generated_methods_stay_far_below_the_jit_limits()
    {
        string Signature(string attribute) => attribute.Contains("Pool", StringComparison.Ordinal)
            ? "ReadOnlySpan<float> input, Span<float> output"
            : "ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output";
        string source = "using System;\nusing KernelGen;\n\nnamespace Big;\n\npublic static partial class Layers\n{\n"
            + string.Concat(Layers.Select((a, i) => $"    {a}\n    public static partial void L{i}({Signature(a)});\n"))
            + "}\n";

        Assembly assembly = Harness.CompileAndLoad(source);
        var sizes = assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(m => !m.IsAbstract)
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Body: m.GetMethodBody()!))
            .Select(m => (m.Method, Il: m.Body.GetILAsByteArray()!.Length, Locals: m.Body.LocalVariables.Count))
            .OrderByDescending(m => m.Il)
            .ToList();

        var largest = sizes[0];
        output.WriteLine($"{sizes.Count} methods; largest: {largest.Method}, {largest.Il} bytes of IL, {largest.Locals} locals");
        Assert.True(sizes.Count > 100, "expected the kernels' methods");
        Assert.All(sizes, m => Assert.True(m.Il < JitIlLimit / 2, $"{m.Method}: {m.Il} bytes of IL"));
        Assert.All(sizes, m => Assert.True(m.Locals < JitLocalsLimit / 4, $"{m.Method}: {m.Locals} locals"));
    }
}
