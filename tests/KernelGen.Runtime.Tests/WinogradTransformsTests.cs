using System.Runtime.InteropServices;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// The shared Winograd F(4×4, 3×3) and F(2×2, 3×3) transforms on every width: a patch taken to the transform domain,
/// multiplied point by point with a kernel's <c>G g Gᵀ</c> and taken back is the m×m cross-correlation of the patch with
/// the kernel — the identity that makes the algorithm right, checked through the code every generated Winograd kernel calls.
/// </summary>
public sealed class WinogradTransformsTests
{
    private delegate void Input(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors);

    private delegate void Output(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors);

    public static TheoryData<int, string, int> Widths => new()
    {
        { 4, "512", 16 }, { 4, "256", 8 }, { 4, "128", 4 }, { 4, "Scalar", 1 },
        { 2, "512", 16 }, { 2, "256", 8 }, { 2, "128", 4 }, { 2, "Scalar", 1 },
    };

    [Theory]
    [MemberData(nameof(Widths))]
    public void Transforms_and_pointwise_products_give_the_correlation(int m, string width, int lanes)
    {
        Input input = (m, width) switch
        {
            (4, "512") => WinogradTransforms.Input512, (4, "256") => WinogradTransforms.Input256, (4, "128") => WinogradTransforms.Input128, (4, _) => WinogradTransforms.InputScalar,
            (_, "512") => Winograd2x2Transforms.Input512, (_, "256") => Winograd2x2Transforms.Input256, (_, "128") => Winograd2x2Transforms.Input128, _ => Winograd2x2Transforms.InputScalar,
        };
        Output output = (m, width) switch
        {
            (4, "512") => WinogradTransforms.Output512, (4, "256") => WinogradTransforms.Output256, (4, "128") => WinogradTransforms.Output128, (4, _) => WinogradTransforms.OutputScalar,
            (_, "512") => Winograd2x2Transforms.Output512, (_, "256") => Winograd2x2Transforms.Output256, (_, "128") => Winograd2x2Transforms.Output128, _ => Winograd2x2Transforms.OutputScalar,
        };
        const int vectors = 2;
        int patch = m + 2, points = patch * patch;
        int tiles = vectors * lanes, tileRow = tiles, plane = 2 * tileRow;
        var random = new Random(width.Length + m);
        double[][] patches = [.. Enumerable.Range(0, tiles).Select(_ => Enumerable.Range(0, points).Select(_ => random.NextDouble() * 2 - 1).ToArray())];
        double[] kernel = [.. Enumerable.Range(0, 9).Select(_ => random.NextDouble() * 2 - 1)];

        // The band as the generated fill lays it out: tap (r, c) of tile l in plane (r mod m) · (m + 2) + c, a tile row on for r ≥ m.
        var band = new float[m * patch * plane];
        for (int l = 0; l < tiles; l++)
        {
            for (int r = 0; r < patch; r++)
            {
                for (int c = 0; c < patch; c++)
                {
                    band[(((r % m) * patch) + c) * plane + (r / m * tileRow) + l] = (float)patches[l][(r * patch) + c];
                }
            }
        }

        var transformed = new float[points * tiles];
        input(ref band[0], plane, tileRow, ref transformed[0], tiles, vectors);

        // Point by point, the kernel's G g Gᵀ.
        double[] g = (m == 4 ? WinogradTransforms.WeightMatrix : Winograd2x2Transforms.WeightMatrix).ToArray(), u = new double[points];
        for (int a = 0; a < patch; a++)
        {
            for (int b = 0; b < patch; b++)
            {
                for (int y = 0; y < 3; y++)
                {
                    for (int x = 0; x < 3; x++)
                    {
                        u[(a * patch) + b] += g[(a * 3) + y] * kernel[(y * 3) + x] * g[(b * 3) + x];
                    }
                }
            }
        }

        for (int p = 0; p < points; p++)
        {
            for (int l = 0; l < tiles; l++)
            {
                transformed[(p * tiles) + l] *= (float)u[p];
            }
        }

        var result = new float[m * m * tiles];
        output(ref transformed[0], tiles, ref result[0], tiles, 0.5f, vectors);
        for (int l = 0; l < tiles; l++)
        {
            for (int r = 0; r < m; r++)
            {
                for (int c = 0; c < m; c++)
                {
                    double expected = 0.5, magnitude = 0.5;
                    for (int y = 0; y < 3; y++)
                    {
                        for (int x = 0; x < 3; x++)
                        {
                            expected += patches[l][((r + y) * patch) + c + x] * kernel[(y * 3) + x];
                            magnitude += Math.Abs(patches[l][((r + y) * patch) + c + x] * kernel[(y * 3) + x]);
                        }
                    }

                    float actual = result[(((r * m) + c) * tiles) + l];
                    Assert.True(Math.Abs(actual - expected) <= 1e-4 * magnitude, $"F({m}×{m}) {width}: tile {l}, pixel ({r}, {c}) is {actual}, the correlation {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(2)]
    public void The_matrices_are_Lavins_F_m_3(int m)
    {
        // Aᵀ [(G g) ⊙ (Bᵀ d)] for 1-D: every output of F(m, 3) is the 3-tap correlation, for any d and g.
        int n = m + 2;
        double[] bt = [.. (m == 4 ? WinogradTransforms.InputMatrix : Winograd2x2Transforms.InputMatrix).ToArray().Select(v => (double)v)];
        double[] at = [.. (m == 4 ? WinogradTransforms.OutputMatrix : Winograd2x2Transforms.OutputMatrix).ToArray().Select(v => (double)v)];
        double[] g = (m == 4 ? WinogradTransforms.WeightMatrix : Winograd2x2Transforms.WeightMatrix).ToArray();
        Assert.Equal((n * n, m * n, n * 3), (bt.Length, at.Length, g.Length));
        for (int trial = 0; trial < 3; trial++)
        {
            double[] d = [.. Enumerable.Range(0, n).Select(i => Math.Sin(i + (trial * 7)))], k = [Math.Cos(trial), 0.5 - trial, 2.0];
            double[] v = [.. Enumerable.Range(0, n).Select(a => Enumerable.Range(0, n).Sum(i => bt[(a * n) + i] * d[i]))];
            double[] u = [.. Enumerable.Range(0, n).Select(a => Enumerable.Range(0, 3).Sum(i => g[(a * 3) + i] * k[i]))];
            for (int r = 0; r < m; r++)
            {
                double y = Enumerable.Range(0, n).Sum(a => at[(r * n) + a] * u[a] * v[a]);
                Assert.Equal(d[r] * k[0] + d[r + 1] * k[1] + d[r + 2] * k[2], y, 12);
            }
        }
    }
}
