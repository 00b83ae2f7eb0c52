using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace KernelGen.Bench;

/// <summary>
/// The bench's configuration, BenchmarkDotNet's default plus: the reference is timed on small layers only, and
/// unless the command line names a job, each case gets 5 warm-up and 15 measured iterations of about 250 ms —
/// enough for a median that repeats within a few per cent on this machine, and the whole suite in about a
/// quarter of an hour.
/// </summary>
public static class BenchConfig
{
    public static IConfig Create(bool defaultJob)
    {
        ManualConfig config = DefaultConfig.Instance.AddFilter(new SimpleFilter(benchmark =>
            benchmark.Descriptor.WorkloadMethod.Name != nameof(LayerBenchmarks.Reference)
            || Suite.Find((string)benchmark.Parameters["Shape"]).Small));
        return defaultJob
            ? config.AddJob(Job.Default.WithWarmupCount(5).WithIterationCount(15).WithIterationTime(TimeInterval.FromMilliseconds(250)).WithId("Suite"))
            : config;
    }
}
