using System;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace KernelGen;

/// <summary>
/// One part of a kernel's work: every sample of <paramref name="batch"/> from <paramref name="input"/> to
/// <paramref name="output"/>, restricted to the kernel's units <paramref name="from"/> .. <paramref name="to"/> − 1
/// (output rows, channels or groups, as the kernel says). A kernel without weights or bias gets references it ignores.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public delegate void KernelPart(ref float input, ref float weights, ref float bias, ref float output, int batch, int from, int to);

/// <summary>
/// Splits one kernel call across threads for the generated overloads that take a <see cref="Parallelism"/>: the calling
/// thread does the first part, and the others are claimed one at a time by the helper threads of a <see cref="Hold"/>
/// scope (outside one, by thread-pool work items) and by the caller once its own is done; the call returns when every
/// part is done. Generated code calls this; user code has no need to.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelParts
{
    /// <summary>More threads than this are not used: the part count must fit the 16 bits the claims leave it.</summary>
    public const int MaxParts = 1024;

    /// <summary>
    /// Runs <paramref name="part"/> over all <paramref name="batch"/> samples and all <paramref name="units"/> units,
    /// in at most <see cref="Parallelism.Threads"/> parts: by samples when the batch divides among the threads (or is
    /// at least four per thread), otherwise by units. The spans' lengths must already have been checked.
    /// </summary>
    public static void Run(KernelPart part, ReadOnlySpan<float> input, int inputLength, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Span<float> output, int outputLength, int batch, int units, Parallelism parallelism)
    {
        ArgumentNullException.ThrowIfNull(part);
        int threads = parallelism.Threads;
        bool bySamples = BySamples(batch, threads);
        int parts = Math.Min(Math.Min(threads, MaxParts), bySamples ? batch : units);
        if (parts <= 1)
        {
            part(ref MemoryMarshal.GetReference(input), ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(bias),
                ref MemoryMarshal.GetReference(output), batch, 0, units);
            return;
        }

        Job.Run(part, input, inputLength, weights, bias, output, outputLength, batch, units, parts, bySamples);
    }

    /// <summary>Whether a call splits by samples: when they divide among the threads, or give each at least four.</summary>
    private static bool BySamples(int batch, int threads) => batch % threads == 0 || batch >= 4 * threads;

    /// <summary>
    /// Keeps <see cref="Parallelism.Threads"/> − 1 helper threads waiting, spinning, for the parts of this thread's calls
    /// until the result is disposed — what a network's <c>Forward</c> does around its layers, so that no layer waits for a
    /// sleeping thread to wake (on a virtual machine that can take longer than a small layer). The helpers are background
    /// threads of this thread's own, not the thread pool's: between scopes they spin for at most
    /// <see cref="HelperGraceMicroseconds"/> µs (a next scope right after finds them awake), then block, and after
    /// <see cref="HelperIdleSeconds"/> s without a scope they end. A scope opened inside another on the same thread does
    /// nothing.
    /// </summary>
    /// <remarks>
    /// Thread-pool work items were the helpers until 2026-12-03: every scope queued one, which waited behind whatever else
    /// the pool had queued, and the pool, on giving it to a worker, woke another worker to look for more work, which spun
    /// and yielded beside the two busy threads of a two-core machine (ResNet-18 on two threads: 14 context switches per
    /// <c>Forward</c>, 2 since; its time the same within the machine's noise).
    /// </remarks>
    public static HeldThreads Hold(Parallelism parallelism) => Job.Hold(Math.Min(parallelism.Threads, MaxParts));

    /// <summary>How long, in microseconds, a helper spins after a scope ends before it blocks.</summary>
    public const int HelperGraceMicroseconds = 200;

    /// <summary>How long, in seconds, a blocked helper waits for a next scope before its thread ends.</summary>
    public const int HelperIdleSeconds = 10;

    /// <summary>The scope of <see cref="Hold"/>: disposing it lets the held threads go.</summary>
    public readonly struct HeldThreads : IDisposable, IEquatable<HeldThreads>
    {
        private readonly Job? _job;

        internal HeldThreads(Job job) => _job = job;

        /// <summary>Lets the held threads go.</summary>
        public void Dispose() => _job?.Release();

        /// <inheritdoc/>
        public bool Equals(HeldThreads other) => ReferenceEquals(_job, other._job);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is HeldThreads other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => _job?.GetHashCode() ?? 0;

        /// <summary>Whether both hold the same thread's helpers (or none).</summary>
        public static bool operator ==(HeldThreads left, HeldThreads right) => left.Equals(right);

        /// <summary>Whether they differ.</summary>
        public static bool operator !=(HeldThreads left, HeldThreads right) => !left.Equals(right);
    }

    /// <summary>
    /// The parts of one call, reused by every call from the same thread. The state word holds the part count (high 16
    /// bits) and the next part to claim (low 16 bits), so a work item that runs late, after its call has returned,
    /// finds every part claimed — or claims a part of the thread's next call, which it then does correctly.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One job per thread, for the thread's life; the event holds no kernel handle until a wait blocks.")]
    internal sealed unsafe class Job : IThreadPoolWorkItem
    {
        [ThreadStatic]
        private static Job? s_ofThisThread;

        /// <summary>While a scope is open, how many helpers it wants (helper i claims parts while i is below it); else 0.</summary>
        private int _held;

        /// <summary>How many helper threads are alive: they are numbered 0 .. this − 1, and the last one ends first.</summary>
        private int _alive;

        /// <summary>Set while a scope is open: what blocked helpers wait for.</summary>
        private readonly ManualResetEventSlim _open = new(false, 0);

        private readonly ManualResetEventSlim _done = new(false, 64);
        private KernelPart? _part;
        private float* _input, _weights, _bias, _output;
        private int _inputLength, _outputLength, _batch, _units, _parts;
        private bool _bySamples;
        private int _state;
        private int _pending;
        private ExceptionDispatchInfo? _error;

        public static HeldThreads Hold(int threads)
        {
            // More helpers than cores would only take turns with the caller: the parts are the same, so are the results.
            int helpers = Math.Min(threads, Environment.ProcessorCount) - 1;
            if (helpers <= 0)
            {
                return default;
            }

            Job job = s_ofThisThread ??= new Job();
            if (job._held != 0)
            {
                return default;
            }

            // A full fence before reading how many are alive: a helper ending now either sees the scope and stays, or is
            // counted out before this reads the count and started again below.
            Interlocked.Exchange(ref job._held, helpers);
            job._open.Set();
            for (int alive; (alive = Volatile.Read(ref job._alive)) < helpers;)
            {
                if (Interlocked.CompareExchange(ref job._alive, alive + 1, alive) == alive && !job.Start(alive))
                {
                    // No thread to be had: the caller and the helpers there are do the parts.
                    Interlocked.Decrement(ref job._alive);
                    break;
                }
            }

            return new HeldThreads(job);
        }

        public void Release()
        {
            _open.Reset();
            Volatile.Write(ref _held, 0);
        }

        /// <summary>Starts helper <paramref name="index"/>; false if the system has no thread to give.</summary>
        private bool Start(int index)
        {
            try
            {
                new Thread(() => Help(index)) { IsBackground = true, Name = "KernelGen helper" }.Start();
                return true;
            }
            catch (OutOfMemoryException)
            {
                return false;
            }
        }

        /// <summary>
        /// Helper <paramref name="index"/>'s life: claims the parts of the scope's calls as they come, spinning between
        /// them; after the scope, spins a little longer for the next, then blocks until one opens; ends when none opens
        /// for <see cref="KernelParts.HelperIdleSeconds"/> s, or when a scope wants fewer helpers — the last helper first.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Help(int index)
        {
            long grace = Stopwatch.Frequency * KernelParts.HelperGraceMicroseconds / 1_000_000;
            while (true)
            {
                while (Volatile.Read(ref _held) > index)
                {
                    if (!Claim())
                    {
                        Thread.SpinWait(16);
                    }
                }

                for (long until = Stopwatch.GetTimestamp() + grace; Volatile.Read(ref _held) <= index && Stopwatch.GetTimestamp() < until;)
                {
                    Thread.SpinWait(16);
                }

                if (Volatile.Read(ref _held) > index)
                {
                    continue;
                }

                bool open = _open.Wait(KernelParts.HelperIdleSeconds * 1000);
                int held = Volatile.Read(ref _held);
                if (held > index || (open && held == 0))
                {
                    // A scope that wants this helper, or one that came and went already: wait for the next.
                    continue;
                }

                // No scope for the idle time, or one that wants fewer helpers: end, if this is the last helper.

                if (Interlocked.CompareExchange(ref _alive, index, index + 1) != index + 1)
                {
                    // A later helper is still alive: it ends first.
                    Thread.Yield();
                    continue;
                }

                // Counted out. A scope that opened since and read the count before this may be waiting for this helper.
                if (Volatile.Read(ref _held) > index && Interlocked.CompareExchange(ref _alive, index + 1, index) == index)
                {
                    continue;
                }

                return;
            }
        }

        public static void Run(KernelPart part, ReadOnlySpan<float> input, int inputLength, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
            Span<float> output, int outputLength, int batch, int units, int parts, bool bySamples)
        {
            Job job = s_ofThisThread ??= new Job();
            fixed (float* i = input, w = weights, b = bias, o = output)
            {
                job._part = part;
                job._input = i;
                job._weights = w;
                job._bias = b;
                job._output = o;
                (job._inputLength, job._outputLength, job._batch, job._units, job._parts, job._bySamples) = (inputLength, outputLength, batch, units, parts, bySamples);
                job._error = null;
                job._pending = parts;
                job._done.Reset();

                // The first part is the caller's, claimed before the others are offered, not whichever thread claims first:
                // on two threads each thread then does the same part of every call, and where consecutive layers split
                // the same pixels (Winograd layers, by blocks of tiles) it reads the half it has just written.
                Volatile.Write(ref job._state, (parts << 16) | 1);
                bool held = Volatile.Read(ref job._held) != 0;
                for (int k = held ? parts : 1; k < parts; k++)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
                }

                job.RunClaimed(0, parts);
                job.Claim();
                if (held)
                {
                    // The helpers are awake: their parts end soon, and a sleeping caller would be the one to wake slowly.
                    while (Volatile.Read(ref job._pending) != 0)
                    {
                        Thread.SpinWait(8);
                    }
                }
                else
                {
                    // The event can be set by the last part of the thread's previous call: a helper preempted between its
                    // decrement and its Set may set it after this call's Reset. So the count decides, the event only wakes.
                    while (Volatile.Read(ref job._pending) != 0)
                    {
                        job._done.Wait();
                        job._done.Reset();
                    }
                }

                job._part = null;
                job._error?.Throw();
            }
        }

        void IThreadPoolWorkItem.Execute() => Claim();

        /// <summary>Runs parts until none is left to claim; whether it ran any.</summary>
        /// <remarks>
        /// Compiled fully optimised at once, as the generated kernels' loops are: with tiered compilation its first
        /// versions would run while the background compiler, on one of a two-core machine's cores, tiers up the rest.
        /// </remarks>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool Claim()
        {
            bool any = false;
            while (true)
            {
                int state = Volatile.Read(ref _state);
                int parts = state >> 16, next = state & 0xFFFF;
                if (next >= parts)
                {
                    return any;
                }

                if (Interlocked.CompareExchange(ref _state, state + 1, state) != state)
                {
                    continue;
                }

                RunClaimed(next, parts);
                any = true;
            }
        }

        /// <summary>Runs part <paramref name="k"/>, which this thread has claimed, keeping its exception for the caller.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunClaimed(int k, int parts)
        {
            try
            {
                RunPart(k, parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }

            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Set();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void RunPart(int k, int parts)
        {
            if (_bySamples)
            {
                int first = (int)((long)_batch * k / parts), end = (int)((long)_batch * (k + 1) / parts);
                _part!(ref _input[(long)first * _inputLength], ref *_weights, ref *_bias, ref _output[(long)first * _outputLength], end - first, 0, _units);
                return;
            }

            _part!(ref *_input, ref *_weights, ref *_bias, ref *_output, _batch, (int)((long)_units * k / parts), (int)((long)_units * (k + 1) / parts));
        }
    }
}
