using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// <see cref="KernelParts.Run"/>, which the generated overloads that take a <see cref="Parallelism"/> call: every unit of
/// every sample done exactly once, whatever the batch, units and threads; the samples' spans offset correctly; a failing
/// part's exception reaches the caller; many callers at once.
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
