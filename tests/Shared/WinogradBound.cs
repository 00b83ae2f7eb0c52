namespace KernelGen.Tests;

/// <summary>
/// The error bound KernelGen states for Winograd F(4×4, 3×3) convolutions, computed for given data: output (o, y, x)
/// differs from the exact sum by at most <c>(C + 16) · 2⁻²⁴ · M</c>, where C is the number of input channels and
/// <c>M = |Aᵀ| (Σ_c (|G| |g| |Gᵀ|) ⊙ (|Bᵀ| |d| |B|)) |A|</c> + |bias| — the transforms computed on magnitudes — for
/// the tile that holds the pixel. (First order: the weight transform rounds once, the input transform at most 6 times
/// along any path, the sum over channels C times, the output transform 6 times, the bias once.)
/// </summary>
internal static class WinogradBound
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>M for every output of <paramref name="batch"/> samples, NCHW.</summary>
    public static double[] Magnitudes(Conv2DGeometry g, float[] input, float[] weights, float[] bias, bool flip, int batch)
    {
        double[] bt = Abs(WinogradTransforms.InputMatrix), at = Abs(WinogradTransforms.OutputMatrix);
        double[] gm = [.. WinogradTransforms.WeightMatrix.ToArray().Select(Math.Abs)];
        int channels = g.InChannels, outputs = g.OutChannels, rows = (g.OutputHeight + 3) / 4, columns = (g.OutputWidth + 3) / 4, tiles = rows * columns;

        // |U| for every pair of channels: |G| |g| |Gᵀ|.
        var u = new double[outputs * channels * 36];
        for (int o = 0; o < outputs; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                var t = new double[18];
                for (int a = 0; a < 6; a++)
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

                for (int a = 0; a < 6; a++)
                {
                    for (int b = 0; b < 6; b++)
                    {
                        u[(((o * channels) + c) * 36) + (a * 6) + b] = (t[a * 3] * gm[b * 3]) + (t[(a * 3) + 1] * gm[(b * 3) + 1]) + (t[(a * 3) + 2] * gm[(b * 3) + 2]);
                    }
                }
            }
        }

        var result = new double[batch * g.OutputLength];
        var v = new double[channels * tiles * 36];
        for (int n = 0; n < batch; n++)
        {
            // |V| for every channel and tile: |Bᵀ| |d| |B|, the patch zero outside the input.
            for (int c = 0; c < channels; c++)
            {
                for (int tile = 0; tile < tiles; tile++)
                {
                    int y0 = (tile / columns * 4) - g.PadTop, x0 = (tile % columns * 4) - g.PadLeft;
                    var d = new double[36];
                    for (int r = 0; r < 6; r++)
                    {
                        for (int s = 0; s < 6; s++)
                        {
                            int y = y0 + r, x = x0 + s;
                            d[(r * 6) + s] = y >= 0 && y < g.Height && x >= 0 && x < g.Width ? Math.Abs(input[(((n * channels) + c) * g.Height + y) * g.Width + x]) : 0;
                        }
                    }

                    double[] transformed = Sandwich(bt, d, 6);
                    Array.Copy(transformed, 0, v, ((c * tiles) + tile) * 36, 36);
                }
            }

            for (int o = 0; o < outputs; o++)
            {
                for (int tile = 0; tile < tiles; tile++)
                {
                    var w = new double[36];
                    for (int c = 0; c < channels; c++)
                    {
                        for (int p = 0; p < 36; p++)
                        {
                            w[p] += u[(((o * channels) + c) * 36) + p] * v[(((c * tiles) + tile) * 36) + p];
                        }
                    }

                    double[] m = Sandwich(at, w, 4);
                    for (int r = 0; r < 4; r++)
                    {
                        for (int s = 0; s < 4; s++)
                        {
                            int y = (tile / columns * 4) + r, x = (tile % columns * 4) + s;
                            if (y < g.OutputHeight && x < g.OutputWidth)
                            {
                                result[(((n * outputs) + o) * g.OutputHeight + y) * g.OutputWidth + x] = m[(r * 4) + s] + (bias.Length > 0 ? Math.Abs(bias[o]) : 0);
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

    /// <summary><c>X D Xᵀ</c> for a <paramref name="rows"/>×6 matrix X and a 6×6 D.</summary>
    private static double[] Sandwich(double[] x, double[] d, int rows)
    {
        var left = new double[rows * 6];
        for (int r = 0; r < rows; r++)
        {
            for (int s = 0; s < 6; s++)
            {
                for (int k = 0; k < 6; k++)
                {
                    left[(r * 6) + s] += x[(r * 6) + k] * d[(k * 6) + s];
                }
            }
        }

        var result = new double[rows * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int s = 0; s < rows; s++)
            {
                for (int k = 0; k < 6; k++)
                {
                    result[(r * rows) + s] += left[(r * 6) + k] * x[(s * 6) + k];
                }
            }
        }

        return result;
    }
}
