using System.Runtime.InteropServices;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// The shared Winograd F(4×4, 3×3) transforms on every width: a patch taken to the transform domain, multiplied point by
/// point with a kernel's <c>G g Gᵀ</c> and taken back is the 4×4 cross-correlation of the patch with the kernel — the
/// identity that makes the algorithm right, checked through the code every generated Winograd kernel calls.
/// </summary>
public sealed class WinogradTransformsTests
{
    private delegate void Input(ref float band, int planeStride, int tileRow, ref float points, int pointStride, int vectors);

    private delegate void Output(ref float products, int pointStride, ref float tiles, int tileStride, float bias, int vectors);

    public static TheoryData<string, int> Widths => new() { { "512", 16 }, { "256", 8 }, { "128", 4 }, { "Scalar", 1 } };

    [Theory]
    [MemberData(nameof(Widths))]
    public void Transforms_and_pointwise_products_give_the_correlation(string width, int lanes)
    {
        Input input = width switch { "512" => WinogradTransforms.Input512, "256" => WinogradTransforms.Input256, "128" => WinogradTransforms.Input128, _ => WinogradTransforms.InputScalar };
        Output output = width switch { "512" => WinogradTransforms.Output512, "256" => WinogradTransforms.Output256, "128" => WinogradTransforms.Output128, _ => WinogradTransforms.OutputScalar };
        const int vectors = 2;
        int tiles = vectors * lanes, tileRow = tiles, plane = 2 * tileRow;
        var random = new Random(width.Length);
        double[][] patches = [.. Enumerable.Range(0, tiles).Select(_ => Enumerable.Range(0, 36).Select(_ => random.NextDouble() * 2 - 1).ToArray())];
        double[] kernel = [.. Enumerable.Range(0, 9).Select(_ => random.NextDouble() * 2 - 1)];

        // The band as the generated fill lays it out: tap (r, c) of tile l in plane (r mod 4) · 6 + c, a tile row on for r ≥ 4.
        var band = new float[24 * plane];
        for (int l = 0; l < tiles; l++)
        {
            for (int r = 0; r < 6; r++)
            {
                for (int c = 0; c < 6; c++)
                {
                    band[(((r % 4) * 6) + c) * plane + (r / 4 * tileRow) + l] = (float)patches[l][(r * 6) + c];
                }
            }
        }

        var points = new float[36 * tiles];
        input(ref band[0], plane, tileRow, ref points[0], tiles, vectors);

        // Point by point, the kernel's G g Gᵀ.
        double[] g = WinogradTransforms.WeightMatrix.ToArray(), u = new double[36];
        for (int a = 0; a < 6; a++)
        {
            for (int b = 0; b < 6; b++)
            {
                for (int y = 0; y < 3; y++)
                {
                    for (int x = 0; x < 3; x++)
                    {
                        u[(a * 6) + b] += g[(a * 3) + y] * kernel[(y * 3) + x] * g[(b * 3) + x];
                    }
                }
            }
        }

        for (int p = 0; p < 36; p++)
        {
            for (int l = 0; l < tiles; l++)
            {
                points[(p * tiles) + l] *= (float)u[p];
            }
        }

        var result = new float[16 * tiles];
        output(ref points[0], tiles, ref result[0], tiles, 0.5f, vectors);
        for (int l = 0; l < tiles; l++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int c = 0; c < 4; c++)
                {
                    double expected = 0.5, magnitude = 0.5;
                    for (int y = 0; y < 3; y++)
                    {
                        for (int x = 0; x < 3; x++)
                        {
                            expected += patches[l][((r + y) * 6) + c + x] * kernel[(y * 3) + x];
                            magnitude += Math.Abs(patches[l][((r + y) * 6) + c + x] * kernel[(y * 3) + x]);
                        }
                    }

                    float actual = result[(((r * 4) + c) * tiles) + l];
                    Assert.True(Math.Abs(actual - expected) <= 1e-4 * magnitude, $"{width}: tile {l}, pixel ({r}, {c}) is {actual}, the correlation {expected}");
                }
            }
        }
    }

    [Fact]
    public void The_matrices_are_Lavins_F_4x4_3x3()
    {
        // Aᵀ [(G g) ⊙ (Bᵀ d)] for 1-D: every output of F(4, 3) is the 3-tap correlation, for any d and g.
        double[] bt = [.. WinogradTransforms.InputMatrix.ToArray().Select(v => (double)v)], at = [.. WinogradTransforms.OutputMatrix.ToArray().Select(v => (double)v)];
        double[] g = WinogradTransforms.WeightMatrix.ToArray();
        for (int trial = 0; trial < 3; trial++)
        {
            double[] d = [.. Enumerable.Range(0, 6).Select(i => Math.Sin(i + (trial * 7)))], k = [Math.Cos(trial), 0.5 - trial, 2.0];
            double[] v = [.. Enumerable.Range(0, 6).Select(a => Enumerable.Range(0, 6).Sum(i => bt[(a * 6) + i] * d[i]))];
            double[] u = [.. Enumerable.Range(0, 6).Select(a => Enumerable.Range(0, 3).Sum(i => g[(a * 3) + i] * k[i]))];
            for (int r = 0; r < 4; r++)
            {
                double y = Enumerable.Range(0, 6).Sum(a => at[(r * 6) + a] * u[a] * v[a]);
                Assert.Equal(d[r] * k[0] + d[r + 1] * k[1] + d[r + 2] * k[2], y, 12);
            }
        }
    }
}
