using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using Xunit.Abstractions;

namespace KernelGen.Tests.Shared;

/// <summary>Allocation counts, and the reliability figures a test reports (docs/reliability.md).</summary>
internal static class Measure
{
    /// <summary>
    /// Bytes allocated by the whole process (every thread) during <paramref name="calls"/> calls of <paramref name="action"/>,
    /// after 200 calls of warm-up: the least of three measurements, so that a stray allocation of the runtime's own (the
    /// tiered JIT's) is not counted against the code measured. Only exact in a test that runs alone (a non-parallel collection).
    /// </summary>
    public static long AllocatedByProcess(Action action, int calls = 50) => Least(action, calls, () => GC.GetTotalAllocatedBytes(precise: true));

    /// <summary>As <see cref="AllocatedByProcess"/>, counting only the calling thread (exact whatever runs beside it).</summary>
    public static long AllocatedByThread(Action action, int calls = 50) => Least(action, calls, GC.GetAllocatedBytesForCurrentThread);

    /// <summary>
    /// As <see cref="AllocatedByThread"/>, adding what <paramref name="helpers"/> counts: the bytes other threads allocated
    /// doing the calls' work (a trainer's helper threads, which count their own), and nothing the thread pool allocates
    /// for itself.
    /// </summary>
    public static long AllocatedByThreadAndHelpers(Action action, Func<long> helpers, int calls = 50) =>
        Least(action, calls, () => GC.GetAllocatedBytesForCurrentThread() + helpers());

    /// <summary>
    /// The least of three measurements of <paramref name="calls"/> calls, each less what the same counter shows while the
    /// calling thread only waits for as long as those calls took: the runtime's and the test host's own allocations
    /// meanwhile (168 B in 150 ms on the scalar path, from another thread of the process) are not the code's. A
    /// measurement during which the thread pool started or retired a thread does not count (up to six more are made):
    /// a new pool thread allocates its own objects (168 B seen with a 4-thread trainer on 2 cores), which is the pool's
    /// doing, not the code's.
    /// </summary>
    private static long Least(Action action, int calls, Func<long> counter)
    {
        for (int i = 0; i < 200; i++)
        {
            action();
        }

        long least = long.MaxValue;
        for (int attempt = 0, counted = 0; counted < 3 && attempt < 9 && least > 0; attempt++)
        {
            int poolThreads = ThreadPool.ThreadCount;
            long before = counter();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
            {
                action();
            }

            long allocated = counter() - before;
            TimeSpan took = Stopwatch.GetElapsedTime(start);

            // The same time again, calling nothing.
            long idle = counter();
            long idleStart = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(idleStart) < took)
            {
                Thread.SpinWait(100);
            }

            long measured = Math.Max(0, allocated - (counter() - idle));
            if (ThreadPool.ThreadCount != poolThreads && attempt < 8)
            {
                continue;
            }

            least = Math.Min(least, measured);
            counted++;
        }

        return least;
    }

    /// <summary>Writes a figure to the test's output and, when <c>KERNELGEN_RELIABILITY_LOG</c> names a file, appends it there (CI prints it).</summary>
    public static void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("KERNELGEN_RELIABILITY_LOG") is { Length: > 0 } log)
        {
            lock (typeof(Measure))
            {
                File.AppendAllText(log, line + Environment.NewLine);
            }
        }
    }
}
