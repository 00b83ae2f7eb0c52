using System.IO;
using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>Labeled images: reading IDX pairs with the pixel scaling, loading MNIST from a folder, subsets and copies, and the checks.</summary>
public sealed class LabeledImagesTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Writes <paramref name="count"/> images of 2×3 pixels (every byte value appears somewhere) and their labels.</summary>
    private (string Images, string Labels, byte[] Pixels, byte[] Labelled) WritePair(string prefix, int count, bool gzip = false)
    {
        byte[] pixels = [.. Enumerable.Range(0, count * 6).Select(i => (byte)(i == 1 ? 255 : (i * 37) % 256))];
        byte[] labels = [.. Enumerable.Range(0, count).Select(i => (byte)((i * 3) % 10))];
        byte[] imageFile = IdxBytes.Of([count, 2, 3], pixels), labelFile = IdxBytes.Of([count], labels);
        string suffix = gzip ? ".gz" : "";
        return (_folder.Write($"{prefix}-images-idx3-ubyte{suffix}", gzip ? IdxBytes.Gzip(imageFile) : imageFile),
                _folder.Write($"{prefix}-labels-idx1-ubyte{suffix}", gzip ? IdxBytes.Gzip(labelFile) : labelFile),
                pixels, labels);
    }

    private static void AssertScaled(byte[] pixels, float[] actual, double mean, double std)
    {
        Assert.Equal(pixels.Length, actual.Length);
        for (int i = 0; i < pixels.Length; i++)
        {
            double expected = ((pixels[i] / 255.0) - mean) / std;
            Assert.True(Math.Abs(actual[i] - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)), $"pixel {i} ({pixels[i]}) is {actual[i]}, expected {expected}");
        }
    }

    /// <summary>Eight images of one pixel each whose value is 10 × its index, labelled 0, 1, 2, 0, 1, 2, 0, 1.</summary>
    private static LabeledImages Eight() => new([.. Enumerable.Range(0, 8).Select(i => 10f * i)], [0, 1, 2, 0, 1, 2, 0, 1], 1, 1, 3);

    [Fact]
    public void FromIdx_scales_each_pixel_to_the_unit_interval_by_default()
    {
        (string images, string labels, byte[] pixels, byte[] labelled) = WritePair("train", 5);

        LabeledImages data = LabeledImages.FromIdx(images, labels);

        Assert.Equal(5, data.Count);
        Assert.Equal(2, data.Height);
        Assert.Equal(3, data.Width);
        Assert.Equal(6, data.ImageLength);
        Assert.Equal(10, data.Classes);
        Assert.Equal(labelled.Select(b => (int)b), data.Labels);
        AssertScaled(pixels, data.Images, 0, 1);
        Assert.Equal(1f, data.Images[1]); // the hand-written 255
    }

    [Fact]
    public void FromIdx_takes_other_statistics_and_class_counts()
    {
        (string images, string labels, byte[] pixels, _) = WritePair("other", 4);

        LabeledImages data = LabeledImages.FromIdx(images, labels, classes: 12, mean: 0.5f, std: 0.25f);

        Assert.Equal(12, data.Classes);
        AssertScaled(pixels, data.Images, 0.5, 0.25);
    }

    [Fact]
    public void FromIdx_refuses_files_of_the_wrong_shapes_naming_them()
    {
        (string images, string labels, _, _) = WritePair("good", 3);
        string flat = _folder.Write("flat-images", IdxBytes.Of([3, 6], new byte[18]));
        string fewer = _folder.Write("fewer-labels", IdxBytes.Of([2], new byte[2]));
        string matrix = _folder.Write("matrix-labels", IdxBytes.Of([3, 1], new byte[3]));

        var e = Assert.Throws<InvalidDataException>(() => LabeledImages.FromIdx(flat, labels));
        Assert.Equal($"{flat} has 2 dimensions; images need 3 (count, rows, columns).", e.Message);
        e = Assert.Throws<InvalidDataException>(() => LabeledImages.FromIdx(images, fewer));
        Assert.Equal($"{fewer} has shape [2]; the 3 images of {images} need [3].", e.Message);
        e = Assert.Throws<InvalidDataException>(() => LabeledImages.FromIdx(images, matrix));
        Assert.Contains("has shape [3, 1]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("std", () => LabeledImages.FromIdx(images, labels, std: 0));
        Assert.Throws<ArgumentOutOfRangeException>("std", () => LabeledImages.FromIdx(images, labels, std: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>("mean", () => LabeledImages.FromIdx(images, labels, mean: float.PositiveInfinity));
        var outside = Assert.Throws<InvalidDataException>(() => LabeledImages.FromIdx(images, labels, classes: 5));
        Assert.StartsWith(labels, outside.Message, StringComparison.Ordinal);
        Assert.Contains("outside 0…4", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadMnist_reads_the_four_files_by_their_distribution_names_gzipped_or_not()
    {
        (_, _, byte[] trainPixels, byte[] trainLabels) = WritePair("train", 6);
        (_, _, byte[] testPixels, byte[] testLabels) = WritePair("t10k", 3, gzip: true);

        (LabeledImages train, LabeledImages test) = LabeledImages.LoadMnist(_folder.Path, LabeledImages.MnistMean, LabeledImages.MnistStd);

        Assert.Equal(6, train.Count);
        Assert.Equal(3, test.Count);
        Assert.Equal(trainLabels.Select(b => (int)b), train.Labels);
        Assert.Equal(testLabels.Select(b => (int)b), test.Labels);
        AssertScaled(trainPixels, train.Images, LabeledImages.MnistMean, LabeledImages.MnistStd);
        AssertScaled(testPixels, test.Images, LabeledImages.MnistMean, LabeledImages.MnistStd);
    }

    [Theory]
    [InlineData("train-images-idx3-ubyte")]
    [InlineData("train-labels-idx1-ubyte")]
    [InlineData("t10k-images-idx3-ubyte")]
    [InlineData("t10k-labels-idx1-ubyte")]
    public void LoadMnist_names_a_missing_file_and_the_folder(string missing)
    {
        WritePair("train", 2);
        WritePair("t10k", 2);
        File.Delete(Path.Combine(_folder.Path, missing));

        var e = Assert.Throws<FileNotFoundException>(() => LabeledImages.LoadMnist(_folder.Path));

        Assert.Contains($"'{missing}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{missing}.gz'", e.Message, StringComparison.Ordinal);
        Assert.Contains(_folder.Path, e.Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(_folder.Path, missing), e.FileName);
    }

    [Fact]
    public void Where_keeps_the_images_whose_label_passes_in_order_with_their_pixels()
    {
        LabeledImages data = Eight();

        LabeledImages kept = data.Where(label => label != 1);

        Assert.Equal([0, 2, 0, 2, 0], kept.Labels);
        Assert.Equal([0f, 20f, 30f, 50f, 60f], kept.Images);
        Assert.Equal(3, kept.Classes);
        Assert.Equal(0, data.Where(_ => false).Count);
    }

    [Fact]
    public void Take_keeps_the_first_images_or_all_when_there_are_fewer()
    {
        LabeledImages data = Eight();

        Assert.Equal([0f, 10f, 20f], data.Take(3).Images);
        Assert.Equal([0, 1, 2], data.Take(3).Labels);
        Assert.Equal(8, data.Take(100).Count);
        Assert.Equal(0, data.Take(0).Count);
        Assert.Throws<ArgumentOutOfRangeException>("count", () => data.Take(-1));
    }

    [Fact]
    public void Select_takes_any_indices_in_their_order_repeats_included_and_copies()
    {
        var data = new LabeledImages([.. Enumerable.Range(0, 12).Select(i => (float)i)], [0, 1, 2], 2, 2, 3);

        LabeledImages picked = data.Select([2, 0, 2]);

        Assert.Equal([2, 0, 2], picked.Labels);
        Assert.Equal([8f, 9f, 10f, 11f, 0f, 1f, 2f, 3f, 8f, 9f, 10f, 11f], picked.Images);
        Assert.Equal((2, 2, 3), (picked.Height, picked.Width, picked.Classes));
        picked.Images[0] = -1;
        picked.Labels[0] = 1;
        Assert.Equal(8f, data.Images[8]);
        Assert.Equal(2, data.Labels[2]);
        Assert.Throws<ArgumentOutOfRangeException>("indices", () => data.Select([0, 3]));
        Assert.Throws<ArgumentOutOfRangeException>("indices", () => data.Select([-1]));
    }

    [Fact]
    public void CopyTo_fills_the_buffers_with_the_images_and_labels_at_the_indices()
    {
        LabeledImages data = Eight();
        var images = new float[3];
        var labels = new int[3];

        data.CopyTo([7, 3, 5], images, labels);

        Assert.Equal([70f, 30f, 50f], images);
        Assert.Equal([1, 0, 2], labels);
    }

    [Fact]
    public void CopyTo_refuses_wrongly_sized_buffers_and_bad_indices_naming_them()
    {
        LabeledImages data = Eight();

        Assert.Throws<ArgumentException>("images", () => data.CopyTo([1, 2], new float[3], new int[2]));
        Assert.Throws<ArgumentException>("labels", () => data.CopyTo([1, 2], new float[2], new int[1]));
        Assert.Throws<ArgumentOutOfRangeException>("indices", () => data.CopyTo([8], new float[1], new int[1]));
        Assert.Throws<ArgumentOutOfRangeException>("indices", () => data.CopyTo([-3], new float[1], new int[1]));
    }

    [Fact]
    public void The_constructor_wraps_the_arrays_it_is_given()
    {
        float[] images = [1f, 2f];
        int[] labels = [0, 1];

        var data = new LabeledImages(images, labels, 1, 1, 2);

        Assert.Same(images, data.Images);
        Assert.Same(labels, data.Labels);
    }

    [Fact]
    public void The_constructor_refuses_labels_outside_the_classes_naming_the_label()
    {
        var high = Assert.Throws<ArgumentException>("labels", () => new LabeledImages(new float[3], [0, 9, 10], 1, 1, 10));
        var negative = Assert.Throws<ArgumentException>("labels", () => new LabeledImages(new float[3], [0, -1, 2], 1, 1, 10));

        Assert.StartsWith("Label 2 is 10, outside 0…9.", high.Message, StringComparison.Ordinal);
        Assert.StartsWith("Label 1 is -1, outside 0…9.", negative.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_constructor_refuses_a_pixel_count_that_does_not_match_the_labels_and_size()
    {
        var e = Assert.Throws<ArgumentException>("images", () => new LabeledImages(new float[11], [0, 1], 2, 3, 2));

        Assert.StartsWith("2 labels need 12 pixels of 2×3 images; there are 11.", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("height", () => new LabeledImages([], [], 0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("width", () => new LabeledImages([], [], 1, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>("classes", () => new LabeledImages([], [], 1, 1, 0));
        Assert.Throws<ArgumentNullException>("images", () => new LabeledImages(null!, [], 1, 1, 1));
        Assert.Throws<ArgumentNullException>("labels", () => new LabeledImages([], null!, 1, 1, 1));
    }
}
