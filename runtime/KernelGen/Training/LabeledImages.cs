using System;
using System.IO;
using System.Linq;

namespace KernelGen.Training;

/// <summary>
/// Images with a class label each, held as floats ready for a network: NCHW with one channel, each
/// pixel scaled to [0, 1] — <c>p / 255</c>, as the Keras and TensorFlow introductions do — or, given a mean
/// and a standard deviation, standardised: <c>(p / 255 − mean) / std</c>.
/// </summary>
public sealed class LabeledImages
{
    /// <summary>MNIST's pixel mean and standard deviation over its training set (after scaling to [0, 1]), as PyTorch's examples standardise with.</summary>
    public const float MnistMean = 0.1307f, MnistStd = 0.3081f;

    /// <summary>Wraps images and labels already in memory (not copied).</summary>
    /// <param name="images">Count × <paramref name="height"/> × <paramref name="width"/> floats.</param>
    /// <param name="labels">One label per image, from 0 to <paramref name="classes"/> − 1.</param>
    /// <param name="height">Rows per image.</param>
    /// <param name="width">Columns per image.</param>
    /// <param name="classes">How many classes there are.</param>
    public LabeledImages(float[] images, int[] labels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if ((long)labels.Length * height * width != images.Length)
        {
            throw new ArgumentException($"{labels.Length} labels need {(long)labels.Length * height * width} pixels of {height}×{width} images; there are {images.Length}.", nameof(images));
        }

        int bad = Array.FindIndex(labels, l => l < 0 || l >= classes);
        if (bad >= 0)
        {
            throw new ArgumentException($"Label {bad} is {labels[bad]}, outside 0…{classes - 1}.", nameof(labels));
        }

        Images = images;
        Labels = labels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>The pixels, image after image.</summary>
    public float[] Images { get; }

    /// <summary>The labels, one per image.</summary>
    public int[] Labels { get; }

    /// <summary>Rows per image.</summary>
    public int Height { get; }

    /// <summary>Columns per image.</summary>
    public int Width { get; }

    /// <summary>Floats per image.</summary>
    public int ImageLength => Height * Width;

    /// <summary>How many classes the labels come from.</summary>
    public int Classes { get; }

    /// <summary>How many images there are.</summary>
    public int Count => Labels.Length;

    /// <summary>Reads an IDX image file ([count, rows, columns]) and its IDX label file ([count]).</summary>
    /// <exception cref="InvalidDataException">The files do not have those shapes, or disagree on the count.</exception>
    public static LabeledImages FromIdx(string imagesPath, string labelsPath, int classes = 10, float mean = 0f, float std = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        if (!(std > 0) || float.IsInfinity(std) || !float.IsFinite(mean))
        {
            throw new ArgumentOutOfRangeException(float.IsFinite(mean) ? nameof(std) : nameof(mean), float.IsFinite(mean) ? std : mean,
                "The standard deviation must be positive and finite, and the mean finite.");
        }

        IdxFile images = IdxFile.Read(imagesPath), labels = IdxFile.Read(labelsPath);
        if (images.Dimensions.Count != 3)
        {
            throw new InvalidDataException($"{imagesPath} has {images.Dimensions.Count} dimensions; images need 3 (count, rows, columns).");
        }

        if (labels.Dimensions.Count != 1 || labels.Dimensions[0] != images.Dimensions[0])
        {
            throw new InvalidDataException($"{labelsPath} has shape [{string.Join(", ", labels.Dimensions)}]; the {images.Dimensions[0]} images of {imagesPath} need [{images.Dimensions[0]}].");
        }

        int bad = Array.FindIndex(labels.Data, l => l >= classes);
        if (bad >= 0)
        {
            throw new InvalidDataException($"{labelsPath} gives label {labels.Data[bad]} to image {bad}, outside 0…{classes - 1}.");
        }

        var pixels = new float[images.Data.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = ((images.Data[i] / 255f) - mean) / std;
        }

        int[] classLabels = labels.Data.Select(b => (int)b).ToArray();
        return new LabeledImages(pixels, classLabels, images.Dimensions[1], images.Dimensions[2], classes);
    }

    /// <summary>
    /// Reads the MNIST training and test sets from <paramref name="directory"/>: the four files as the original
    /// distribution names them (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>,
    /// <c>t10k-labels-idx1-ubyte</c>), each optionally gzipped (<c>.gz</c>).
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it and the folder.</exception>
    public static (LabeledImages Train, LabeledImages Test) LoadMnist(string directory, float mean = 0f, float std = 1f)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string Find(string name)
        {
            string path = Path.Combine(directory, name);
            return File.Exists(path) ? path
                : File.Exists(path + ".gz") ? path + ".gz"
                : throw new FileNotFoundException($"The MNIST file '{name}' (or '{name}.gz') is not in '{Path.GetFullPath(directory)}'.", path);
        }

        return (FromIdx(Find("train-images-idx3-ubyte"), Find("train-labels-idx1-ubyte"), 10, mean, std),
                FromIdx(Find("t10k-images-idx3-ubyte"), Find("t10k-labels-idx1-ubyte"), 10, mean, std));
    }

    /// <summary>The images whose label satisfies <paramref name="keep"/>, in their order, copied.</summary>
    public LabeledImages Where(Func<int, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return Select(Enumerable.Range(0, Count).Where(i => keep(Labels[i])).ToArray());
    }

    /// <summary>The first <paramref name="count"/> images (all of them when there are fewer), copied.</summary>
    public LabeledImages Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return Select(Enumerable.Range(0, Math.Min(count, Count)).ToArray());
    }

    /// <summary>The images at <paramref name="indices"/>, in that order, copied.</summary>
    public LabeledImages Select(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var images = new float[indices.Length * ImageLength];
        var labels = new int[indices.Length];
        CopyTo(indices, images, labels);
        return new LabeledImages(images, labels, Height, Width, Classes);
    }

    /// <summary>Copies the images and labels at <paramref name="indices"/> into <paramref name="images"/> and <paramref name="labels"/>.</summary>
    public void CopyTo(ReadOnlySpan<int> indices, Span<float> images, Span<int> labels)
    {
        KernelArguments.Length(images.Length, indices.Length, ImageLength, nameof(images));
        KernelArguments.Length(labels.Length, indices.Length, 1, nameof(labels));
        for (int i = 0; i < indices.Length; i++)
        {
            int index = indices[i];
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(indices));
            Images.AsSpan(index * ImageLength, ImageLength).CopyTo(images.Slice(i * ImageLength, ImageLength));
            labels[i] = Labels[index];
        }
    }
}

/// <summary>
/// Splits a data set into batches in a shuffled order: epoch <c>e</c>'s order is a Fisher–Yates
/// permutation drawn from <c>new Random(seed + e)</c>, so a seed fixes every epoch, and any epoch can be
/// replayed on its own.
/// </summary>
public sealed class BatchOrder
{
    private readonly int[] _order;
    private readonly int _seed;

    /// <summary>Creates the order for <paramref name="count"/> samples in batches of <paramref name="batchSize"/> (the last may be smaller).</summary>
    public BatchOrder(int count, int batchSize, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _order = new int[count];
        _seed = seed;
        BatchSize = batchSize;
        Shuffle(0);
    }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchCount => (_order.Length + BatchSize - 1) / BatchSize;

    /// <summary>Orders the samples for <paramref name="epoch"/>.</summary>
    public void Shuffle(int epoch)
    {
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }

        var random = new Random(unchecked(_seed + epoch));
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    /// <summary>The sample indices of batch <paramref name="index"/> of the current epoch.</summary>
    public ReadOnlySpan<int> Batch(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)BatchCount, nameof(index));
        int start = index * BatchSize;
        return _order.AsSpan(start, Math.Min(BatchSize, _order.Length - start));
    }
}
