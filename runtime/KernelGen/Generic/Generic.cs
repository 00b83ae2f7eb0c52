using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace KernelGen;

/// <summary>
/// Kernels whose shapes are run-time arguments: for layers whose sizes are only known when the program
/// runs, and the baseline that shows what compile-time specialisation buys. They use the generated
/// kernels' algorithms — a padded, stride-split input band per output row and register tiles of output
/// channels × vectors of pixels — with <see cref="Vector{T}"/> arithmetic and loops where the generated
/// code has literals. The shape is a geometry, validated when it was made; each call checks the span
/// lengths first, allocates nothing on the managed heap and keeps no state.
/// </summary>
public static partial class Generic
{
    /// <summary>Floats of input band kept on the stack; larger bands are processed in chunks of input channels.</summary>
    internal const int BandLimit = Tuning.BandLimitFloats;

    /// <summary>Floats of band per chunk of input channels (see <see cref="Tuning.BandChunkFloats"/>).</summary>
    internal const int ChunkFloats = Tuning.BandChunkFloats;

    private static int Lanes => Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> MultiplyAdd(Vector<float> a, Vector<float> b, Vector<float> c) =>
#if NET9_0_OR_GREATER
        Vector.FusedMultiplyAdd(a, b, c);
#else
        (a * b) + c;
#endif

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
