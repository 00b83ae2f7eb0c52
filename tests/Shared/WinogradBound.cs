namespace KernelGen.Tests;

/// <summary>
/// The error bound KernelGen states for Winograd F(4×4, 3×3) and F(2×2, 3×3) convolutions, computed for given data: output (o, y, x)
/// differs from the exact sum by at most <c>(C + 16) · 2⁻²⁴ · M</c>, where C is the number of input channels and
/// <c>M = |Aᵀ| (Σ_c (|G| |g| |Gᵀ|) ⊙ (|Bᵀ| |d| |B|)) |A|</c> + |bias| — the transforms computed on magnitudes — for
/// the tile that holds the pixel. (First order: the weight transform rounds once, the input transform at most 6 times
/// along any path, the sum over channels C times, the output transform 6 times, the bias once; F(2×2) rounds fewer times
/// along every path, so the same bound holds with its own matrices.)
/// </summary>
internal static class WinogradBound
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>M for every output of <paramref name="batch"/> samples, NCHW, for tiles of <paramref name="tile"/> (4 or 2) pixels.</summary>
    public static double[] Magnitudes(Conv2DGeometry g, float[] input, float[] weights, float[] bias, bool flip, int batch, int tile = 4)
    {
        double[] bt = Abs(tile == 4 ? WinogradTransforms.InputMatrix : Winograd2x2Transforms.InputMatrix);
        double[] at = Abs(tile == 4 ? WinogradTransforms.OutputMatrix : Winograd2x2Transforms.OutputMatrix);
        double[] gm = [.. (tile == 4 ? WinogradTransforms.WeightMatrix : Winograd2x2Transforms.WeightMatrix).ToArray().Select(Math.Abs)];
        int m = tile, patch = tile + 2, points = patch * patch;
        int channels = g.InChannels, outputs = g.OutChannels, rows = (g.OutputHeight + m - 1) / m, columns = (g.OutputWidth + m - 1) / m, tiles = rows * columns;

        // |U| for every pair of channels: |G| |g| |Gᵀ|.
        var u = new double[outputs * channels * points];
        for (int o = 0; o < outputs; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                var t = new double[patch * 3];
                for (int a = 0; a < patch; a++)
                {
                    for (int x = 0; x < 3; x++)
                    {
                        for (int y = 0; y < 3; y++)
                        {
                            int ky = flip ? 2 - y : y, kx = flip ? 2 - x : x;
                            t[(a * 3) + x] += gm[(a * 3) + y] * Math.Abs(weights[((((o * channels) + c) * 3) + ky) * 3 + kx]);
                        }
                    }
                }

                for (int a = 0; a < patch; a++)
                {
                    for (int b = 0; b < patch; b++)
                    {
                        u[(((o * channels) + c) * points) + (a * patch) + b] = (t[a * 3] * gm[b * 3]) + (t[(a * 3) + 1] * gm[(b * 3) + 1]) + (t[(a * 3) + 2] * gm[(b * 3) + 2]);
                    }
                }
            }
        }

        var result = new double[batch * g.OutputLength];
        var v = new double[channels * tiles * points];
        for (int n = 0; n < batch; n++)
        {
            // |V| for every channel and tile: |Bᵀ| |d| |B|, the patch zero outside the input.
            for (int c = 0; c < channels; c++)
            {
                for (int t = 0; t < tiles; t++)
                {
                    int y0 = (t / columns * m) - g.PadTop, x0 = (t % columns * m) - g.PadLeft;
                    var d = new double[points];
                    for (int r = 0; r < patch; r++)
                    {
                        for (int s = 0; s < patch; s++)
                        {
                            int y = y0 + r, x = x0 + s;
                            d[(r * patch) + s] = y >= 0 && y < g.Height && x >= 0 && x < g.Width ? Math.Abs(input[(((n * channels) + c) * g.Height + y) * g.Width + x]) : 0;
                        }
                    }

                    double[] transformed = Sandwich(bt, d, patch, patch);
                    Array.Copy(transformed, 0, v, ((c * tiles) + t) * points, points);
                }
            }

            for (int o = 0; o < outputs; o++)
            {
                for (int t = 0; t < tiles; t++)
                {
                    var w = new double[points];
                    for (int c = 0; c < channels; c++)
                    {
                        for (int p = 0; p < points; p++)
                        {
                            w[p] += u[(((o * channels) + c) * points) + p] * v[(((c * tiles) + t) * points) + p];
                        }
                    }

                    double[] sum = Sandwich(at, w, m, patch);
                    for (int r = 0; r < m; r++)
                    {
                        for (int s = 0; s < m; s++)
                        {
                            int y = (t / columns * m) + r, x = (t % columns * m) + s;
                            if (y < g.OutputHeight && x < g.OutputWidth)
                            {
                                result[(((n * outputs) + o) * g.OutputHeight + y) * g.OutputWidth + x] = sum[(r * m) + s] + (bias.Length > 0 ? Math.Abs(bias[o]) : 0);
                            }
                        }
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The stated bound for one output: <c>(C + 16) · 2⁻²⁴ · M</c>, times the activation's largest slope, plus the reference's own rounding and the activation's in float.</summary>
    public static double Of(int inChannels, double magnitude, double expected, double slope) =>
        ((inChannels + 16) * Unit * magnitude * slope) + (8 * Unit * Math.Abs(expected)) + 1e-37;

    /// <summary>The largest slope of an activation (1 for none and ReLU): how far it can carry an error.</summary>
    public static double Slope(Activation activation, float leakySlope = ActivationFunctions.DefaultLeakyReluSlope) => activation switch
    {
        Activation.LeakyRelu => Math.Max(1, Math.Abs(leakySlope)),
        Activation.HardSwish or Activation.Gelu or Activation.Silu => 1.5,
        _ => 1,
    };

    /// <summary>
    /// The largest error over its bound (at most 1 passes), failing with the first output past it. NaN must be NaN
    /// where the reference has NaN.
    /// </summary>
    public static double Worst(string what, float[] expected, float[] actual, double[] magnitudes, int inChannels, double slope)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = Of(inChannels, magnitudes[i], expected[i], slope);
            double error = Math.Abs((double)expected[i] - actual[i]);
            if (!(error <= bound) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
            {
                Assert.Fail($"{what}: output {i} is {actual[i]:R}, expected {expected[i]:R}; error {error:G3} exceeds the stated bound {bound:G3} (M = {magnitudes[i]:G3})");
            }

            worst = Math.Max(worst, error / bound);
        }

        return worst;
    }

    private static double[] Abs(ReadOnlySpan<float> values) => [.. values.ToArray().Select(x => Math.Abs((double)x))];

    /// <summary><c>X D Xᵀ</c> for a <paramref name="rows"/>×<paramref name="n"/> matrix X and an n×n D.</summary>
    private static double[] Sandwich(double[] x, double[] d, int rows, int n)
    {
        var left = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            for (int s = 0; s < n; s++)
            {
                for (int k = 0; k < n; k++)
                {
                    left[(r * n) + s] += x[(r * n) + k] * d[(k * n) + s];
                }
            }
        }

        var result = new double[rows * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int s = 0; s < rows; s++)
            {
                for (int k = 0; k < n; k++)
                {
                    result[(r * rows) + s] += left[(r * n) + k] * x[(s * n) + k];
                }
            }
        }

        return result;
    }
}
