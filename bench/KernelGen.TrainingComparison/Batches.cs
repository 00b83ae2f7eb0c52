using KernelGen.Training;

namespace KernelGen.TrainingComparison;

/// <summary>
/// Feeds a framework the training batches in the seeded shuffled order of <see cref="BatchOrder"/>: each
/// framework has its own, and with the same seed they see the same images in the same batches.
/// </summary>
internal sealed class Batches
{
    private readonly LabeledImages _data;
    private readonly BatchOrder _order;

    public Batches(LabeledImages data, int batchSize, int seed)
    {
        _data = data;
        _order = new BatchOrder(data.Count, batchSize, seed);
        Images = new float[batchSize * data.ImageLength];
        Labels = new int[batchSize];
    }

    /// <summary>Batches per epoch.</summary>
    public int Count => _order.BatchCount;

    /// <summary>Floats per image.</summary>
    public int ImageLength => _data.ImageLength;

    /// <summary>The current batch's images, in the first <c>count × ImageLength</c> floats.</summary>
    public float[] Images { get; }

    /// <summary>The current batch's labels, in the first <c>count</c> entries.</summary>
    public int[] Labels { get; }

    /// <summary>Shuffles for <paramref name="epoch"/>.</summary>
    public void StartEpoch(int epoch) => _order.Shuffle(epoch);

    /// <summary>Copies batch <paramref name="index"/> of the epoch into <see cref="Images"/> and <see cref="Labels"/>; returns its size.</summary>
    public int Fill(int index)
    {
        ReadOnlySpan<int> indices = _order.Batch(index);
        _data.CopyTo(indices, Images.AsSpan(0, indices.Length * ImageLength), Labels.AsSpan(0, indices.Length));
        return indices.Length;
    }
}
