using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KernelGen;

public static partial class Generic
{
    /// <summary>Element-wise <c>output = activation(a + b)</c>, as <see cref="Reference.Add"/>.</summary>
    /// <param name="a">The first tensor.</param>
    /// <param name="b">The second, as long as <paramref name="a"/>.</param>
    /// <param name="output">As long as <paramref name="a"/>; overwritten. It may be <paramref name="a"/> or <paramref name="b"/> itself.</param>
    /// <param name="activation">Applied to each sum.</param>
    /// <param name="leakyReluSlope">The slope of <see cref="Activation.LeakyRelu"/> for values that are not positive.</param>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> output, Activation activation = Activation.None, float leakyReluSlope = ActivationFunctions.DefaultLeakyReluSlope)
    {
        KernelArguments.Defined(activation, leakyReluSlope);
        KernelArguments.Length(b.Length, a.Length, nameof(b));
        KernelArguments.Length(output.Length, a.Length, nameof(output));

        ref float x = ref MemoryMarshal.GetReference(a), y = ref MemoryMarshal.GetReference(b), z = ref MemoryMarshal.GetReference(output);
        int i = 0, lanes = Lanes;
        if (activation is Activation.None or Activation.Relu)
        {
            for (; i <= a.Length - lanes; i += lanes)
            {
                Vector<float> sum = Vector.LoadUnsafe(ref x, (nuint)i) + Vector.LoadUnsafe(ref y, (nuint)i);
                (activation == Activation.Relu ? Vector.Max(sum, Vector<float>.Zero) : sum).StoreUnsafe(ref z, (nuint)i);
            }
        }

        for (; i < a.Length; i++)
        {
            Unsafe.Add(ref z, i) = ActivationFunctions.Apply(activation, Unsafe.Add(ref x, i) + Unsafe.Add(ref y, i), leakyReluSlope);
        }
    }
}
