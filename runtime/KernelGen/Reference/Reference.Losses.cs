using System;
using System.Globalization;
using System.Numerics;

namespace KernelGen;

public static partial class Reference
{
    /// <summary>Mean squared error: <c>mean((prediction − target)²)</c> over all elements.</summary>
    /// <param name="predictions">The model's outputs.</param>
    /// <param name="targets">The wanted outputs, as many as <paramref name="predictions"/>.</param>
    public static T MeanSquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets)
        where T : IFloatingPointIeee754<T>
    {
        CheckPairs(predictions.Length, targets.Length);
        double sum = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            double e = D(predictions[i]) - D(targets[i]);
            sum += e * e;
        }

        return Round<T>(sum / predictions.Length);
    }

    /// <summary>The gradient of <see cref="MeanSquaredError"/>: <c>2 (prediction − target) / count</c>.</summary>
    /// <param name="predictions">The model's outputs.</param>
    /// <param name="targets">The wanted outputs.</param>
    /// <param name="gradPredictions">Overwritten with the gradient with respect to the predictions.</param>
    public static void MeanSquaredErrorBackward<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> gradPredictions)
        where T : IFloatingPointIeee754<T>
    {
        CheckPairs(predictions.Length, targets.Length);
        KernelArguments.Length(gradPredictions.Length, predictions.Length, nameof(gradPredictions));
        for (int i = 0; i < predictions.Length; i++)
        {
            gradPredictions[i] = Round<T>(2 * (D(predictions[i]) - D(targets[i])) / predictions.Length);
        }
    }

    /// <summary>
    /// Binary cross-entropy of probabilities: <c>mean(−(t · log p + (1 − t) · log(1 − p)))</c>, each
    /// logarithm clamped to at least −100 as PyTorch does, so that p = 0 or 1 gives a finite loss.
    /// </summary>
    /// <param name="probabilities">Predicted probabilities in [0, 1] (a sigmoid's output).</param>
    /// <param name="targets">Target probabilities in [0, 1], usually 0 or 1.</param>
    public static T BinaryCrossEntropy<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets)
        where T : IFloatingPointIeee754<T>
    {
        CheckPairs(probabilities.Length, targets.Length, nameof(probabilities));
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = D(probabilities[i]), t = D(targets[i]);
            sum -= (t * Math.Max(Math.Log(p), -100)) + ((1 - t) * Math.Max(Math.Log(1 - p), -100));
        }

        return Round<T>(sum / probabilities.Length);
    }

    /// <summary>
    /// The gradient of <see cref="BinaryCrossEntropy"/>: <c>(p − t) / max(p (1 − p), 1e-12) / count</c>.
    /// </summary>
    /// <param name="probabilities">Predicted probabilities.</param>
    /// <param name="targets">Target probabilities.</param>
    /// <param name="gradProbabilities">Overwritten with the gradient with respect to the probabilities.</param>
    public static void BinaryCrossEntropyBackward<T>(ReadOnlySpan<T> probabilities, ReadOnlySpan<T> targets, Span<T> gradProbabilities)
        where T : IFloatingPointIeee754<T>
    {
        CheckPairs(probabilities.Length, targets.Length, nameof(probabilities));
        KernelArguments.Length(gradProbabilities.Length, probabilities.Length, nameof(gradProbabilities));
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = D(probabilities[i]), t = D(targets[i]);
            gradProbabilities[i] = Round<T>((p - t) / Math.Max(p * (1 - p), 1e-12) / probabilities.Length);
        }
    }

    /// <summary>
    /// Binary cross-entropy from logits (PyTorch's <c>BCEWithLogitsLoss</c>, Keras's after a sigmoid): the mean over all
    /// elements of <c>max(z, 0) − z·t + log(1 + e^(−|z|))</c>, which equals <c>−(t log σ(z) + (1 − t) log(1 − σ(z)))</c>
    /// without ever rounding σ(z) to 0 or 1.
    /// </summary>
    /// <param name="logits">The pre-activations z.</param>
    /// <param name="targets">Target probabilities in [0, 1].</param>
    public static T BinaryCrossEntropyWithLogits<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets)
        where T : IFloatingPointIeee754<T>
    {
        CheckPairs(logits.Length, targets.Length, nameof(logits));
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            double z = D(logits[i]), t = D(targets[i]);
            sum += Math.Max(z, 0) - (z * t) + Math.Log(1 + Math.Exp(-Math.Abs(z)));
        }

        return Round<T>(sum / logits.Length);
    }

    /// <summary>The gradient of <see cref="BinaryCrossEntropyWithLogits"/> with respect to the logits: <c>(σ(z) − t) / count</c>.</summary>
    /// <param name="logits">The pre-activations z.</param>
    /// <param name="targets">Target probabilities.</param>
    /// <param name="gradLogits">Overwritten with the gradient.</param>
    public static void BinaryCrossEntropyWithLogitsBackward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradLogits)
        where T : IFloatingPointIeee754<T>
    {
        CheckPairs(logits.Length, targets.Length, nameof(logits));
        KernelArguments.Length(gradLogits.Length, logits.Length, nameof(gradLogits));
        for (int i = 0; i < logits.Length; i++)
        {
            double z = D(logits[i]);
            gradLogits[i] = Round<T>(((1 / (1 + Math.Exp(-z))) - D(targets[i])) / logits.Length);
        }
    }

    /// <summary>
    /// Softmax cross-entropy from logits, averaged over the batch:
    /// <c>mean_n(log Σ_k exp(z[n, k]) − z[n, label[n]])</c>, computed stably with the log-sum-exp of the shifted row.
    /// </summary>
    /// <param name="logits"><c>batch</c> rows of class scores.</param>
    /// <param name="labels">The true class of each row, in <c>[0, classes)</c>.</param>
    /// <param name="batch">Rows.</param>
    public static T SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        int classes = CheckLabels(logits.Length, labels, batch);
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<T> row = logits.Slice(n * classes, classes);
            double max = double.NegativeInfinity;
            foreach (T z in row)
            {
                max = Math.Max(max, D(z));
            }

            double sum = 0;
            foreach (T z in row)
            {
                sum += Math.Exp(D(z) - max);
            }

            total += max + Math.Log(sum) - D(row[labels[n]]);
        }

        return Round<T>(total / batch);
    }

    /// <summary>The gradient of <see cref="SoftmaxCrossEntropy"/> with respect to the logits: <c>(softmax(z) − onehot(label)) / batch</c>.</summary>
    /// <param name="logits"><c>batch</c> rows of class scores.</param>
    /// <param name="labels">The true class of each row.</param>
    /// <param name="gradLogits">Overwritten with the gradient, as long as <paramref name="logits"/>.</param>
    /// <param name="batch">Rows.</param>
    public static void SoftmaxCrossEntropyBackward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> gradLogits, int batch = 1)
        where T : IFloatingPointIeee754<T>
    {
        int classes = CheckLabels(logits.Length, labels, batch);
        KernelArguments.Length(gradLogits.Length, logits.Length, nameof(gradLogits));
        var row = new double[classes];
        for (int n = 0; n < batch; n++)
        {
            SoftmaxRow(logits.Slice(n * classes, classes), row);
            row[labels[n]] -= 1;
            for (int k = 0; k < classes; k++)
            {
                gradLogits[(n * classes) + k] = Round<T>(row[k] / batch);
            }
        }
    }

    private static void CheckPairs(int predictions, int targets, string predictionsName = "predictions")
    {
        if (predictions == 0)
        {
            throw new ArgumentException("A loss needs at least one element.", predictionsName);
        }

        KernelArguments.Length(targets, predictions, "targets");
    }

    private static int CheckLabels(int logits, ReadOnlySpan<int> labels, int batch)
    {
        int classes = Rows(logits, nameof(logits), batch);
        KernelArguments.Length(labels.Length, batch, nameof(labels));
        foreach (int label in labels)
        {
            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, string.Create(CultureInfo.InvariantCulture,
                    $"Every label must be a class index in [0, {classes})."));
            }
        }

        return classes;
    }
}
