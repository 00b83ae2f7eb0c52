using System;
using System.Globalization;

namespace KernelGen;

/// <summary>
/// How many threads one kernel call (or one network's <c>Forward</c>) may use. The default is one thread: the calling
/// thread, with nothing else involved. With more, the work of each convolution is split into that many parts (samples
/// of a batch, or output rows, output channels or groups of one sample) that run at once on the .NET thread pool, the
/// calling thread taking its share; every output element is computed by the same code in the same order as on one
/// thread, so results are bit-identical. Nothing is left spinning between calls: idle pool threads sleep.
/// </summary>
/// <remarks>
/// <see cref="AllCores"/> uses <see cref="Environment.ProcessorCount"/> threads. More threads than cores costs a
/// little and gains nothing. Calls from many threads at once stay safe: each call splits only its own work.
/// </remarks>
public readonly struct Parallelism : IEquatable<Parallelism>
{
    private readonly int _threads;

    /// <summary>At most <paramref name="threads"/> threads for one call; throws <see cref="ArgumentOutOfRangeException"/> unless positive.</summary>
    public Parallelism(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _threads = threads;
    }

    /// <summary>The number of threads a call may use (at least 1).</summary>
    public int Threads => Math.Max(1, _threads);

    /// <summary>One thread, the caller's: the default.</summary>
    public static Parallelism OneThread => default;

    /// <summary>As many threads as the machine has cores (<see cref="Environment.ProcessorCount"/>).</summary>
    public static Parallelism AllCores => new(Environment.ProcessorCount);

    /// <inheritdoc/>
    public bool Equals(Parallelism other) => Threads == other.Threads;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Parallelism other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Threads;

    /// <inheritdoc/>
    public override string ToString() => Threads == 1 ? "1 thread" : string.Create(CultureInfo.InvariantCulture, $"{Threads} threads");

    /// <summary>Whether both allow the same number of threads.</summary>
    public static bool operator ==(Parallelism left, Parallelism right) => left.Equals(right);

    /// <summary>Whether they allow different numbers of threads.</summary>
    public static bool operator !=(Parallelism left, Parallelism right) => !left.Equals(right);
}
