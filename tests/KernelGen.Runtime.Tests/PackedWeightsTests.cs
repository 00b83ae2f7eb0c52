namespace KernelGen.Runtime.Tests;

/// <summary>
/// Whether a packed copy of weights is all finite, which lets a dense layer's kernel skip the weights of inputs of zero.
/// </summary>
public class PackedWeightsTests
{
    private static PackedWeights Packed(params float[] values)
    {
        var packed = new PackedWeights("test", values.Length);
        values.CopyTo(packed.Values);
        return packed;
    }

    [Fact]
    public void Finite_weights_are_all_finite()
    {
        Assert.True(Packed(1f, -0f, float.MaxValue, -float.MaxValue, float.Epsilon).AllFinite);
        Assert.True(Packed().AllFinite);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    [InlineData(float.NaN)]
    public void One_infinite_or_NaN_weight_and_they_are_not(float value)
    {
        float[] values = new float[1000];
        values[999] = value;
        PackedWeights packed = Packed(values);
        Assert.False(packed.AllFinite);
        // Found once and kept: the floats do not change after packing.
        Assert.False(packed.AllFinite);
    }
}
