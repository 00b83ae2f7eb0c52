namespace KernelGen.Runtime.Tests;

/// <summary>
/// Wrong span lengths and non-positive batches are rejected with an exception that names the
/// parameter, the expected and the actual length — before a single output element is written.
/// </summary>
public class BadInputTests
{
    private const float Untouched = 42f;

    private static readonly Conv2DGeometry Conv = new(2, 5, 5, 3, 3, 3);
    private static readonly Pool2DGeometry Pool = new(2, 4, 4, 2, 2);
    private static readonly DenseGeometry Fc = new(6, 4);

    public static TheoryData<string, int> ConvSpans => new()
    {
        { "input", 1 }, { "input", -1 }, { "weights", 1 }, { "weights", -1 }, { "bias", 1 }, { "output", 1 }, { "output", -1 },
    };

    [Theory]
    [MemberData(nameof(ConvSpans))]
    public void Conv2D_rejects_a_span_of_the_wrong_length(string parameter, int delta)
    {
        int Length(string name, int valid) => name == parameter ? valid + delta : valid;
        float[] input = new float[Length("input", 2 * Conv.InputLength)];
        float[] weights = new float[Length("weights", Conv.WeightLength)];
        float[] bias = new float[Length("bias", Conv.BiasLength)];
        float[] output = new float[Length("output", 2 * Conv.OutputLength)];
        Array.Fill(output, Untouched);

        var e = Assert.Throws<ArgumentException>(() => Reference.Conv2D<float>(Conv, input, weights, bias, output, 2));

        Assert.Equal(parameter, e.ParamName);
        Assert.Contains($"holds {(parameter switch { "input" => input, "weights" => weights, "bias" => bias, _ => output }).Length}", e.Message, StringComparison.Ordinal);
        Assert.All(output, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void A_wrong_length_message_states_expected_and_actual()
    {
        var e = Assert.Throws<ArgumentException>(() => Reference.Conv2D<float>(Conv, new float[49], new float[Conv.WeightLength], [], new float[Conv.OutputLength]));
        Assert.Equal("Expected 50 elements, but the span holds 49. (Parameter 'input')", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Every_batched_operation_rejects_a_non_positive_batch(int batch)
    {
        float[] output = new float[Conv.OutputLength];
        Array.Fill(output, Untouched);
        Action[] calls =
        [
            () => Reference.Conv2D<float>(Conv, new float[Conv.InputLength], new float[Conv.WeightLength], [], output, batch),
            () => Reference.Conv2DBackward<float>(Conv, new float[Conv.InputLength], new float[Conv.WeightLength], new float[Conv.OutputLength], output, [], [], batch),
            () => Reference.MaxPool2D<float>(Pool, new float[Pool.InputLength], output, batch),
            () => Reference.MaxPool2DBackward<float>(Pool, new float[Pool.InputLength], new float[Pool.OutputLength], output, batch),
            () => Reference.AvgPool2D<float>(Pool, new float[Pool.InputLength], output, batch),
            () => Reference.AvgPool2DBackward<float>(Pool, new float[Pool.OutputLength], output, batch),
            () => Reference.GlobalAvgPool2D<float>(2, 4, 4, new float[32], output, batch),
            () => Reference.GlobalAvgPool2DBackward<float>(2, 4, 4, new float[2], output, batch),
            () => Reference.Dense<float>(Fc, new float[6], new float[Fc.WeightLength], [], output, batch),
            () => Reference.DenseBackward<float>(Fc, new float[6], new float[Fc.WeightLength], new float[4], output, [], [], batch),
            () => Reference.Softmax<float>(new float[4], output, batch),
            () => Reference.SoftmaxBackward<float>(new float[4], new float[4], output, batch),
            () => Reference.SoftmaxCrossEntropyBackward<float>(new float[4], [0], output, batch),
        ];

        foreach (Action call in calls)
        {
            Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(call).ParamName);
        }

        Assert.All(output, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void Pools_reject_wrong_lengths_before_writing()
    {
        float[] output = new float[Pool.OutputLength];
        Array.Fill(output, Untouched);
        AssertParameter("input", () => Reference.MaxPool2D<float>(Pool, new float[Pool.InputLength + 1], output));
        AssertParameter("output", () => Reference.MaxPool2D<float>(Pool, new float[Pool.InputLength], new float[Pool.OutputLength - 1]));
        AssertParameter("input", () => Reference.AvgPool2D<float>(Pool, new float[Pool.InputLength], output, 2));
        AssertParameter("gradInput", () => Reference.MaxPool2DBackward<float>(Pool, new float[Pool.InputLength], new float[Pool.OutputLength], output));
        AssertParameter("output", () => Reference.GlobalAvgPool2D<float>(2, 4, 4, new float[32], output));
        Assert.All(output, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void Batch_norm_rejects_wrong_lengths_and_a_bad_epsilon_before_writing()
    {
        float[] output = [7, 7, 7, 7];
        float[] two = [1, 1], one = [1];
        AssertParameter("mean", () => Reference.BatchNorm2D<float>(2, 1, 2, new float[4], two, two, one, two, output));
        AssertParameter("output", () => Reference.BatchNorm2D<float>(2, 1, 2, new float[4], two, two, two, two, output.AsSpan(0, 3)));
        AssertParameter("epsilon", () => Reference.BatchNorm2D<float>(2, 1, 2, new float[4], two, two, two, two, output, epsilon: -1));
        AssertParameter("variance", () => Generic.BatchNorm2D(2, 1, 2, new float[4], two, two, two, one, output));
        AssertParameter("epsilon", () => Generic.BatchNorm2D(2, 1, 2, new float[4], two, two, two, two, output, epsilon: 0));
        AssertParameter("gradScale", () => Reference.BatchNorm2DTrainingBackward<float>(2, 1, 2, new float[4], two, new float[4], output, one, []));
        AssertParameter("momentum", () => Reference.UpdateRunningStatistics<float>(two, two, two, two, 4, momentum: 2));
        Assert.Equal([7f, 7f, 7f, 7f], output);
    }

    [Fact]
    public void Add_and_its_backward_reject_wrong_lengths_before_writing()
    {
        float[] output = [7, 7, 7];
        AssertParameter("b", () => Reference.Add<float>(new float[3], new float[2], output));
        AssertParameter("output", () => Reference.Add<float>(new float[2], new float[2], output));
        AssertParameter("b", () => Generic.Add(new float[3], new float[4], output));
        AssertParameter("gradB", () => Reference.AddBackward<float>(Activation.None, new float[3], new float[3], new float[3], output.AsSpan(0, 2)));
        Assert.Throws<ArgumentOutOfRangeException>("activation", () => Reference.Add<float>(new float[3], new float[3], output, (Activation)10));
        Assert.Equal([7f, 7f, 7f], output);
    }

    [Fact]
    public void Dense_and_its_backward_reject_wrong_lengths_before_writing()
    {
        float[] output = new float[4];
        Array.Fill(output, Untouched);
        AssertParameter("weights", () => Reference.Dense<float>(Fc, new float[6], new float[23], [], output));
        AssertParameter("bias", () => Reference.Dense<float>(Fc, new float[6], new float[24], new float[3], output));
        AssertParameter("input", () => Reference.Dense<float>(Fc, new float[7], new float[24], [], output));
        AssertParameter("gradWeights", () => Reference.DenseBackward<float>(Fc, new float[6], new float[24], new float[4], [], output, []));
        AssertParameter("gradInput", () => Reference.DenseBackward<float>(Fc, new float[6], new float[24], new float[4], output, [], []));
        Assert.All(output, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void Losses_reject_mismatched_lengths_and_out_of_range_labels()
    {
        float[] gradient = [Untouched, Untouched, Untouched, Untouched];
        AssertParameter("targets", () => Reference.MeanSquaredError<float>(new float[4], new float[3]));
        AssertParameter("predictions", () => Reference.MeanSquaredError<float>([], []));
        AssertParameter("probabilities", () => Reference.BinaryCrossEntropyBackward<float>([], [], gradient));
        AssertParameter("logits", () => Reference.SoftmaxCrossEntropy<float>(new float[5], [0, 1], 2));
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => Reference.SoftmaxCrossEntropyBackward<float>(new float[4], [0, 2], gradient, 2)).ParamName);
        Assert.Equal("labels", Assert.Throws<ArgumentOutOfRangeException>(() => Reference.SoftmaxCrossEntropy<float>(new float[4], [-1, 0], 2)).ParamName);
        Assert.All(gradient, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void An_undefined_activation_is_rejected()
    {
        float[] output = [Untouched, Untouched, Untouched, Untouched];
        Assert.Equal("activation", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Reference.Dense<float>(Fc, new float[6], new float[24], [], output, activation: (Activation)10)).ParamName);
        Assert.All(output, v => Assert.Equal(Untouched, v));
    }

    [Fact]
    public void A_batch_too_large_for_a_span_is_rejected()
    {
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Reference.Conv2D<float>(Conv, [], new float[Conv.WeightLength], [], [], int.MaxValue / 10)).ParamName);
    }

    private static void AssertParameter(string parameter, Action call) =>
        Assert.Equal(parameter, Assert.ThrowsAny<ArgumentException>(call).ParamName);
}
