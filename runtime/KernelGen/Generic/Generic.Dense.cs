using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen;

public static partial class Generic
{
    /// <summary>Dense layer of any shape, computing what <see cref="Reference.Dense{T}"/> computes.</summary>
    /// <param name="geometry">The layer's shape.</param>
    /// <param name="input"><c>batch * InFeatures</c> elements.</param>
    /// <param name="weights"><c>[OutFeatures, InFeatures]</c> weights.</param>
    /// <param name="bias">Bias per output feature, or empty for none.</param>
    /// <param name="output"><c>batch * OutFeatures</c> elements; overwritten.</param>
    /// <param name="batch">Samples in the activation spans.</param>
    /// <param name="activation">Applied to every output element.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Dense(
        DenseGeometry geometry, ReadOnlySpan<float> input, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> output,
        int batch = 1, Activation activation = Activation.None, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
    {
        KernelArguments.Dense(geometry, input.Length, weights.Length, bias.Length, output.Length, batch, activation, leakyReluSlope);

        int inFeatures = geometry.InFeatures, outFeatures = geometry.OutFeatures, lanes = Lanes;
        int vectorsEnd = inFeatures / lanes * lanes;
        for (int n = 0; n < batch; n++)
        {
            ref float x = ref Unsafe.Add(ref MemoryMarshal.GetReference(input), n * inFeatures);
            for (int o = 0; o < outFeatures; o += 4)
            {
                // Four output features share each load of the input; a missing one repeats the first row unused.
                int count = Math.Min(4, outFeatures - o);
                ref float w0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(weights), o * inFeatures);
                ref float w1 = ref Unsafe.Add(ref w0, count > 1 ? inFeatures : 0);
                ref float w2 = ref Unsafe.Add(ref w0, count > 2 ? 2 * inFeatures : 0);
                ref float w3 = ref Unsafe.Add(ref w0, count > 3 ? 3 * inFeatures : 0);
                Vector<float> a0 = Vector<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int i = 0; i < vectorsEnd; i += lanes)
                {
                    Vector<float> xi = Vector.LoadUnsafe(ref x, (nuint)i);
                    a0 = MultiplyAdd(Vector.LoadUnsafe(ref w0, (nuint)i), xi, a0);
                    a1 = MultiplyAdd(Vector.LoadUnsafe(ref w1, (nuint)i), xi, a1);
                    a2 = MultiplyAdd(Vector.LoadUnsafe(ref w2, (nuint)i), xi, a2);
                    a3 = MultiplyAdd(Vector.LoadUnsafe(ref w3, (nuint)i), xi, a3);
                }

                Span<float> sums = [Vector.Sum(a0), Vector.Sum(a1), Vector.Sum(a2), Vector.Sum(a3)];
                for (int i = vectorsEnd; i < inFeatures; i++)
                {
                    float xi = Unsafe.Add(ref x, i);
                    sums[0] += Unsafe.Add(ref w0, i) * xi;
                    sums[1] += Unsafe.Add(ref w1, i) * xi;
                    sums[2] += Unsafe.Add(ref w2, i) * xi;
                    sums[3] += Unsafe.Add(ref w3, i) * xi;
                }

                for (int j = 0; j < count; j++)
                {
                    output[(n * outFeatures) + o + j] = ActivationFunctions.Apply(activation, sums[j] + (bias.IsEmpty ? 0 : bias[o + j]), leakyReluSlope);
                }
            }
        }
    }
}
