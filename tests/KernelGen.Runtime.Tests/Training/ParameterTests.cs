using System.IO;
using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>Parameters: shape and buffers, He and Glorot initialisation (bounds, spread, seeding), zeros, and the checks.</summary>
public class ParameterTests
{
    [Fact]
    public void Values_and_gradients_hold_the_product_of_the_dimensions_and_start_at_zero()
    {
        var parameter = new Parameter("Conv1.weight", [4, 3, 5, 5], Initialization.He, 75, 100);

        Assert.Equal("Conv1.weight", parameter.Name);
        Assert.Equal([4, 3, 5, 5], parameter.Shape);
        Assert.Equal(300, parameter.Values.Length);
        Assert.Equal(300, parameter.Gradients.Length);
        Assert.All(parameter.Values, v => Assert.Equal(0f, v));
        Assert.Equal(Initialization.He, parameter.Initialization);
        Assert.Equal(75, parameter.FanIn);
        Assert.Equal(100, parameter.FanOut);
        Assert.False(parameter.Frozen);
    }

    [Fact]
    public void Gradients_are_made_on_first_use_and_kept()
    {
        // A million floats: the values' 4 MB, and the gradients' 4 MB only when something asks for them.
        long before = GC.GetAllocatedBytesForCurrentThread();
        var parameter = new Parameter("Fc.weight", [1000, 1000], Initialization.Glorot, 1000, 1000);
        parameter.Initialize(new Random(1));
        long constructed = GC.GetAllocatedBytesForCurrentThread() - before;

        float[] gradients = parameter.Gradients;

        Assert.InRange(constructed, 4_000_000, 5_000_000);
        Assert.Equal(1_000_000, gradients.Length);
        Assert.All(gradients, g => Assert.Equal(0f, g));
        Assert.Same(gradients, parameter.Gradients);
        gradients[7] = 3;
        parameter.Initialize(new Random(1));
        Assert.Equal(0f, parameter.Gradients[7]);
    }

    [Fact]
    public void The_shape_is_copied_not_kept()
    {
        int[] shape = [8, 2];
        var parameter = new Parameter("Fc.weight", shape, Initialization.Glorot, 2, 8);

        shape[0] = 99;

        Assert.Equal([8, 2], parameter.Shape);
    }

    [Fact]
    public void Bad_names_and_shapes_are_refused_naming_the_argument()
    {
        Assert.Throws<ArgumentNullException>("name", () => new Parameter(null!, [1], Initialization.Zeros, 1, 1));
        Assert.Throws<ArgumentException>("name", () => new Parameter("", [1], Initialization.Zeros, 1, 1));
        Assert.Throws<ArgumentNullException>("shape", () => new Parameter("w", null!, Initialization.Zeros, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("shape", () => new Parameter("w", [3, 0], Initialization.Zeros, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("shape", () => new Parameter("w", [-2], Initialization.Zeros, 1, 1));
        Assert.Throws<OverflowException>(() => new Parameter("w", [65536, 65536], Initialization.Zeros, 1, 1));
    }

    public static TheoryData<Initialization, int[], int, int, double> Bounds => new()
    {
        // A 5×5 convolution from 3 to 32 channels: fan-in 3·25, fan-out 32·25.
        { Initialization.He, [32, 3, 5, 5], 75, 800, Math.Sqrt(6.0 / 75) },
        { Initialization.Glorot, [32, 3, 5, 5], 75, 800, Math.Sqrt(6.0 / (75 + 800)) },
        // A dense layer from 400 to 10 features.
        { Initialization.He, [10, 400], 400, 10, Math.Sqrt(6.0 / 400) },
        { Initialization.Glorot, [10, 400], 400, 10, Math.Sqrt(6.0 / 410) },
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void He_and_Glorot_draw_uniformly_within_their_bound(Initialization initialization, int[] shape, int fanIn, int fanOut, double bound)
    {
        var parameter = new Parameter("w", shape, initialization, fanIn, fanOut);

        parameter.Initialize(new Random(42));

        float[] values = parameter.Values;
        int n = values.Length;
        Assert.All(values, v => Assert.True(Math.Abs(v) <= (float)bound, $"{v} is outside ±{bound}"));
        Assert.Contains(values, v => v != 0);

        // U(−b, b) has mean 0 and variance b²/3: the sample mean within 4 standard errors, the variance within 10 %,
        // and with thousands of draws the largest reaches past 0.95 b (a smaller bound would fail here).
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        double standardDeviation = bound / Math.Sqrt(3);
        Assert.True(Math.Abs(mean) < 4 * standardDeviation / Math.Sqrt(n), $"mean {mean}");
        Assert.InRange(variance / (bound * bound / 3), 0.9, 1.1);
        Assert.True(values.Max(v => Math.Abs(v)) > 0.95 * bound, $"largest {values.Max(v => Math.Abs(v))} of bound {bound}");
        Assert.True(values.Count(v => v > 0) > n * 0.45 && values.Count(v => v < 0) > n * 0.45, "the signs are not balanced");
    }

    [Theory]
    [InlineData(Initialization.He)]
    [InlineData(Initialization.Glorot)]
    public void The_same_seed_gives_the_same_values_and_another_seed_others(Initialization initialization)
    {
        Parameter Draw(int seed)
        {
            var parameter = new Parameter("w", [6, 4], initialization, 4, 6);
            parameter.Initialize(new Random(seed));
            return parameter;
        }

        Assert.Equal(Draw(7).Values, Draw(7).Values);
        Assert.NotEqual(Draw(7).Values, Draw(8).Values);
    }

    [Fact]
    public void Zeros_initialisation_sets_every_value_to_zero()
    {
        var bias = new Parameter("Fc.bias", [5], Initialization.Zeros, 3, 5);
        TestData.ToFloat(TestData.Uniform(1, 5)).CopyTo(bias.Values, 0);

        bias.Initialize(new Random(3));

        Assert.All(bias.Values, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(Initialization.Zeros)]
    [InlineData(Initialization.He)]
    [InlineData(Initialization.Glorot)]
    public void Initialize_clears_the_gradient(Initialization initialization)
    {
        var parameter = new Parameter("w", [3, 3], initialization, 3, 3);
        TestData.ToFloat(TestData.Uniform(2, 9)).CopyTo(parameter.Gradients, 0);

        parameter.Initialize(new Random(5));

        Assert.All(parameter.Gradients, g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Initialize_without_a_random_source_throws_naming_it()
    {
        var parameter = new Parameter("w", [2], Initialization.He, 1, 1);

        Assert.Throws<ArgumentNullException>("random", () => parameter.Initialize(null!));
    }

    [Fact]
    public void ToString_shows_name_shape_and_whether_frozen()
    {
        var parameter = new Parameter("Conv1.weight", [4, 1, 3, 3], Initialization.He, 9, 36);

        Assert.Equal("Conv1.weight [4, 1, 3, 3]", parameter.ToString());
        parameter.Frozen = true;
        Assert.Equal("Conv1.weight [4, 1, 3, 3] (frozen)", parameter.ToString());
    }

    [Fact]
    public void The_version_moves_with_every_change_the_library_makes_or_is_told_of()
    {
        var weight = new Parameter("Fc.weight", [3, 4], Initialization.Glorot, 4, 3);
        var frozen = new Parameter("Fc.bias", [3], Initialization.Zeros, 4, 3) { Frozen = true };
        long start = weight.Version;

        weight.Initialize(new Random(1));
        Assert.Equal(start + 1, weight.Version);

        weight.Values[0] = 5;                       // a direct write is not seen…
        Assert.Equal(start + 1, weight.Version);
        weight.ValuesChanged();                     // …until declared
        Assert.Equal(start + 2, weight.Version);

        weight.Gradients[0] = 1;
        frozen.Gradients[0] = 1;
        long frozenBefore = frozen.Version;
        new Sgd(0.1f).Step([weight, frozen]);       // an optimizer's step moves what it changes, not a frozen parameter
        Assert.Equal(start + 3, weight.Version);
        Assert.Equal(frozenBefore, frozen.Version);

        string path = Path.Combine(Path.GetTempPath(), $"kernelgen-version-{Guid.NewGuid():N}.safetensors");
        try
        {
            ParameterFile.Save(path, [weight, frozen]);
            ParameterFile.Load(path, [weight, frozen]);
            Assert.Equal(start + 4, weight.Version);
            Assert.Equal(frozenBefore + 1, frozen.Version);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
