using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// <see cref="KernelParts.Run"/>, which the generated overloads that take a <see cref="Parallelism"/> call: every unit of
/// every sample done exactly once, whatever the batch, units and threads; the samples' spans offset correctly; a failing
/// part's exception reaches the caller; many callers at once; held scopes and their helper threads.
/// </summary>
public class KernelPartsTests
{
    /// <summary>A part that adds input + weights[0] + bias[0] into each output element of its units: an element done twice shows.</summary>
    private static KernelPart Adder(int units) => (ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to) =>
    {
        for (int n = 0; n < batch; n++)
        {
            for (int u = from; u < to; u++)
            {
                Unsafe.Add(ref output, (n * units) + u) += Unsafe.Add(ref input, (n * units) + u) + weights + bias;
            }
        }
    };

    private static void AssertEveryUnitOnce(int batch, int units, int threads)
    {
        float[] input = [.. Enumerable.Range(0, batch * units).Select(i => (float)i)];
        var output = new float[batch * units];
        KernelParts.Run(Adder(units), input, units, [100f], [1000f], output, units, batch, units, new Parallelism(threads));
        for (int i = 0; i < output.Length; i++)
        {
            Assert.True(output[i] == i + 1100f, $"batch {batch}, {units} units, {threads} threads: element {i} is {output[i]}, not {i + 1100}");
        }
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 1, 4)]
    [InlineData(1, 7, 2)]
    [InlineData(1, 7, 3)]
    [InlineData(1, 2, 8)]
    [InlineData(3, 5, 2)]
    [InlineData(4, 5, 2)]
    [InlineData(9, 1, 2)]
    [InlineData(13, 64, 3)]
    [InlineData(2, 1000, 7)]
    public void Every_unit_of_every_sample_is_done_exactly_once(int batch, int units, int threads) => AssertEveryUnitOnce(batch, units, threads);

    [Fact]
    public void More_threads_than_the_part_limit_still_do_every_unit_once() => AssertEveryUnitOnce(1, 3000, KernelParts.MaxParts + 5);

    [Fact]
    public void A_part_that_throws_fails_the_call_with_its_exception()
    {
        KernelPart failing = (ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to) =>
        {
            if (from > 0)
            {
                throw new InvalidOperationException("part " + from);
            }
        };
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() =>
            KernelParts.Run(failing, new float[8], 8, default, default, new float[8], 8, 1, 8, new Parallelism(2)));
        Assert.Equal("part 4", e.Message);

        // The thread's next call is not affected.
        AssertEveryUnitOnce(2, 9, 2);
    }

    [Fact]
    public void Calls_from_many_threads_at_once_each_do_their_own_work()
    {
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k => AssertEveryUnitOnce(1 + (k % 5), 3 + k, 2 + (k % 3)));
    }

    /// <summary>
    /// Runs a call of two parts under a held scope of <paramref name="threads"/>, each part waiting (up to 10 s) until both
    /// have started, and returns the threads the parts ran on: two parts at once means a helper took one.
    /// </summary>
    private static (Thread Part0, Thread Part1, bool Together) RunTwoPartsHeld(int threads)
    {
        using var started = new CountdownEvent(2);
        var ran = new Thread[2];
        bool together = true;
        KernelPart part = (ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to) =>
        {
            ran[from] = Thread.CurrentThread;
            started.Signal();
            if (!started.Wait(TimeSpan.FromSeconds(10)))
            {
                together = false;
            }
        };
        using (KernelParts.Hold(new Parallelism(threads)))
        {
            KernelParts.Run(part, new float[2], 2, default, default, new float[2], 2, 1, 2, new Parallelism(threads));
        }

        return (ran[0], ran[1], together);
    }

    [Fact]
    public void A_held_scope_runs_the_parts_on_a_background_helper_of_its_own_not_the_thread_pool()
    {
        if (Environment.ProcessorCount < 2)
        {
            return; // One core: no helper; every part runs on the caller.
        }

        (Thread part0, Thread part1, bool together) = RunTwoPartsHeld(2);
        Assert.True(together, "the two parts did not run at the same time: no helper took one");

        // The caller always does the first part, so that each thread does the same part of every call.
        Assert.Same(Thread.CurrentThread, part0);
        Thread helper = part1;
        Assert.NotSame(Thread.CurrentThread, helper);
        Assert.True(helper.IsBackground);
        Assert.False(helper.IsThreadPoolThread);
        Assert.Equal("KernelGen helper", helper.Name);

        // The next scope right after finds the same helper.
        (Thread again0, Thread again1, bool againTogether) = RunTwoPartsHeld(2);
        Assert.True(againTogether);
        Assert.Same(Thread.CurrentThread, again0);
        Assert.Same(helper, again1);
    }

    [Fact]
    public void Held_scopes_do_every_unit_once_and_a_scope_inside_another_changes_nothing()
    {
        using (KernelParts.Hold(new Parallelism(3)))
        {
            AssertEveryUnitOnce(1, 1000, 3);
            using (KernelParts.Hold(new Parallelism(2)))
            {
                AssertEveryUnitOnce(3, 7, 2);
            }

            // The inner scope's end did not end the outer one's helpers' work.
            AssertEveryUnitOnce(2, 64, 3);
            AssertEveryUnitOnce(1, 5, 8);
        }

        // After the scope, calls run as before.
        AssertEveryUnitOnce(1, 100, 2);
    }

    [Fact]
    public void A_held_part_that_throws_fails_the_call_and_the_scope_goes_on()
    {
        KernelPart failing = (ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to) =>
            throw new InvalidOperationException("part " + from);
        using (KernelParts.Hold(new Parallelism(2)))
        {
            InvalidOperationException e = Assert.Throws<InvalidOperationException>(() =>
                KernelParts.Run(failing, new float[8], 8, default, default, new float[8], 8, 1, 8, new Parallelism(2)));
            Assert.StartsWith("part ", e.Message, StringComparison.Ordinal);
            AssertEveryUnitOnce(2, 9, 2);
        }
    }

    [Fact]
    public void Held_scopes_on_many_threads_at_once_each_do_their_own_work()
    {
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            using (KernelParts.Hold(new Parallelism(2 + (k % 3))))
            {
                for (int i = 0; i < 8; i++)
                {
                    AssertEveryUnitOnce(1 + (i % 3), 5 + k + i, 2 + (k % 3));
                }
            }
        });
    }

    [Fact]
    public void Parallelism_counts_threads_and_compares_by_them()
    {
        Assert.Equal(1, Parallelism.OneThread.Threads);
        Assert.Equal(default, Parallelism.OneThread);
        Assert.Equal(new Parallelism(1), Parallelism.OneThread);
        Assert.NotEqual(new Parallelism(2), Parallelism.OneThread);
        Assert.Equal("3 threads", new Parallelism(3).ToString());
        Assert.Equal("threads", Assert.Throws<ArgumentOutOfRangeException>(() => new Parallelism(-1)).ParamName);
    }
}
