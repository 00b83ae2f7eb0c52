using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace KernelGen.Training;

/// <summary>
/// Runs <c>body(0)</c> … <c>body(threads − 1)</c> at once and waits for all of them: index 0 on the calling thread, the
/// others as thread-pool work items made once, so that a run allocates nothing (<c>Parallel.For</c> allocates its tasks and
/// closures on every call). No thread is kept waiting between runs. An exception of any index is rethrown on the caller
/// after every index has finished.
/// </summary>
internal sealed class ForkJoin
{
    private readonly Worker[] _workers;
    private readonly object _gate = new();
    private Action<int>? _body;
    private int _pending;
    private long _allocatedOnWorkers;
    private ExceptionDispatchInfo? _error;

    public ForkJoin(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _workers = new Worker[threads - 1];
        for (int t = 0; t < _workers.Length; t++)
        {
            _workers[t] = new Worker(this, t + 1);
        }
    }

    /// <summary>
    /// Bytes the thread-pool workers have allocated while running bodies, since this was made: what a run costs the heap
    /// besides the calling thread's own allocations, without the pool's (a new pool thread's objects are not the body's).
    /// </summary>
    internal long AllocatedOnWorkers => Interlocked.Read(ref _allocatedOnWorkers);

    public void Run(Action<int> body)
    {
        if (_workers.Length == 0)
        {
            body(0);
            return;
        }

        _body = body;
        _error = null;
        Volatile.Write(ref _pending, _workers.Length);
        foreach (Worker worker in _workers)
        {
            ThreadPool.UnsafeQueueUserWorkItem(worker, preferLocal: false);
        }

        Execute(0);
        lock (_gate)
        {
            while (Volatile.Read(ref _pending) > 0)
            {
                Monitor.Wait(_gate);
            }
        }

        _body = null;
        _error?.Throw();
    }

    private void Execute(int index)
    {
        try
        {
            _body!(index);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
        }
    }

    private sealed class Worker(ForkJoin owner, int index) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            owner.Execute(index);
            Interlocked.Add(ref owner._allocatedOnWorkers, GC.GetAllocatedBytesForCurrentThread() - before);
            if (Interlocked.Decrement(ref owner._pending) == 0)
            {
                lock (owner._gate)
                {
                    Monitor.PulseAll(owner._gate);
                }
            }
        }
    }
}
