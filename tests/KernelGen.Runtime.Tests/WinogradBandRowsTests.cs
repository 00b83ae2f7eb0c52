using System.Runtime.Intrinsics;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// <see cref="WinogradBandRows.Fill"/>, the generated Winograd kernels' row copy on the Vector512 path: plane j gets pixel
/// 4tx + j of the padded row for every tile column and nothing else is written, for tile counts below, at and past each
/// step of 16 (on a machine without AVX-512, and under <c>DOTNET_EnableAVX512=0</c> in CI, the scalar loop is checked).
/// </summary>
public sealed class WinogradBandRowsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(57)]
    public void Each_plane_gets_every_fourth_pixel_from_its_tap_column_and_nothing_else_is_written(int columns)
    {
        var random = new Random(columns);
        float[] padded = [.. Enumerable.Range(0, WinogradBandRows.PaddedLength(columns)).Select(_ => random.NextSingle() - 0.5f)];
        int planeStride = columns + 5;
        var target = new float[(6 * planeStride) + 3];
        Array.Fill(target, float.NaN);
        WinogradBandRows.Fill(padded, ref target[1], planeStride, columns);
        for (int i = 0; i < target.Length; i++)
        {
            int offset = i - 1, j = offset < 0 ? -1 : offset / planeStride, tx = offset < 0 ? -1 : offset % planeStride;
            if (j is >= 0 and < 6 && tx < columns)
            {
                Assert.True(target[i] == padded[(4 * tx) + j], $"{columns} tile columns: plane {j}, tile {tx} is {target[i]}, not pixel {(4 * tx) + j} = {padded[(4 * tx) + j]}");
            }
            else
            {
                Assert.True(float.IsNaN(target[i]), $"{columns} tile columns: element {i} (plane {j}, tile {tx}) was written");
            }
        }
    }

    [Fact]
    public void A_padded_row_too_short_for_the_last_step_is_refused()
    {
        var target = new float[100];
        ArgumentException e = Assert.Throws<ArgumentException>(() => WinogradBandRows.Fill(new float[WinogradBandRows.PaddedLength(14) - 1], ref target[0], 16, 14));
        Assert.Equal("padded", e.ParamName);
    }
}

/// <summary><see cref="WinogradTransforms.StoreTiles4"/>: four pixel-column vectors of four tiles stored as the tiles' pixel rows, side by side.</summary>
public sealed class WinogradStoreTests
{
    [Fact]
    public void Four_tiles_pixel_columns_are_stored_as_their_rows_side_by_side_and_nothing_else_is_written()
    {
        // Column c of tile k holds 10k + c: the stored row must read 0 1 2 3 10 11 12 13 20 …
        Vector128<float>[] columns = [.. Enumerable.Range(0, 4).Select(c => Vector128.Create(c, 10f + c, 20f + c, 30f + c))];
        var target = new float[18];
        Array.Fill(target, float.NaN);
        WinogradTransforms.StoreTiles4(columns[0], columns[1], columns[2], columns[3], ref target[1]);
        Assert.True(float.IsNaN(target[0]) && float.IsNaN(target[17]), "StoreTiles4 wrote outside its 16 floats");
        Assert.Equal([.. Enumerable.Range(0, 16).Select(i => (float)((10 * (i / 4)) + (i % 4)))], target[1..17]);
    }
}
