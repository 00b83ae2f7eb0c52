namespace KernelGen.Generator.Tests;

/// <summary>
/// The tiles the packed direct form plans on Vector256, the path of AVX2 machines, as measured there: a strided 3×3 layer
/// in tiles of 4 pixels × 2 vectors of channels (its loads cost as much as its multiply-adds there), and a 1×1 layer as a
/// matrix product over panels of 16 pixels where the panels waste at most an eighth of them; channel tiles whose weights
/// exceed 9 KB sum the input channels in passes over a row, row by row where every block's weights fit in L2. The remarks
/// of the generated kernel say which, so that is what these read.
/// </summary>
public class PackedDirectPlanTests
{
    private static string Kernel(string attribute) => Harness.Generated(Harness.Run($$"""
        using System;
        using KernelGen;

        namespace Samples;

        public static partial class K
        {
            {{attribute}}
            public static partial void Conv(ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output);
        }
        """).Result, "Samples.K.Conv.g.cs");

    [Fact]
    public void A_strided_3x3_layer_takes_tiles_of_two_vectors_on_Vector256_and_keeps_its_tile_on_Vector512()
    {
        string code = Kernel("[Conv2D(InChannels = 64, Height = 56, Width = 56, OutChannels = 128, Kernel = 3, Stride = 2, Padding = 1)]");
        Assert.Contains("Vector256, packed direct: tiles of 4 pixel(s) × 16 output channel(s) (2 vector(s))", code, StringComparison.Ordinal);
        Assert.Contains("Vector512, packed direct: tiles of 4 pixel(s) × 64 output channel(s) (4 vector(s))", code, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(256, 14, 1, true)] // pointwise_256: 196 pixels in 13 panels (208)
    [InlineData(64, 56, 2, true)] // ResNet-18's first strided 1×1 layer: 784 pixels, 49 panels
    [InlineData(256, 14, 2, false)] // its last: 49 pixels in 4 panels (64), more than 9/8
    [InlineData(64, 3, 1, false)] // 9 pixels, fewer than a panel
    public void A_1x1_layer_is_a_matrix_product_on_Vector256_where_its_panels_waste_at_most_an_eighth(int channels, int size, int stride, bool panels)
    {
        string code = Kernel($"[Conv2D(InChannels = {channels}, Height = {size}, Width = {size}, OutChannels = 128, Kernel = 1, Stride = {stride})]");
        Assert.Equal(panels, code.Contains("Vector256, packed direct as a matrix product: per panel of 16 output pixels", StringComparison.Ordinal));
        Assert.Equal(panels, code.Contains("private static void Vector256PanelTile6x2(", StringComparison.Ordinal));
        Assert.DoesNotContain("Vector512PanelTile", code, StringComparison.Ordinal);
        Assert.Contains("Vector512, packed direct: tiles of", code, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(64, 56, 3, 2, 128, "16", true)] // resnet_3x3_s2: 16 × 9 × 16 channels × 4 B = 9 KB a pass; 295 KB of weights
    [InlineData(256, 14, 3, 2, 512, "16", false)] // ResNet-18's last strided 3×3 layer: 4.7 MB of weights, block by block
    [InlineData(3, 224, 7, 2, 64, "2", true)] // the stem: 49 taps × 16 channels × 4 B = 3 KB a channel
    [InlineData(8, 28, 3, 2, 64, null, false)] // 8 input channels: one pass holds them all in any tile
    public void Channel_tiles_sum_the_input_channels_in_passes_on_Vector256_where_a_blocks_weights_pass_9_KB(int channels, int size, int kernel, int stride, int outChannels, string? chunk, bool rowsOuter)
    {
        // The remarks' lines joined, so that a phrase wrapped across two is found.
        string code = System.Text.RegularExpressions.Regex.Replace(
            Kernel($"[Conv2D(InChannels = {channels}, Height = {size}, Width = {size}, OutChannels = {outChannels}, Kernel = {kernel}, Stride = {stride}, Padding = {kernel / 2})]"),
            @"\s*\n\s*///\s*", " ");
        Assert.Equal(chunk is not null, code.Contains("private static void PackedPasses(", StringComparison.Ordinal));
        Assert.Equal(chunk is not null, code.Contains("private static void Vector256RowTile", StringComparison.Ordinal));
        if (chunk is not null)
        {
            Assert.Contains($"the input channels summed {chunk} at a time over a row's tiles", code, StringComparison.Ordinal);
            Assert.Contains("=> PackedPasses(", code, StringComparison.Ordinal);
            Assert.Contains(rowsOuter ? "a part's rows in turn, every block of channels of a row before the next row" : "(the same sums in the same order), block by block", code, StringComparison.Ordinal);
        }

        // The other paths keep their one-pass tiles.
        Assert.Contains("private static void Vector512ChannelTile", code, StringComparison.Ordinal);
        Assert.DoesNotContain("Vector512RowTile", code, StringComparison.Ordinal);
    }
}
