using System.Globalization;
using System.Text;
using ScottPlot;

namespace KernelGen.Bench.Report;

/// <summary>
/// Writes <c>benchmarks.md</c> and its two charts from a <see cref="BenchRun"/>: a summary row per layer for the
/// generated kernel, every implementation's row, and the hand-written notes of <c>ReportNotes.md</c>.
/// </summary>
public static class ReportWriter
{
    private static readonly string[] s_peers = ["OnnxRuntime", "TorchSharp"];
    private static readonly string[] s_charted = ["Generated", "Generic", .. s_peers];
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static void Write(BenchRun run, string directory, string notes)
    {
        Directory.CreateDirectory(directory);
        SuiteLayer[] compute = [.. Layers(run).Where(l => !l.MemoryBound)];
        SuiteLayer[] memory = [.. Layers(run).Where(l => l.MemoryBound)];
        Chart(run, compute, "GFLOP/s", Path.Combine(directory, "benchmarks-gflops.png"));
        Chart(run, memory, "GB/s", Path.Combine(directory, "benchmarks-pools.png"));
        File.WriteAllText(Path.Combine(directory, "benchmarks.md"), Markdown(run, compute, memory, notes, BuildCost.Load(Path.Combine(directory, "build-cost.json")), directory));
    }

    private static IEnumerable<SuiteLayer> Layers(BenchRun run) =>
        Suite.All.Where(layer => run.Measurements.Any(m => m.Shape == layer.Id));

    /// <summary>The whole-network rows (<see cref="NetworkBenchmarks"/>): each implementation's time, the ratio to ours and its peak memory.</summary>
    private static void WholeNetworks(StringBuilder md, BenchRun run, PeakMemory? memory)
    {
        string[] networks = [.. run.Measurements.Select(m => m.Shape).Where(s => s.StartsWith(NetworkCase.ResNet18 + "_", StringComparison.Ordinal) || s.StartsWith(NetworkCase.MnistCnn + "_", StringComparison.Ordinal)).Distinct()];
        if (networks.Length == 0)
        {
            return;
        }

        md.AppendLine("## Whole networks").AppendLine();
        md.AppendLine("ML.NET's pretrained ResNet-18 (`Microsoft.ML.DnnImageFeaturizer.ResNet18`, 1.8 G multiply-adds per image) imported by `kernelgen` "
            + "(samples/ResNet18/ResNet18.cs), and the MNIST CNN of samples/Mnist (conv 3×3 → 32 + ReLU, max pool 2, dense 5408 → 128 + ReLU, dense → 10); `_b8`: eight images a call; "
            + "one thread (`_t2`: two threads for the batch — ours `Parallelism = new(2)`, ONNX Runtime two intra-op threads, TorchSharp `set_num_threads(2)`). "
            + "ONNX Runtime runs the same ONNX file (for the MNIST CNN, the same graph with the same parameters), TorchSharp torchvision's resnet18 in eval mode (and the MNIST CNN with the same parameters).").AppendLine();
        md.AppendLine("| network | implementation | time | per image | × ours | × its one-thread time | allocated | peak memory |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (string network in networks)
        {
            NetworkCase c = NetworkCase.Parse(network);
            Measurement? ours = run.Measurements.SingleOrDefault(m => m.Shape == network && m.Implementation == NetworkRunner.Generated);
            foreach (Measurement m in run.Measurements.Where(m => m.Shape == network))
            {
                string ratio = ours is null ? "" : (m.MedianNs / ours.MedianNs).ToString("F2", s_invariant);
                Measurement? oneThread = c.Threads == 1 ? null : run.Measurements.SingleOrDefault(o => o.Shape == c.OneThread && o.Implementation == m.Implementation);
                string speedUp = oneThread is null ? "" : (oneThread.MedianNs / m.MedianNs).ToString("F2", s_invariant);
                string peak = c.Threads == 1 ? memory?.Describe(network, m.Implementation) ?? "" : "";
                md.AppendLine(s_invariant, $"| {network} | {Display(m.Implementation)} | {Time(m.MedianNs)} | {Time(m.MedianNs / c.Batch)} | {ratio} | {speedUp} | {Bytes(m.AllocatedBytes)} | {peak} |");
            }
        }

        md.AppendLine().AppendLine("× ours is the implementation's time divided by the generated network's: above 1, ours is faster. "
            + "× its one-thread time is the same implementation's one-thread time divided by its two-thread time.").AppendLine();
        memory?.Explain(md);
    }

    private static Measurement? Find(BenchRun run, SuiteLayer layer, string implementation) =>
        run.Measurements.SingleOrDefault(m => m.Shape == layer.Id && m.Implementation == implementation);

    /// <summary>GFLOP/s for compute layers, GB/s for memory-bound ones (both are per nanosecond quotients).</summary>
    private static double Rate(SuiteLayer layer, Measurement m) => (layer.MemoryBound ? layer.Bytes : layer.Flops) / m.MedianNs;

    private static string Markdown(BenchRun run, SuiteLayer[] compute, SuiteLayer[] memory, string notes, BuildCost? buildCost, string directory)
    {
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks").AppendLine();
        md.AppendLine("<!-- Written by the bench's report step; edit the notes under the tables in bench/KernelGen.Bench/Report/ instead. -->").AppendLine();
        md.AppendLine(s_invariant, $"One run of `{run.Command}` on {run.Date:yyyy-MM-dd}:").AppendLine();
        md.AppendLine(s_invariant, $"- processor: {run.Processor}, {run.Cores} cores ({run.Simd}); one core used, except by the `_t2` rows of the whole networks");
        md.AppendLine(s_invariant, $"- {run.Os}; {run.Runtime}");
        md.AppendLine(s_invariant, $"- measured FMA peak of one core in the same run: **{run.PeakGflops:F1} GFLOP/s** ({run.PeakProbe})");
        md.AppendLine("- peers: ONNX Runtime 1.31.1 (one intra-op thread, pre-allocated `OrtValue` input and output, all graph optimisations) and TorchSharp-cpu 0.107.0 / libtorch 2.10 (`set_num_threads(1)`, no autograd); batch 1 unless the id ends in `_b64`");
        md.AppendLine("- times are BenchmarkDotNet medians; GFLOP/s counts a multiply-add as 2; pools are in GB/s of input read plus output written; every implementation's output was checked against `KernelGen.Reference` before timing").AppendLine();

        md.AppendLine("## The generated kernels").AppendLine();
        md.AppendLine("| shape | layer | time | GFLOP/s | % of peak | × generic | × faster peer | faster peer | allocated |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|---|--:|");
        foreach (SuiteLayer layer in compute)
        {
            SummaryRow(md, run, layer);
        }

        md.AppendLine().AppendLine("| shape | layer | time | GB/s | | × generic | × faster peer | faster peer | allocated |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|---|--:|");
        foreach (SuiteLayer layer in memory)
        {
            SummaryRow(md, run, layer);
        }

        md.AppendLine().AppendLine("× generic and × faster peer are the other implementation's time divided by the generated kernel's: above 1, the generated kernel is faster.").AppendLine();
        md.AppendLine("![GFLOP/s per shape and implementation](benchmarks-gflops.png)").AppendLine();
        md.AppendLine("![GB/s per pooling shape and implementation](benchmarks-pools.png)").AppendLine();

        WholeNetworks(md, run, PeakMemory.Load(Path.Combine(directory, "peak-memory.json")));
        buildCost?.Write(md);
        md.AppendLine("## Every implementation").AppendLine();
        md.AppendLine("| shape | implementation | time | ± std dev | GFLOP/s or GB/s | % of peak | allocated |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|");
        foreach (SuiteLayer layer in compute.Concat(memory))
        {
            foreach (Measurement m in run.Measurements.Where(m => m.Shape == layer.Id))
            {
                double rate = Rate(layer, m);
                md.AppendLine(s_invariant,
                    $"| {layer.Id} | {m.Implementation} | {Time(m.MedianNs)} | {Time(m.StdDevNs)} | {rate:F2}{(layer.MemoryBound ? " GB/s" : "")} | {(layer.MemoryBound ? "" : $"{100 * rate / run.PeakGflops:F1}%")} | {Bytes(m.AllocatedBytes)} |");
            }
        }

        md.AppendLine().Append(notes.Trim()).AppendLine();
        return md.ToString();
    }

    private static void SummaryRow(StringBuilder md, BenchRun run, SuiteLayer layer)
    {
        Measurement generated = Find(run, layer, "Generated") ?? throw new InvalidOperationException($"{layer.Id}: no generated kernel timing.");
        Measurement? generic = Find(run, layer, "Generic");
        Measurement? peer = s_peers.Select(p => Find(run, layer, p)).Where(m => m is not null).MinBy(m => m!.MedianNs);
        double rate = Rate(layer, generated);
        string name = layer is ConvLayer { Geometry: var g, Activation: var activation }
            ? $"{g.InChannels}×{g.Height}×{g.Width} → {g.OutChannels}, {g.KernelHeight}×{g.KernelWidth}{(g.StrideHeight > 1 ? $" s{g.StrideHeight}" : "")}{(g.Groups > 1 ? $" g{g.Groups}" : "")}{(activation != Activation.None ? $" + {activation}" : "")}"
            : layer.Kind;
        md.AppendLine(s_invariant,
            $"| {layer.Id} | {name} | {Time(generated.MedianNs)} | {rate:F2} | {(layer.MemoryBound ? "" : $"{100 * rate / run.PeakGflops:F1}%")} | {Ratio(generic, generated)} | {Ratio(peer, generated)} | {Display(peer?.Implementation)} | {Bytes(generated.AllocatedBytes)} |");
    }

    private static string Ratio(Measurement? other, Measurement generated) =>
        other is null ? "–" : (other.MedianNs / generated.MedianNs).ToString("F2", s_invariant);

    private static string Display(string? implementation) => implementation switch
    {
        null => "–",
        "OnnxRuntime" => "ONNX Runtime",
        _ => implementation,
    };

    private static string Time(double ns) => ns switch
    {
        < 1e3 => ns.ToString("F1", s_invariant) + " ns",
        < 1e6 => (ns / 1e3).ToString("F2", s_invariant) + " µs",
        _ => (ns / 1e6).ToString("F2", s_invariant) + " ms",
    };

    private static string Bytes(long? bytes) => bytes is null ? "?" : $"{bytes} B";

    private static void Chart(BenchRun run, SuiteLayer[] layers, string unit, string path)
    {
        var plot = new Plot();
        Color[] colors = [Colors.SteelBlue, Colors.LightSteelBlue, Colors.DarkOrange, Colors.IndianRed];
        var bars = new List<Bar>();
        var ticks = new List<Tick>();
        for (int i = 0; i < layers.Length; i++)
        {
            double center = i * (s_charted.Length + 1);
            ticks.Add(new Tick(center, layers[i].Id));
            for (int j = 0; j < s_charted.Length; j++)
            {
                if (Find(run, layers[i], s_charted[j]) is { } m)
                {
                    bars.Add(new Bar { Position = center + j - ((s_charted.Length - 1) / 2.0), Value = Rate(layers[i], m), FillColor = colors[j], LineWidth = 0 });
                }
            }
        }

        plot.Add.Bars(bars);
        for (int j = 0; j < s_charted.Length; j++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = Display(s_charted[j]), FillColor = colors[j] });
        }

        if (unit == "GFLOP/s")
        {
            var peak = plot.Add.HorizontalLine(run.PeakGflops, 1.5f, Colors.Black, LinePattern.Dashed);
            peak.LegendText = $"FMA peak, one core ({run.PeakGflops.ToString("F0", s_invariant)} GFLOP/s)";
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 35;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Margins(bottom: 0);
        plot.YLabel(unit);
        plot.Title($"{unit} per shape, one core, batch 1 unless _b64 ({run.Date:yyyy-MM-dd})");
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();
        plot.Layout.Fixed(new PixelPadding(70, 30, 130, 40));
        plot.SavePng(path, 1400, 650);
    }
}
