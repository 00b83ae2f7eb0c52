using System.Collections.Concurrent;
using CsCheck;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// The reference convolution checked against a second, independent formulation — im2col followed by a
/// matrix product per group — on hundreds of random shapes covering every option of the contract.
/// </summary>
public class Conv2DAgainstIm2ColTests
{
    /// <summary>One random convolution: shape, options and the seed of its data.</summary>
    public sealed record ConvCase(
        int Batch, int Groups, int InPerGroup, int OutPerGroup, int Height, int Width,
        int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int DilationHeight, int DilationWidth,
        int PadTop, int PadBottom, int PadLeft, int PadRight, bool Same, bool Bias, bool Flip, Activation Activation, int Seed)
    {
        public Conv2DGeometry? TryGeometry()
        {
            (int top, int bottom) = Same ? ShapeMath.SamePadding(Height, KernelHeight, StrideHeight, DilationHeight) : (PadTop, PadBottom);
            (int left, int right) = Same ? ShapeMath.SamePadding(Width, KernelWidth, StrideWidth, DilationWidth) : (PadLeft, PadRight);
            return Conv2DGeometry.TryCreate(Groups * InPerGroup, Height, Width, Groups * OutPerGroup, KernelHeight, KernelWidth,
                StrideHeight, StrideWidth, top, bottom, left, right, DilationHeight, DilationWidth, Groups, out _);
        }
    }

    internal static readonly Gen<ConvCase> Cases =
        from batch in Gen.Int[1, 3]
        from groups in Gen.Int[1, 3]
        from inPerGroup in Gen.Int[1, 3]
        from outPerGroup in Gen.Int[1, 3]
        from height in Gen.Int[1, 10]
        from width in Gen.Int[1, 10]
        from kernelHeight in Gen.Int[1, 4]
        from kernelWidth in Gen.Int[1, 4]
        from strideHeight in Gen.Int[1, 3]
        from strideWidth in Gen.Int[1, 3]
        from dilationHeight in Gen.Int[1, 3]
        from dilationWidth in Gen.Int[1, 3]
        from pads in Gen.Int[0, 4].Array[4]
        from same in Gen.Bool
        from bias in Gen.Bool
        from flip in Gen.Bool
        from activation in Gen.Enum<Activation>()
        from seed in Gen.Int
        select new ConvCase(batch, groups, inPerGroup, outPerGroup, height, width, kernelHeight, kernelWidth,
            strideHeight, strideWidth, dilationHeight, dilationWidth, pads[0], pads[1], pads[2], pads[3],
            same, bias, flip, activation, seed);

    [Fact]
    public void Reference_equals_im2col_times_weights_on_400_random_shapes_covering_every_option()
    {
        var tried = new ConcurrentBag<ConvCase>();
        Cases.Where(c => c.TryGeometry() is not null).Sample(c =>
        {
            tried.Add(c);
            Conv2DGeometry g = c.TryGeometry()!;
            double[] input = TestData.Uniform(c.Seed, c.Batch * g.InputLength);
            double[] weights = TestData.Uniform(c.Seed + 1, g.WeightLength);
            double[] bias = c.Bias ? TestData.Uniform(c.Seed + 2, g.OutChannels) : [];

            double[] expected = Im2ColConvolution(g, c.Batch, input, weights, bias, c.Flip, c.Activation);

            var actual = new double[expected.Length];
            Reference.Conv2D<double>(g, input, weights, bias, actual, c.Batch, c.Activation, c.Flip);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12, $"{g}: element {i} is {actual[i]}, im2col gives {expected[i]}");
            }

            // The float path rounds the same double-precision sum once.
            var single = new float[expected.Length];
            Reference.Conv2D<float>(g, TestData.ToFloat(input), TestData.ToFloat(weights), TestData.ToFloat(bias), single, c.Batch, c.Activation, c.Flip);
            TensorComparison comparison = TensorComparison.Of(TestData.ToFloat(expected), single, [], 1e-5, 1e-5);
            Assert.True(comparison.Matches, $"{g}: {comparison}");
        }, iter: 400);

        Assert.True(tried.Count >= 400, $"only {tried.Count} shapes were tried");
        Conv2DGeometry[] shapes = [.. tried.Select(c => c.TryGeometry()!)];
        Assert.Contains(shapes, g => g.IsDepthwise && g.Groups > 1);
        Assert.Contains(shapes, g => g.Groups > 1 && !g.IsDepthwise);
        Assert.Contains(shapes, g => g.DilationHeight > 1 && g.StrideWidth > 1);
        Assert.Contains(shapes, g => g.KernelHeight != g.KernelWidth);
        Assert.Contains(shapes, g => g.PadTop != g.PadBottom);
        Assert.Contains(tried, c => c.Same);
        Assert.Contains(tried, c => c.Flip && c.Bias);
        Assert.Equal(Enum.GetValues<Activation>().Length, tried.Select(c => c.Activation).Distinct().Count());
        Assert.Contains(tried, c => c.Batch > 1);
    }

    /// <summary>
    /// Convolution as a matrix product: for each sample and group, unfold the input into a matrix whose
    /// row r is weight element r of a filter (input channel, kernel row, kernel column) and whose column p
    /// is output pixel p; then output = weights · columns + bias.
    /// </summary>
    private static double[] Im2ColConvolution(Conv2DGeometry g, int batch, double[] input, double[] weights, double[] bias, bool flip, Activation activation)
    {
        int rows = g.InChannelsPerGroup * g.KernelHeight * g.KernelWidth;
        int pixels = g.OutputHeight * g.OutputWidth;
        var output = new double[batch * g.OutputLength];
        for (int n = 0; n < batch; n++)
        {
            for (int group = 0; group < g.Groups; group++)
            {
                var columns = new double[rows, pixels];
                for (int r = 0; r < rows; r++)
                {
                    int channel = (group * g.InChannelsPerGroup) + (r / (g.KernelHeight * g.KernelWidth));
                    int wy = r / g.KernelWidth % g.KernelHeight, wx = r % g.KernelWidth;
                    int ky = flip ? g.KernelHeight - 1 - wy : wy, kx = flip ? g.KernelWidth - 1 - wx : wx;
                    for (int p = 0; p < pixels; p++)
                    {
                        int iy = (p / g.OutputWidth * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
                        int ix = (p % g.OutputWidth * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                        bool inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
                        columns[r, p] = inside ? input[(n * g.InputLength) + (((channel * g.Height) + iy) * g.Width) + ix] : 0;
                    }
                }

                for (int f = 0; f < g.OutChannelsPerGroup; f++)
                {
                    int o = (group * g.OutChannelsPerGroup) + f;
                    for (int p = 0; p < pixels; p++)
                    {
                        double sum = bias.Length == 0 ? 0 : bias[o];
                        for (int r = 0; r < rows; r++)
                        {
                            sum += weights[(o * rows) + r] * columns[r, p];
                        }

                        output[(n * g.OutputLength) + (o * pixels) + p] = TestData.Apply(activation, sum);
                    }
                }
            }
        }

        return output;
    }
}
