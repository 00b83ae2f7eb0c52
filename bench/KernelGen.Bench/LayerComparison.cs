using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KernelGen.Bench.Peers;

namespace KernelGen.Bench;

/// <summary>
/// A whole network layer by layer against ONNX Runtime, in one process: the generated network with a
/// <see cref="LayerProfile"/>, ONNX Runtime with its own profiling (each node's <c>kernel_time</c>), their passes
/// alternated in rounds so that both see the same machine, with a pause between rounds so that neither engine's
/// idle threads still spin while the other runs (ONNX Runtime's intra-op threads spin after a run; on two cores that
/// took the generated ResNet-18 stem from 1.4 to 2.4 ms). Each list is in the order its engine runs it (ONNX Runtime
/// runs each ResNet block's downsampling convolution first; it fuses a sum into the convolution before it as a generated
/// network does, and keeps activations in NCHWc blocks, so its nodes are not ours one for one).
/// </summary>
public static class LayerComparison
{
    public static string Run(NetworkCase c, int rounds, int perRound = 10, int warmup = 50)
    {
        var profile = new LayerProfile();
        using var generated = new GeneratedRunner(c, profile);
        using var onnx = new OnnxRuntimeRunner(c, Path.Combine(Path.GetTempPath(), $"kernelgen-ort-profile-{c.Network}-b{c.Batch}-t{c.Threads}"));
        generated.Input.CopyTo(onnx.Input, 0);

        for (int i = 0; i < warmup; i++)
        {
            generated.Run();
            onnx.Run();
        }

        profile.Reset();
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            // A pause before each round, so that neither engine's threads still spin, waiting for more work, while the other runs.
            Thread.Sleep(20);
            Time(generated.Run, perRound, ours);
            Thread.Sleep(20);
            Time(onnx.Run, perRound, theirs);
        }

        List<(string Node, double Milliseconds)> nodes = Nodes(onnx.EndProfiling(), skip: warmup);
        return Table(c, profile, nodes, ours.Average(), theirs.Average(), rounds, perRound);
    }

    private static void Time(Action run, int times, List<double> milliseconds)
    {
        for (int i = 0; i < times; i++)
        {
            long start = Stopwatch.GetTimestamp();
            run();
            milliseconds.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    /// <summary>Each node's mean kernel time, in the order it first ran, after its first <paramref name="skip"/> runs (the warm-up).</summary>
    private static List<(string Node, double Milliseconds)> Nodes(string profileFile, int skip)
    {
        using JsonDocument trace = JsonDocument.Parse(File.ReadAllText(profileFile));
        var order = new List<string>();
        var times = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (JsonElement e in trace.RootElement.EnumerateArray())
        {
            string name = e.GetProperty("name").GetString() ?? "";
            if (e.GetProperty("cat").GetString() != "Node" || !name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                continue;
            }

            string node = name[..^"_kernel_time".Length].Replace("_Output_0_nchwc", "", StringComparison.Ordinal);
            if (!times.TryGetValue(node, out List<double>? list))
            {
                times[node] = list = [];
                order.Add(node);
            }

            list.Add(e.GetProperty("dur").GetDouble() / 1000);
        }

        File.Delete(profileFile);
        return [.. order.Select(n => (n, times[n].Skip(skip).DefaultIfEmpty(0).Average()))];
    }

    private static string Table(NetworkCase c, LayerProfile profile, List<(string Node, double Milliseconds)> nodes, double ours, double theirs, int rounds, int perRound)
    {
        var text = new StringBuilder();
        CultureInfo ci = CultureInfo.InvariantCulture;
        string network = c.Network == NetworkCase.ResNet18 ? "ResNet-18" : "MNIST CNN";
        text.Append(ci, $"{network}, batch {c.Batch}, {c.Threads} thread(s), {rounds * perRound} passes each alternated in rounds of {perRound}: ")
            .Append(ci, $"generated {ours:F3} ms, ONNX Runtime {theirs:F3} ms a pass (×{theirs / ours:F2}).").AppendLine().AppendLine();
        text.AppendLine("| # | generated call | ms | ONNX Runtime node | ms |");
        text.AppendLine("|--:|---|--:|---|--:|");
        IReadOnlyList<LayerTime> layers = profile.Layers;
        for (int i = 0; i < Math.Max(layers.Count, nodes.Count); i++)
        {
            string left = i < layers.Count ? string.Create(ci, $"{layers[i].Layer} | {layers[i].Mean.TotalMilliseconds:F3}") : " | ";
            string right = i < nodes.Count ? string.Create(ci, $"{nodes[i].Node} | {nodes[i].Milliseconds:F3}") : " | ";
            text.Append(ci, $"| {i + 1} | {left} | {right} |").AppendLine();
        }

        text.Append(ci, $"| | **sum of the calls** | **{profile.Total.TotalMilliseconds / Math.Max(1, profile.Runs):F3}** | **sum of the nodes** | **{nodes.Sum(n => n.Milliseconds):F3}** |").AppendLine();
        return text.ToString();
    }
}
