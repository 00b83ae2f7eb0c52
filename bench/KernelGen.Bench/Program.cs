using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using KernelGen.Bench;
using KernelGen.Bench.Report;

// dotnet run -c Release --project bench/KernelGen.Bench -- --filter '*' --report docs    the whole suite, then docs/benchmarks.md
// dotnet run -c Release --project bench/KernelGen.Bench -- --report-from docs/benchmarks.json --report docs   the report again
// KERNELGEN_BENCH_SHAPES=mnist_conv1 dotnet run ... -- --filter '*Conv*' --job Dry       one shape, one iteration
// dotnet run -c Release --project bench/KernelGen.Bench -- --build-cost /tmp/build-cost --report docs   the build-time row, then the report
// dotnet run -c Release --project bench/KernelGen.Bench -- --peak-memory --report docs   the whole networks' peak memory, then the report
// ... --report docs/vector256 --notes bench/KernelGen.Bench/Report/ReportNotes.Vector256.md   a report with other notes under its tables
// dotnet run -c Release --project bench/KernelGen.Bench -- --layers 1 [--layers-out FILE]   ResNet-18 layer by layer against ONNX Runtime's profile, on 1 (or 2) threads
// ... --layers mnist_cnn_b8 (or any network case: resnet18_b1_t2, ...)                        that network and batch layer by layer
if (PeakMemory.RunChild(args))
{
    return 0;
}

List<string> rest = [.. args];
if (Take(rest, "--layers") is { } layerThreads)
{
    // A bare thread count is ResNet-18 at batch 1, as before network cases could be named.
    NetworkCase layerCase = int.TryParse(layerThreads, System.Globalization.CultureInfo.InvariantCulture, out int threads)
        ? new NetworkCase(NetworkCase.ResNet18, 1, threads)
        : NetworkCase.Parse(layerThreads);
    // ResNet-18 in rounds of 10 passes (about half a second); a small network in rounds of 2000 images (75 ms for the MNIST CNN).
    string table = layerCase.Network == NetworkCase.ResNet18
        ? LayerComparison.Run(layerCase, rounds: 30)
        : LayerComparison.Run(layerCase, rounds: 30, perRound: 2000 / layerCase.Batch);
    Console.WriteLine(table);
    if (Take(rest, "--layers-out") is { } layersFile)
    {
        File.WriteAllText(layersFile, table);
    }

    return 0;
}

bool peakMemory = rest.Remove("--peak-memory");
string? reportDirectory = Take(rest, "--report"), reportFrom = Take(rest, "--report-from"), buildCostFolder = Take(rest, "--build-cost");
string notes = File.ReadAllText(Take(rest, "--notes") ?? Path.Combine(AppContext.BaseDirectory, "ReportNotes.md"));

if (buildCostFolder is not null)
{
    string repository = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
    BuildCost cost = BuildCost.Measure(repository, Path.GetFullPath(buildCostFolder));
    Console.WriteLine($"{cost.Layers} layers: {cost.GeneratedBytes / 1e6:F1} MB generated ({cost.BytesPerLayer / 1e3:F0} KB per layer), generator {cost.GeneratorSeconds:F2} s, build {cost.ColdBuildSeconds:F1} s cold, {cost.WarmBuildSeconds:F1} s warm");
    if (reportDirectory is null)
    {
        return 0;
    }

    cost.Save(Path.Combine(reportDirectory, "build-cost.json"));
    reportFrom ??= Path.Combine(reportDirectory, "benchmarks.json");
}

if (peakMemory)
{
    PeakMemory memory = PeakMemory.Measure();
    if (reportDirectory is null)
    {
        return 0;
    }

    memory.Save(Path.Combine(reportDirectory, "peak-memory.json"));
    reportFrom ??= Path.Combine(reportDirectory, "benchmarks.json");
}

if (reportFrom is not null)
{
    ReportWriter.Write(BenchRun.Load(reportFrom), reportDirectory ?? Path.GetDirectoryName(Path.GetFullPath(reportFrom))!, notes);
    return 0;
}

bool namesJob = rest.Any(a => a is "--job" or "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
IReadOnlyList<Summary> summaries = [.. BenchmarkSwitcher.FromAssembly(typeof(Suite).Assembly).Run([.. rest], BenchConfig.Create(defaultJob: !namesJob))];
if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)))
{
    Console.Error.WriteLine("Some benchmarks failed; see the log above.");
    return 1;
}

if (reportDirectory is not null)
{
    BenchRun run = BenchRun.From(summaries, "dotnet run -c Release --project bench/KernelGen.Bench -- " + string.Join(' ', args.Select(a => a.Contains('*', StringComparison.Ordinal) ? $"'{a}'" : a)));
    Directory.CreateDirectory(reportDirectory);
    run.Save(Path.Combine(reportDirectory, "benchmarks.json"));
    ReportWriter.Write(run, reportDirectory, notes);
    Console.WriteLine($"Wrote {Path.Combine(reportDirectory, "benchmarks.md")} and its charts.");
}

return 0;

static string? Take(List<string> args, string option)
{
    int at = args.IndexOf(option);
    if (at < 0)
    {
        return null;
    }

    if (at + 1 >= args.Count)
    {
        throw new ArgumentException($"{option} needs a value.", nameof(args));
    }

    string value = args[at + 1];
    args.RemoveRange(at, 2);
    return value;
}
