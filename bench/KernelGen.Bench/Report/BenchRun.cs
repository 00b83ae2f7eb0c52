using System.Runtime.Intrinsics;
using System.Text.Json;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Reports;

namespace KernelGen.Bench.Report;

/// <summary>One timed case: a layer (or the peak probe) and an implementation.</summary>
public sealed record Measurement(string Shape, string Implementation, double MedianNs, double MeanNs, double StdDevNs, long? AllocatedBytes);

/// <summary>
/// The results of one bench run, with the machine they came from. Saved as JSON beside the report so that the
/// report and its charts can be written again without running the suite again.
/// </summary>
public sealed record BenchRun(
    DateTimeOffset Date, string Processor, int Cores, string Os, string Runtime, string Simd, string Command,
    double PeakGflops, IReadOnlyList<Measurement> Measurements)
{
    /// <summary>How the peak was measured (runs saved before the probe took the widest vector measured Vector256 chains).</summary>
    public string PeakProbe { get; init; } = "12 independent Vector256 FMA chains";

    public const string PeakShape = "peak";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Collects the measurements of a BenchmarkDotNet run.</summary>
    public static BenchRun From(IReadOnlyList<Summary> summaries, string command)
    {
        var measurements = new List<Measurement>();
        foreach (Summary summary in summaries)
        {
            foreach (BenchmarkReport report in summary.Reports)
            {
                if (report.ResultStatistics is not { } statistics)
                {
                    throw new InvalidOperationException($"{report.BenchmarkCase.DisplayInfo} has no result; see the log above.");
                }

                string shape = report.BenchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Shape")?.Value as string ?? PeakShape;
                measurements.Add(new Measurement(
                    shape, report.BenchmarkCase.Descriptor.WorkloadMethod.Name, statistics.Median, statistics.Mean, statistics.StandardDeviation,
                    report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase)));
            }
        }

        Measurement peak = measurements.SingleOrDefault(m => m.Shape == PeakShape)
            ?? throw new InvalidOperationException("The report needs the peak probe: run PeakBenchmarks in the same run (--filter '*').");
        HostEnvironmentInfo host = summaries[0].HostEnvironmentInfo;
        return new BenchRun(
            DateTimeOffset.Now,
            host.Cpu.Value.ProcessorName ?? "unknown processor",
            Environment.ProcessorCount,
            host.Os.Value.ToString() ?? "unknown OS",
            host.RuntimeVersion,
            $"Vector512 {(Vector512.IsHardwareAccelerated ? "accelerated" : "not accelerated")}, Vector256 {(Vector256.IsHardwareAccelerated ? "accelerated" : "not accelerated")}",
            command,
            PeakBenchmarks.FlopsPerIteration / peak.MedianNs,
            measurements) { PeakProbe = PeakBenchmarks.Describe };
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, s_json));

    public static BenchRun Load(string path) =>
        JsonSerializer.Deserialize<BenchRun>(File.ReadAllText(path), s_json) ?? throw new InvalidDataException($"{path} holds no bench run.");
}
