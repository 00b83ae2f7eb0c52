using System;
using KernelGen.Generator.Model;

namespace KernelGen.Generator.Planning;

/// <summary>
/// How a dense product is blocked on one path: tiles of <paramref name="TileSamples"/> samples (0: no tiles, the scalar
/// path) × <paramref name="TileOutputs"/> output features; <paramref name="BlockOutputs"/> output features per block for a
/// single sample; input features in blocks of <paramref name="InputBlock"/>; samples in panels of <paramref name="Panel"/>.
/// </summary>
internal sealed record DenseBlocking(int TileSamples, int TileOutputs, int BlockOutputs, int InputBlock, int Panel)
{
    /// <summary>About how many input features a block holds: a tile's 16 sums reduced once per 16 steps of Vector512.</summary>
    private const int BlockInputs = 256;

    /// <summary>Bytes of a panel's block of input rows kept in L1 across all output features (half of the smallest L1 here).</summary>
    private const int PanelBytes = 16 * 1024;

    /// <summary>
    /// Four samples × four outputs (16 accumulators, 8 inputs) where there are 32 vector registers, three × four where
    /// there are 16; no tiles on the scalar path. Input features in equal blocks of whole 16-float steps (a multiple of
    /// every path's vector) of about <see cref="BlockInputs"/>; panels of as many samples as keep their block of inputs in
    /// L1, so only the weights stream from L2, each weight row read once per panel.
    /// </summary>
    /// <remarks>
    /// Measured on mnist_fc1_b64 (5408 → 128, batch 64, AVX-512): blocks of 256 with 16-sample panels (681 µs), 512 × 16
    /// (827), 912 × 68 with the panel in L2 (712–790), 1024 × 4 (981).
    /// </remarks>
    public static DenseBlocking For(DenseSpec spec, SimdPath path)
    {
        int inputs = spec.InFeatures, outputs = spec.OutFeatures;
        int samples = path.IsScalar ? 0 : path.Registers >= 32 ? 4 : 3;
        int blocks = Math.Max(1, (int)Math.Ceiling(inputs / (double)BlockInputs));
        int block = Math.Min(inputs, (((inputs + blocks - 1) / blocks) + 15) / 16 * 16);
        int panel = samples == 0 ? 0 : Math.Max(samples, PanelBytes / (block * 4) / samples * samples);
        return new DenseBlocking(samples, Math.Min(outputs, 4), Math.Min(outputs, path.IsScalar ? 4 : 8), block, panel);
    }
}
