using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;

namespace KernelGen;

/// <summary>
/// Where a network's inference spends its time, layer by layer, as ONNX Runtime's profiling and oneDNN's verbose mode
/// tell it: set a network's <c>Profile</c> to one, run <c>Forward</c> or <c>Predict</c>, then read <see cref="Layers"/>
/// or print it. Each kernel call of the forward pass is timed with <see cref="Stopwatch"/> from the end of the one
/// before; a call that runs several declared layers (a convolution and the sum, pool or batch norm fused into it) is one
/// entry named after them all. With no profile set, a network times nothing. Training's forward and backward passes
/// are not timed.
/// </summary>
/// <remarks>
/// A profile belongs to the first network that uses it (the layers are that network's); calls from several threads at
/// once (<c>Forward</c> with workspaces of their own) add to it safely. Times include whatever else the machine ran
/// meanwhile: compare layers, or implementations, measured in the same run.
/// </remarks>
public sealed class LayerProfile
{
    private readonly object _gate = new();
    private string[]? _layers;
    private long[] _ticks = [];
    private int _runs;

    /// <summary>How many forward passes it has timed since it was made or <see cref="Reset"/>.</summary>
    public int Runs => Volatile.Read(ref _runs);

    /// <summary>Every timed call of a forward pass in the order the network runs them, with its total time over <see cref="Runs"/> passes.</summary>
    public IReadOnlyList<LayerTime> Layers
    {
        get
        {
            string[] layers = _layers ?? [];
            int runs = Runs;
            return [.. layers.Select((name, i) => new LayerTime(name, Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks[i])), runs))];
        }
    }

    /// <summary>The total of every layer's time (the forward passes, less the network's checks and buffers between calls).</summary>
    public TimeSpan Total
    {
        get
        {
            // Each layer's time as Layers gives it (ticks to TimeSpan per layer), without building the list.
            long[] all = _ticks;
            TimeSpan total = TimeSpan.Zero;
            for (int i = 0; i < all.Length; i++)
            {
                total += Stopwatch.GetElapsedTime(0, Interlocked.Read(ref all[i]));
            }

            return total;
        }
    }

    /// <summary>Forgets every time measured (the layers stay the network's).</summary>
    public void Reset()
    {
        for (int i = 0; i < _ticks.Length; i++)
        {
            Interlocked.Exchange(ref _ticks[i], 0);
        }

        Volatile.Write(ref _runs, 0);
    }

    /// <summary>
    /// Called by a generated network at the start of a timed forward pass, with its calls' names (the same array at every
    /// call): counts the pass and returns the time it starts.
    /// </summary>
    /// <exception cref="InvalidOperationException">The profile holds another network's layers.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public long Start(string[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (!ReferenceEquals(Volatile.Read(ref _layers), layers))
        {
            lock (_gate)
            {
                if (_layers is null)
                {
                    _ticks = new long[layers.Length];
                    Volatile.Write(ref _layers, layers);
                }
                else if (!ReferenceEquals(_layers, layers))
                {
                    throw new InvalidOperationException(
                        "This LayerProfile holds another network's layers (" + string.Join(", ", _layers.Take(3)) + (_layers.Length > 3 ? ", …" : "")
                        + "): give each network a profile of its own.");
                }
            }
        }

        Interlocked.Increment(ref _runs);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Called by a generated network after call <paramref name="layer"/> of a timed forward pass: adds the time since
    /// <paramref name="mark"/> to the call's total and moves the mark to now.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public void Record(int layer, ref long mark)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _ticks[layer], now - mark);
        mark = now;
    }

    /// <summary>A table of the layers: mean time per pass, share of the total, name; the slowest marked.</summary>
    public override string ToString()
    {
        IReadOnlyList<LayerTime> layers = Layers;
        double total = layers.Sum(l => l.Total.TotalMilliseconds);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Runs} forward pass(es), {(Runs == 0 ? 0 : total / Runs):F3} ms each in {layers.Count} call(s):").AppendLine();
        foreach (LayerTime layer in layers)
        {
            double share = total > 0 ? layer.Total.TotalMilliseconds / total : 0;
            text.Append(CultureInfo.InvariantCulture, $"{layer.Mean.TotalMilliseconds,10:F3} ms {share,7:P1}  {layer.Layer}").AppendLine();
        }

        return text.ToString();
    }
}

/// <summary>One call of a network's forward pass in a <see cref="LayerProfile"/>: its name, its total time and the passes it was timed in.</summary>
/// <param name="Layer">The declared layer (method) the call runs, or the layers, joined by " + ", where one call runs several.</param>
/// <param name="Total">Its time over every timed pass.</param>
/// <param name="Runs">The passes timed.</param>
public readonly record struct LayerTime(string Layer, TimeSpan Total, int Runs)
{
    /// <summary>Its mean time per pass (zero before the first).</summary>
    public TimeSpan Mean => Runs == 0 ? TimeSpan.Zero : Total / Runs;
}
