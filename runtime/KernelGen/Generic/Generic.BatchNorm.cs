using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen;

public static partial class Generic
{
    /// <summary>2-D batch normalisation in inference form, as <see cref="Reference.BatchNorm2D"/>: <c>(x − mean) · (scale / √(variance + ε)) + shift</c>.</summary>
    /// <param name="channels">Channels per sample.</param>
    /// <param name="height">Plane height.</param>
    /// <param name="width">Plane width.</param>
    /// <param name="input">NCHW input, <c>batch * channels * height * width</c> elements.</param>
    /// <param name="scale">Per channel.</param>
    /// <param name="shift">Per channel.</param>
    /// <param name="mean">Per channel.</param>
    /// <param name="variance">Per channel.</param>
    /// <param name="output">As long as <paramref name="input"/>; overwritten.</param>
    /// <param name="batch">Samples in the spans.</param>
    /// <param name="epsilon">Added to the variance; positive.</param>
    /// <param name="activation">Applied to each output.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void BatchNorm2D(
        int channels, int height, int width, ReadOnlySpan<float> input, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, Span<float> output, int batch = 1, float epsilon = 1e-5f, Activation activation = Activation.None, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
    {
        // The reference's checks, before anything is written.
        int plane = KernelArguments.BatchNorm2D(channels, height, width, input.Length, output.Length, batch, epsilon);
        KernelArguments.BatchNorm2DStatistics(channels, scale.Length, shift.Length, mean.Length, variance.Length, activation, leakyReluSlope);

        int lanes = Lanes;
        for (int p = 0; p < batch * channels; p++)
        {
            int c = p % channels;
            float factor = scale[c] / MathF.Sqrt(variance[c] + epsilon), m = mean[c], s = shift[c];
            ref float x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), p * plane);
            ref float y = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), p * plane);
            int i = 0;
            if (activation is Activation.None or Activation.Relu)
            {
                Vector<float> vm = new(m), vf = new(factor), vs = new(s);
                for (; i <= plane - lanes; i += lanes)
                {
                    Vector<float> v = MultiplyAdd(Vector.LoadUnsafe(ref x, (nuint)i) - vm, vf, vs);
                    (activation == Activation.Relu ? Vector.Max(v, Vector<float>.Zero) : v).StoreUnsafe(ref y, (nuint)i);
                }
            }

            for (; i < plane; i++)
            {
                Unsafe.Add(ref y, i) = ActivationFunctions.Apply(activation, MathF.FusedMultiplyAdd(Unsafe.Add(ref x, i) - m, factor, s), leakyReluSlope);
            }
        }
    }
}
