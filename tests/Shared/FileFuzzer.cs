using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace KernelGen.Tests.Shared;

/// <summary>
/// Feeds a file reader damaged copies of valid files — every truncation up to a bound, then seeded random mutations (bit
/// flips, overwritten, inserted, deleted and repeated runs, length fields set to huge values) and random bytes — and
/// checks each outcome: the file reads, or the reader throws one of its documented exceptions with a message; no other
/// exception; no allocation beyond what the file's size justifies; no hang. The figures go to <see cref="Measure.Report"/>.
/// </summary>
/// <remarks>
/// <c>KERNELGEN_FUZZ_ITERATIONS</c> replaces every reader's number of random inputs (the CI budget) for a longer run;
/// <c>KERNELGEN_FUZZ_SEED</c> replaces the seed. A failure names the seed and the input's index and lists its mutations,
/// which replay it.
/// </remarks>
internal sealed class FileFuzzer
{
    private const int TruncationBound = 4096;

    private readonly string _reader;
    private readonly Func<Exception, string?> _documented;
    private readonly Func<long, long> _allowance;
    private readonly Action<byte[]> _read;

    /// <param name="reader">Names the reader in the figures.</param>
    /// <param name="read">Reads one file; returns normally if it is valid.</param>
    /// <param name="documented">
    /// Null for an exception the reader documents (with a message saying what and where); otherwise why it is not.
    /// </param>
    /// <param name="allowance">The most bytes a read of a file of the given length may allocate.</param>
    public FileFuzzer(string reader, Action<byte[]> read, Func<Exception, string?> documented, Func<long, long> allowance)
    {
        _reader = reader;
        _read = read;
        _documented = documented;
        _allowance = allowance;
    }

    public static int Iterations(int ci) =>
        int.TryParse(Environment.GetEnvironmentVariable("KERNELGEN_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : ci;

    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable("KERNELGEN_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : 20261201;

    /// <summary>What a run did.</summary>
    public sealed record Figures(string Reader, int Inputs, int Read, int Refused, long MostAllocated, double SlowestMs)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"fuzz {Reader}: {Inputs} inputs, {Read} read, {Refused} refused with a documented exception, 0 other exceptions; most allocated by one read {MostAllocated:N0} bytes; slowest read {SlowestMs:F1} ms");
    }

    /// <summary>
    /// Every truncation of each valid file up to <see cref="TruncationBound"/> bytes, then <paramref name="iterations"/>
    /// random mutants of them (one in eight random bytes instead), then <paramref name="extra"/> as they are.
    /// </summary>
    public Figures Run(ITestOutputHelper output, IReadOnlyList<byte[]> valid, int iterations, IEnumerable<(string What, byte[] Bytes)>? extra = null)
    {
        foreach (byte[] file in valid)
        {
            Check(file, "a valid file", mustRead: true);
        }

        IEnumerable<(string, byte[])> Inputs()
        {
            foreach (byte[] file in valid)
            {
                for (int length = 0; length < Math.Min(file.Length, TruncationBound); length++)
                {
                    yield return ($"a valid file of {file.Length} bytes cut to {length}", file[..length]);
                }
            }

            var random = new Random(Seed);
            for (int i = 0; i < iterations; i++)
            {
                byte[] file = valid[random.Next(valid.Count)];
                if (random.Next(8) == 0)
                {
                    var bytes = new byte[random.Next(512)];
                    random.NextBytes(bytes);
                    yield return ($"input {i} of seed {Seed}: {bytes.Length} random bytes", bytes);
                    continue;
                }

                var mutations = new List<string>();
                byte[] mutant = file;
                for (int m = random.Next(1, 5); m > 0; m--)
                {
                    mutant = Mutate(mutant, random, mutations);
                }

                yield return ($"input {i} of seed {Seed}: a valid file of {file.Length} bytes with {string.Join("; ", mutations)}", mutant);
            }

            foreach ((string what, byte[] bytes) in extra ?? [])
            {
                yield return (what, bytes);
            }
        }

        int inputs = 0, read = 0;
        long mostAllocated = 0;
        double slowest = 0;
        string current = "";

        // The inputs run on one thread, watched: a read that never returns fails the test and names its input.
        var work = Task.Run(() =>
        {
            foreach ((string what, byte[] bytes) in Inputs())
            {
                Volatile.Write(ref current, what);
                (bool ok, long allocated, double ms) = Check(bytes, what, mustRead: false);
                inputs++;
                read += ok ? 1 : 0;
                mostAllocated = Math.Max(mostAllocated, allocated);
                slowest = Math.Max(slowest, ms);
            }
        });
        if (!work.Wait(TimeSpan.FromMinutes(10)))
        {
            Assert.Fail($"{_reader}: no answer after 10 minutes on {Volatile.Read(ref current)}");
        }

        work.GetAwaiter().GetResult();
        var figures = new Figures(_reader, inputs, read, inputs - read, mostAllocated, slowest);
        Measure.Report(output, figures.ToString());

        return figures;
    }

    private (bool Read, long Allocated, double Ms) Check(byte[] bytes, string what, bool mustRead)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        long started = Stopwatch.GetTimestamp();
        Exception? refused = null;
        try
        {
            _read(bytes);
        }
        catch (Exception e)
        {
            refused = e;
        }

        double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        string? fault = refused is null ? null : mustRead ? "refused a valid file" : _documented(refused);
        if (fault is not null)
        {
            throw new Xunit.Sdk.XunitException($"{_reader} on {what}: {fault}: {refused}");
        }

        if (allocated > _allowance(bytes.Length))
        {
            throw new Xunit.Sdk.XunitException($"{_reader} on {what}: allocated {allocated:N0} bytes for a file of {bytes.Length:N0} (at most {_allowance(bytes.Length):N0}).");
        }

        return (refused is null, allocated, ms);
    }

    /// <summary>One random change to <paramref name="file"/>, described in <paramref name="log"/>.</summary>
    private static byte[] Mutate(byte[] file, Random random, List<string> log)
    {
        int At(int extra = 0) => random.Next(file.Length + extra);
        var bytes = new List<byte>(file);
        switch (file.Length == 0 ? 3 : random.Next(7))
        {
            case 0:
                for (int flips = random.Next(1, 9), i = 0; i < flips; i++)
                {
                    int at = At(), bit = random.Next(8);
                    bytes[at] ^= (byte)(1 << bit);
                    log.Add($"bit {bit} of byte {at} flipped");
                }

                break;
            case 1:
            {
                int at = At();
                log.Add($"cut to {at} bytes");
                return file[..at];
            }

            case 2:
            {
                // A length or count field set to a huge value: at a random place, 4 or 8 bytes, either byte order.
                int width = random.Next(2) == 0 ? 4 : 8, at = Math.Max(0, At() - width);
                ulong[] huge = [uint.MaxValue, int.MaxValue, 0x8000_0000, ulong.MaxValue, long.MaxValue, 0x1_0000_0000, 1UL << 40];
                ulong value = huge[random.Next(huge.Length)];
                var field = new byte[width];
                bool little = random.Next(2) == 0;
                if (width == 4)
                {
                    if (little) BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)value); else BinaryPrimitives.WriteUInt32BigEndian(field, (uint)value);
                }
                else if (little)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(field, value);
                }
                else
                {
                    BinaryPrimitives.WriteUInt64BigEndian(field, value);
                }

                for (int i = 0; i < width && at + i < bytes.Count; i++)
                {
                    bytes[at + i] = field[i];
                }

                log.Add($"{width} bytes at {at} set to 0x{value:X} ({(little ? "little" : "big")}-endian)");
                break;
            }

            case 3:
            {
                int at = At(1);
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                bytes.InsertRange(at, inserted);
                log.Add($"{inserted.Length} random bytes inserted at {at}");
                break;
            }

            case 4:
            {
                int at = At(), count = Math.Min(random.Next(1, 17), file.Length - at);
                bytes.RemoveRange(at, count);
                log.Add($"{count} bytes deleted at {at}");
                break;
            }

            case 5:
            {
                int at = At(), count = Math.Min(random.Next(1, 9), file.Length - at);
                var overwrite = new byte[count];
                random.NextBytes(overwrite);
                for (int i = 0; i < count; i++)
                {
                    bytes[at + i] = overwrite[i];
                }

                log.Add($"{count} bytes at {at} overwritten");
                break;
            }

            default:
            {
                // A run repeated elsewhere: a name or an entry twice, offsets overlapping.
                int from = At(), count = Math.Min(random.Next(1, 65), file.Length - from), to = At(1);
                bytes.InsertRange(to, file.Skip(from).Take(count));
                log.Add($"bytes {from}..{from + count} repeated at {to}");
                break;
            }
        }

        return [.. bytes];
    }
}
