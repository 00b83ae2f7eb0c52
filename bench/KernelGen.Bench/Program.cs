using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using KernelGen.Bench;
using KernelGen.Bench.Report;

// dotnet run -c Release --project bench/KernelGen.Bench -- --filter '*' --report docs    the whole suite, then docs/benchmarks.md
// dotnet run -c Release --project bench/KernelGen.Bench -- --report-from docs/benchmarks.json --report docs   the report again
// KERNELGEN_BENCH_SHAPES=mnist_conv1 dotnet run ... -- --filter '*Conv*' --job Dry       one shape, one iteration
List<string> rest = [.. args];
string? reportDirectory = Take(rest, "--report"), reportFrom = Take(rest, "--report-from");
string notes = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "ReportNotes.md"));

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
