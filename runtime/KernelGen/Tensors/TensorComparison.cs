using System;
using System.Globalization;

namespace KernelGen;

/// <summary>
/// The result of comparing two tensors within a tolerance: whether they match and, if not, how many
/// elements differ and the worst one, with its position. Its <see cref="ToString"/> is a message fit for a test failure.
/// </summary>
public sealed record TensorComparison
{
    private TensorComparison(bool matches, string message)
    {
        Matches = matches;
        Message = message;
    }

    /// <summary>Whether the shapes are equal and every element is within the tolerance.</summary>
    public bool Matches { get; }

    /// <summary>Elements outside the tolerance.</summary>
    public int Mismatches { get; private init; }

    /// <summary>The position of the element furthest outside its tolerance (or the largest error when all match).</summary>
    public int[] WorstIndex { get; private init; } = [];

    /// <summary>The expected value at <see cref="WorstIndex"/>.</summary>
    public double Expected { get; private init; }

    /// <summary>The actual value at <see cref="WorstIndex"/>.</summary>
    public double Actual { get; private init; }

    /// <summary>The largest absolute error over all elements.</summary>
    public double MaxAbsoluteError { get; private init; }

    /// <summary>The largest ratio of an element's error to its tolerance: at most 1 when they match.</summary>
    public double MaxErrorToTolerance { get; private init; }

    /// <summary>A sentence saying what matched or where they differ.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;

    /// <summary>
    /// Compares two spans of elements of the given shape: element i matches when
    /// <c>|actual − expected| ≤ absoluteTolerance + relativeTolerance · |expected|</c>; NaN matches only NaN,
    /// and an infinity only the same infinity.
    /// </summary>
    public static TensorComparison Of(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, ReadOnlySpan<int> shape, double absoluteTolerance, double relativeTolerance = 0)
    {
        if (expected.Length != actual.Length)
        {
            return new TensorComparison(false, Text($"Lengths differ: expected {expected.Length} elements, actual {actual.Length}."));
        }

        int mismatches = 0, worst = -1;
        double worstRatio = -1, maxError = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            double error = e.Equals(a) ? 0 : Math.Abs(a - e);
            double tolerance = absoluteTolerance + (relativeTolerance * Math.Abs(e));
            double ratio = double.IsNaN(error) ? double.PositiveInfinity : tolerance > 0 ? error / tolerance : error > 0 ? double.PositiveInfinity : 0;
            if (ratio > 1)
            {
                mismatches++;
            }

            if (!double.IsNaN(error))
            {
                maxError = Math.Max(maxError, error);
            }

            if (ratio > worstRatio)
            {
                worstRatio = ratio;
                worst = i;
            }
        }

        int[] position = worst < 0 ? [] : shape.IsEmpty ? [worst] : TensorFormat.Unravel(worst, shape);
        string where = worst < 0 ? "" : Text($" at [{string.Join(", ", position)}]: expected {expected[worst]:R}, actual {actual[worst]:R}");
        string message = mismatches == 0
            ? Text($"All {expected.Length} elements match; largest error {maxError:G3}{where}.")
            : Text($"{mismatches} of {expected.Length} elements differ by more than {absoluteTolerance:G3} + {relativeTolerance:G3}·|expected|; worst{where} (error {Math.Abs(actual[worst] - expected[worst]):G3}).");
        return new TensorComparison(mismatches == 0, message)
        {
            Mismatches = mismatches,
            WorstIndex = position,
            Expected = worst < 0 ? 0 : expected[worst],
            Actual = worst < 0 ? 0 : actual[worst],
            MaxAbsoluteError = maxError,
            MaxErrorToTolerance = Math.Max(worstRatio, 0),
        };
    }

    internal static TensorComparison ShapeMismatch(int[] expected, int[] actual) =>
        new(false, Text($"Shapes differ: expected [{string.Join(", ", expected)}], actual [{string.Join(", ", actual)}]."));

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
