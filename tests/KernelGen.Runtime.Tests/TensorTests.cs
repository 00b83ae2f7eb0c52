namespace KernelGen.Runtime.Tests;

/// <summary>The Tensor type: creation, indexing, views and tolerance comparison.</summary>
public class TensorTests
{
    [Fact]
    public void Zeros_has_the_shape_and_only_zeros()
    {
        var t = Tensor.Zeros(2, 3, 4);
        Assert.Equal([2, 3, 4], t.Shape.ToArray());
        Assert.Equal(3, t.Rank);
        Assert.Equal(24, t.Length);
        Assert.All(t.AsSpan().ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Random_is_reproducible_per_seed_and_within_minus_one_to_one()
    {
        float[] a = Tensor.Random(7, 100).AsSpan().ToArray();
        Assert.Equal(a, Tensor.Random(7, 100).AsSpan().ToArray());
        Assert.NotEqual(a, Tensor.Random(8, 100).AsSpan().ToArray());
        Assert.All(a, v => Assert.InRange(v, -1f, 1f));
        Assert.True(a.Distinct().Count() > 90);
    }

    [Fact]
    public void FromArray_copies_the_data_and_checks_its_length()
    {
        float[] data = [1, 2, 3, 4, 5, 6];
        var t = Tensor.FromArray(data, 2, 3);
        data[0] = 99;
        Assert.Equal(1f, t[0, 0]);
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => Tensor.FromArray(data, 4, 2)).ParamName);
    }

    [Fact]
    public void Indexer_is_row_major_and_writes_through_to_the_span()
    {
        var t = new Tensor(2, 3, 4, 5);
        t[1, 2, 3, 4] = 5f;
        Assert.Equal(5f, t.AsSpan()[(((((1 * 3) + 2) * 4) + 3) * 5) + 4]);
        t.AsSpan()[0] = 2f;
        Assert.Equal(2f, t[0, 0, 0, 0]);
    }

    [Fact]
    public void Indexer_rejects_the_wrong_rank_and_out_of_range_indices()
    {
        var t = new Tensor(2, 3);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() => t[1]).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentOutOfRangeException>(() => t[0, 3]).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentOutOfRangeException>(() => t[-1, 0]).ParamName);
    }

    [Fact]
    public void Shapes_must_be_positive()
    {
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(2, 0)).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => new Tensor()).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(65536, 65536)).ParamName);
    }

    [Fact]
    public void Reshape_shares_storage()
    {
        var t = new Tensor(2, 6);
        Tensor flat = t.Reshape(12);
        flat[7] = 3f;
        Assert.Equal(3f, t[1, 1]);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => t.Reshape(5)).ParamName);
    }

    [Fact]
    public void Compare_reports_how_many_differ_and_where_the_worst_is()
    {
        var expected = Tensor.FromArray([1, 2, 3, 4, 5, 6], 1, 2, 3);
        var actual = Tensor.FromArray([1, 2.5f, 3, 4, 5, 6.01f], 1, 2, 3);

        TensorComparison c = Tensor.Compare(expected, actual, 0.1);
        Assert.False(c.Matches);
        Assert.Equal(1, c.Mismatches);
        Assert.Equal([0, 0, 1], c.WorstIndex);
        Assert.Equal((2.0, 2.5), (c.Expected, c.Actual));
        Assert.Equal(0.5, c.MaxAbsoluteError, 6);
        Assert.Contains("1 of 6 elements differ", c.Message, StringComparison.Ordinal);
        Assert.Contains("at [0, 0, 1]: expected 2, actual 2.5", c.Message, StringComparison.Ordinal);
        Assert.True(expected.IsCloseTo(actual, 0.1, 0.25));
        Assert.False(expected.IsCloseTo(actual, 0.1, 0.15));
        Assert.True(Tensor.Compare(expected, actual, 0.5).Matches);
    }

    [Fact]
    public void Compare_treats_nan_and_infinity_strictly()
    {
        Assert.True(TensorComparison.Of([float.NaN, float.PositiveInfinity], [float.NaN, float.PositiveInfinity], [2], 0).Matches);
        Assert.False(TensorComparison.Of([1], [float.NaN], [1], 1).Matches);
        Assert.False(TensorComparison.Of([float.PositiveInfinity], [float.NegativeInfinity], [1], 1).Matches);
        Assert.False(TensorComparison.Of([float.MaxValue], [float.PositiveInfinity], [1], 1e30).Matches);
    }

    [Fact]
    public void Compare_refuses_different_shapes()
    {
        TensorComparison c = Tensor.Compare(new Tensor(2, 3), new Tensor(3, 2), 1);
        Assert.False(c.Matches);
        Assert.Equal("Shapes differ: expected [2, 3], actual [3, 2].", c.Message);
    }

    [Fact]
    public void ToString_prints_the_shape_then_the_last_two_dimensions_as_a_grid()
    {
        var t = Tensor.FromArray([7, 11, 11, 17, 25, 23.5f], 1, 2, 3);
        Assert.Equal(
            "Tensor [1, 2, 3]\n[0, :, :]\n     7   11   11\n    17   25 23.5\n",
            t.ToString().ReplaceLineEndings("\n"));
        Assert.Equal("  1 2\n", Tensor.FromArray([1, 2], 2).FormatElements().ReplaceLineEndings("\n"));
    }
}
