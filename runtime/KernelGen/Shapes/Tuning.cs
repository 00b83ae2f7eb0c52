// The kernels' tuning values, written once. Like ShapeMath.cs, this file is compiled into the runtime and, as linked
// source, into the generator, so that the generated and the generic kernels block their work the same way.

namespace KernelGen;

/// <summary>How much of the input the convolutions and pools keep in a band, and in what chunks: tuning, not shape arithmetic.</summary>
internal static class Tuning
{
    /// <summary>Floats of input band a convolution or pool keeps on the stack (64 KB); larger bands are processed in chunks.</summary>
    public const int BandLimitFloats = 16384;

    /// <summary>
    /// Floats of band per chunk of input channels when the band is refilled for each output row: 16 KB, half of a
    /// 32 KB L1 data cache, so that each tile's pass over the band reads L1. The generated and the generic kernels both use it.
    /// </summary>
    public const int BandChunkFloats = 4096;
}
