namespace KernelGen.Generator.Tests;

/// <summary>
/// The code the random layers never reach, because it needs big shapes: input channels processed in
/// chunks (the band of all of them would pass the stack limit), and kernels too large to unroll fully
/// (looped per kernel row, or over rows and columns). Each runs on every path against the reference.
/// </summary>
public class LargeLayerEquivalenceTests
{
    private static ConvCase Conv(int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int pad = 0, int groups = 1, Activation activation = Activation.None, bool bias = true, bool flip = false, int stride = 1) =>
        new(groups, inChannels / groups, outChannels / groups, height, width, kernelHeight, kernelWidth, stride, stride, 1, 1,
            pad, pad, pad, pad, false, flip, activation, bias, Batched: true, Batch: 2, Seed: inChannels + kernelWidth);

    /// <summary>The generated file of each case.</summary>
    private static string[] Generated(LayerCase[] cases)
    {
        var result = Harness.Run(RandomLayers.Source(cases)).Result;
        return [.. cases.Select((_, i) => Harness.Generated(result, $"Random.Kernels.K{i}.g.cs"))];
    }

    [Fact]
    public void Chunked_input_channels_accumulate_across_chunks_then_apply_the_activation_once()
    {
        LayerCase[] cases =
        [
            Conv(200, 9, 30, 12, 3, 3, pad: 1, activation: Activation.Relu),
            Conv(300, 6, 45, 5, 3, 3, activation: Activation.Sigmoid, bias: false),
            Conv(400, 5, 41, 18, 3, 3, pad: 1, groups: 2, activation: Activation.Tanh, flip: true, stride: 2),
            Conv(50, 4, 420, 5, 3, 3, pad: 1, activation: Activation.Sigmoid),
        ];
        Assert.All(Generated(cases), code => Assert.Contains("bool first = c0 == 0, last = ", code, StringComparison.Ordinal));
        Assert.InRange(RandomLayers.CheckAll(cases), 0, 1);
    }

    [Fact]
    public void Small_output_planes_are_flattened_with_every_stride_phase_and_window_unrolling()
    {
        static ConvCase Plane(int inPerGroup, int size, int outPerGroup, int kernelHeight, int kernelWidth, int stride = 1, int dilation = 1,
            int pad = 1, int groups = 1, Activation activation = Activation.None, bool bias = true, bool flip = false, int batch = 2) =>
            new(groups, inPerGroup, outPerGroup, size, size + 1, kernelHeight, kernelWidth, stride, stride, dilation, dilation,
                pad, pad + 1, pad + 1, pad, false, flip, activation, bias, Batched: true, Batch: batch, Seed: (inPerGroup * 7) + size);

        LayerCase[] cases =
        [
            // ResNet-18's layer 4 (scaled down): 7×7 planes, 3×3, the band from the array pool (300 × 81 floats).
            Plane(300, 7, 13, 3, 3, activation: Activation.Relu),
            // Stride 2 on both axes (four phases), dilation 2, flipped, grouped, an activation applied after the store.
            Plane(5, 12, 7, 3, 3, stride: 2, dilation: 2, groups: 3, activation: Activation.Sigmoid, flip: true),
            // Depthwise, stride 3, no bias, one sample.
            Plane(1, 15, 1, 5, 4, stride: 3, pad: 2, groups: 8, bias: false, batch: 1),
            // Windows too large to unroll whole, looped per kernel row: with one row phase, and with two.
            Plane(2, 20, 8, 13, 13, pad: 0),
            Plane(2, 30, 6, 13, 13, stride: 2, pad: 0, activation: Activation.Tanh),
        ];
        string[] code = Generated(cases);
        Assert.All(code, c => Assert.Contains("FillPlanes(ref inputGroup, ref band, ", c, StringComparison.Ordinal));
        Assert.Contains("KgArrayPool.Shared.Rent(", code[0], StringComparison.Ordinal);
        Assert.All(code.Skip(3), c => Assert.Contains("Window13x13Rows", c, StringComparison.Ordinal));
        Assert.Contains("public static int KernelRow(int ky) => ky * ", code[3], StringComparison.Ordinal);
        Assert.Contains("public static int KernelRow(int ky) => (ky % 2 * ", code[4], StringComparison.Ordinal);
        Assert.InRange(RandomLayers.CheckAll(cases), 0, 1);
    }

    [Fact]
    public void Wide_rows_run_the_main_tile_many_times_and_the_remainder_channels()
    {
        LayerCase[] cases = [Conv(3, 4, 433, 11, 3, 3, pad: 1, activation: Activation.Relu), Conv(6, 3, 500, 6, 1, 5, groups: 6)];
        Assert.InRange(RandomLayers.CheckAll(cases), 0, 1);
    }

    [Fact]
    public void Kernels_too_large_to_unroll_loop_over_rows_or_over_rows_and_columns()
    {
        LayerCase[] cases =
        [
            Conv(3, 20, 24, 6, 13, 13, pad: 6, activation: Activation.Relu),
            Conv(2, 4, 160, 8, 1, 151, flip: true),
            Conv(2, 9, 170, 8, 3, 151, pad: 2, activation: Activation.Tanh),
        ];
        string[] code = Generated(cases);
        Assert.Contains("Window13x13Rows", code[0], StringComparison.Ordinal);
        Assert.Contains("Window1x151Looped", code[1], StringComparison.Ordinal);
        Assert.Contains("Window3x151Looped", code[2], StringComparison.Ordinal);
        Assert.InRange(RandomLayers.CheckAll(cases), 0, 1);
    }
}
