namespace KernelGen.Tests;

/// <summary>
/// <see cref="PackedTiles.Store"/>: every tile shape the packed direct form makes (channels per pixel 1–64, partial blocks of
/// pixels and channels; blocks of four and eight pixels, which take the half transpose) lands transposed in the output planes, and nothing outside the tile's pixels and channels is written.
/// The equivalence suites run it on every hardware path (AVX-512, AVX alone, scalar).
/// </summary>
public class PackedTilesTests
{
    [Theory]
    [InlineData(64)]
    [InlineData(32)]
    [InlineData(16)]
    [InlineData(8)]
    [InlineData(4)]
    [InlineData(2)]
    public void A_tile_is_stored_transposed_and_nothing_else_is_written(int stride)
    {
        const int plane = 40, offset = 3;
        var random = new Random(stride);
        foreach (int pixels in new[] { 1, 2, 4, 5, 7, 8, 9, 12, 14, 16, 17, 20, 24, 28, 33 })
        {
            foreach (int channels in Enumerable.Range(1, stride).Where(c => c <= 3 || c % 5 == 0 || c == stride || c == stride - 1))
            {
                float[] tile = Enumerable.Range(0, pixels * stride).Select(_ => random.NextSingle() - 0.5f).ToArray();
                float[] output = new float[(stride * plane) + offset];
                Array.Fill(output, float.NaN);
                PackedTiles.Store(ref tile[0], stride, pixels, channels, ref output[offset], plane);
                for (int k = 0; k < output.Length; k++)
                {
                    int j = (k - offset) / plane, i = (k - offset) % plane;
                    bool inside = k >= offset && j < channels && i < pixels;
                    if (inside)
                    {
                        Assert.Equal(tile[(i * stride) + j], output[k]);
                    }
                    else
                    {
                        Assert.True(float.IsNaN(output[k]), $"{pixels} pixels × {channels} channels (stride {stride}) wrote output[{k}]");
                    }
                }
            }
        }
    }
}
