using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KernelGen.Bench.Report;

/// <summary>
/// The build-time row: a project of <see cref="Layers"/> convolutions of mixed shapes (3–64 channels, 7–56 pixels, 1×1
/// to 5×5 kernels, strides 1 and 2, drawn from a fixed seed) is written to a folder and built against this repository's
/// runtime and generator; the row reports the C# the generator wrote, its execution time (<c>-p:ReportAnalyzer=true</c>)
/// and the seconds <c>dotnet build</c> took to rebuild the project alone (its references already built), with the
/// compiler server cold and warm.
/// </summary>
public sealed record BuildCost(int Layers, long GeneratedBytes, double GeneratorSeconds, double ColdBuildSeconds, double WarmBuildSeconds, DateTime Date)
{
    public const int DefaultLayers = 100;

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public double BytesPerLayer => (double)GeneratedBytes / Layers;

    /// <summary>The project's layers: <c>[Conv2D]</c> declarations drawn from <c>new Random(seed)</c>.</summary>
    public static string Source(int layers, int seed = 1)
    {
        var random = new Random(seed);
        int[] channels = [3, 8, 16, 24, 32, 48, 64], sizes = [7, 14, 28, 56], kernels = [1, 3, 5];
        var source = new StringBuilder("using System;\nusing KernelGen;\n\nnamespace BuildCost;\n\npublic static partial class Layers\n{\n");
        for (int i = 0; i < layers; i++)
        {
            int c = channels[random.Next(channels.Length)], oc = channels[random.Next(channels.Length)], size = sizes[random.Next(sizes.Length)];
            int k = kernels[random.Next(kernels.Length)], stride = random.Next(4) == 0 ? 2 : 1;
            source.AppendLine(CultureInfo.InvariantCulture, $"    [Conv2D(InChannels = {c}, Height = {size}, Width = {size}, OutChannels = {oc}, Kernel = {k}, Stride = {stride}, Padding = {k / 2}, Activation = Activation.Relu)]");
            source.AppendLine(CultureInfo.InvariantCulture, $"    public static partial void Conv{i}(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output, int batch);");
        }

        return source.AppendLine("}").ToString();
    }

    /// <summary>Writes the project under <paramref name="folder"/>, builds it once (restore and references), then measures.</summary>
    public static BuildCost Measure(string repository, string folder, int layers = DefaultLayers)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Layers.cs"), Source(layers));
        File.WriteAllText(Path.Combine(folder, "BuildCost.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <EmitCompilerGeneratedFiles>true</EmitCompilerGeneratedFiles>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(repository, "runtime", "KernelGen", "KernelGen.csproj")}" />
                <ProjectReference Include="{Path.Combine(repository, "generator", "KernelGen.Generator", "KernelGen.Generator.csproj")}" OutputItemType="Analyzer" ReferenceOutputAssembly="false" />
              </ItemGroup>
            </Project>
            """);

        Dotnet(folder, "build -c Release");
        Dotnet(folder, "build-server shutdown");
        (double cold, _) = Dotnet(folder, "build -c Release --no-restore --no-dependencies -t:Rebuild");
        (double warm, _) = Dotnet(folder, "build -c Release --no-restore --no-dependencies -t:Rebuild");
        (_, string log) = Dotnet(folder, "build -c Release --no-restore --no-dependencies -t:Rebuild -p:ReportAnalyzer=true -v:d");

        // "Time (s)  %  Generator" rows: the generator's own line after "Total generator execution time".
        Match time = Regex.Match(log[log.IndexOf("Total generator execution time", StringComparison.Ordinal)..], @"^\s*([0-9.<]+)\s+\S+\s+KernelGen\.Generator\.KernelGenerator\s*$", RegexOptions.Multiline);
        double generator = time.Success ? double.Parse(time.Groups[1].Value.TrimStart('<'), CultureInfo.InvariantCulture) : double.NaN;
        string generated = Path.Combine(folder, "obj", "Release", "net10.0", "generated");
        long bytes = Directory.EnumerateFiles(generated, "*.g.cs", SearchOption.AllDirectories).Where(f => f.Contains("KernelGen.Generator", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
        return new BuildCost(layers, bytes, generator, cold, warm, DateTime.UtcNow);
    }

    private static (double Seconds, string Output) Dotnet(string folder, string arguments)
    {
        var clock = Stopwatch.StartNew();
        (int exitCode, string output, string error) = ChildProcess.Run(new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = folder });
        double seconds = clock.Elapsed.TotalSeconds;
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {arguments} failed in {folder}:\n{output}\n{error}");
        }

        return (seconds, output);
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, s_json));

    public static BuildCost? Load(string path) => File.Exists(path) ? JsonSerializer.Deserialize<BuildCost>(File.ReadAllText(path)) : null;

    /// <summary>The report's section.</summary>
    public void Write(StringBuilder md)
    {
        md.AppendLine("## Build cost").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"A project of {Layers} convolutions of mixed shapes (3–64 channels, 7–56 pixels, 1×1 to 5×5, strides 1 and 2; `BuildCost.Source`), rebuilt alone with `dotnet build -c Release` (measured {Date:yyyy-MM-dd} by `--build-cost`):").AppendLine();
        md.AppendLine("| layers | generated C# | per layer | generator time | build, cold compiler server | build, warm |");
        md.AppendLine("|--:|--:|--:|--:|--:|--:|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| {Layers} | {GeneratedBytes / 1e6:F1} MB | {BytesPerLayer / 1e3:F0} KB | {GeneratorSeconds:F2} s | {ColdBuildSeconds:F1} s | {WarmBuildSeconds:F1} s |");
        md.AppendLine().AppendLine("Generator time is the compiler's own figure (`-p:ReportAnalyzer=true`); the rest of a build is mostly the compiler compiling what the generator wrote.").AppendLine();
    }
}
