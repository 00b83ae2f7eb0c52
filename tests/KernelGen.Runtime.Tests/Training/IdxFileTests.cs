using System.IO;
using KernelGen.Training;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>The IDX reader on files written byte by byte here: dimensions and data, gzip, and every kind of bad file.</summary>
public sealed class IdxFileTests : IDisposable
{
    private readonly TemporaryFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static byte[] Counting(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))];

    [Fact]
    public void Reads_big_endian_dimensions_and_the_data_row_major()
    {
        // 258 = 0x00000102: read little-endian it would be 0x02010000.
        byte[] data = Counting(3 * 258);
        string path = _folder.Write("images-idx2-ubyte", IdxBytes.Of([3, 258], data));

        IdxFile file = IdxFile.Read(path);

        Assert.Equal([3, 258], file.Dimensions);
        Assert.Equal(data, file.Data);
    }

    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 2, 3, 4 })]
    [InlineData(new[] { 2, 1, 3, 2 })]
    public void Reads_one_to_four_dimensions(int[] dimensions)
    {
        byte[] data = Counting(dimensions.Aggregate(1, (a, b) => a * b));

        IdxFile file = IdxFile.Read(new MemoryStream(IdxBytes.Of(dimensions, data)));

        Assert.Equal(dimensions, file.Dimensions);
        Assert.Equal(data, file.Data);
    }

    [Theory]
    [InlineData("t10k-labels-idx1-ubyte.gz")]
    [InlineData("T10K-LABELS-IDX1-UBYTE.GZ")]
    public void Decompresses_a_file_ending_in_gz(string name)
    {
        byte[] data = Counting(1000);
        string path = _folder.Write(name, IdxBytes.Gzip(IdxBytes.Of([1000], data)));

        IdxFile file = IdxFile.Read(path);

        Assert.Equal([1000], file.Dimensions);
        Assert.Equal(data, file.Data);
    }

    [Fact]
    public void A_gzipped_file_not_named_gz_is_refused_as_not_IDX_naming_the_file()
    {
        string path = _folder.Write("train-labels-idx1-ubyte", IdxBytes.Gzip(IdxBytes.Of([4], Counting(4))));

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("is not an IDX file: it starts with 0x1F8B, not 0x0000", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> BadFiles => new()
    {
        { "bad magic", [0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 9], "is not an IDX file: it starts with 0x1234, not 0x0000." },
        { "floats", IdxBytes.Of([1], new byte[4], type: 0x0D), "holds IDX type 0x0D; only unsigned bytes (0x08) are supported." },
        { "signed bytes", IdxBytes.Of([1], new byte[1], type: 0x09), "holds IDX type 0x09; only unsigned bytes (0x08) are supported." },
        { "no dimensions", IdxBytes.Of([], []), "declares 0 dimensions; 1 to 4 are supported." },
        { "five dimensions", IdxBytes.Of([1, 1, 1, 1, 1], [0]), "declares 5 dimensions; 1 to 4 are supported." },
        { "empty", [], "ends after 0 of 4 bytes of the magic number." },
        { "cut in the magic number", [0, 0], "ends after 2 of 4 bytes of the magic number." },
        { "cut in the dimensions", IdxBytes.Of([2, 3, 4], [])[..9], "ends after 1 of 4 bytes of the size of dimension 1." },
        { "zero-sized dimension", IdxBytes.Of([2, 0], []), "declares dimension 1 of size 0." },
        { "negative dimension", IdxBytes.Of([-1], []), "declares dimension 0 of size -1." },
        { "cut in the data", IdxBytes.Of([2, 3, 4], Counting(20)), "ends after 20 of 24 bytes of the 24 values its header declares." },
        { "more than an array", IdxBytes.Of([50_000, 50_000, 1], []), "declares 2500000000 values, more than an array holds." },
        // 65536⁴ = 2⁶⁴, which a 64-bit count wraps to zero.
        { "a count past 64 bits", IdxBytes.Of([65536, 65536, 65536, 65536], []), "more than an array holds." },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_an_InvalidDataException_naming_the_file_and_saying_what_is_wrong(string what, byte[] bytes, string message)
    {
        string path = _folder.Write("bad-idx-ubyte", bytes);

        var e = Assert.Throws<InvalidDataException>(() => IdxFile.Read(path));

        Assert.True(e.Message.StartsWith(path, StringComparison.Ordinal) && e.Message.EndsWith(message, StringComparison.Ordinal),
            $"{what}: {e.Message}");
    }

    [Fact]
    public void A_stream_is_named_as_the_caller_says_or_as_the_IDX_stream()
    {
        byte[] bytes = IdxBytes.Of([4], Counting(3));

        var named = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(bytes), "labels.bin"));
        var unnamed = Assert.Throws<InvalidDataException>(() => IdxFile.Read(new MemoryStream(bytes)));

        Assert.Equal("labels.bin ends after 3 of 4 bytes of the 4 values its header declares.", named.Message);
        Assert.StartsWith("the IDX stream ends after 3 of 4 bytes", unnamed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stream_that_returns_a_few_bytes_at_a_time_is_read_whole()
    {
        byte[] data = Counting(100);

        IdxFile file = IdxFile.Read(new TrickleStream(IdxBytes.Of([10, 10], data)));

        Assert.Equal([10, 10], file.Dimensions);
        Assert.Equal(data, file.Data);
    }

    [Fact]
    public void Missing_paths_and_streams_are_argument_or_file_errors()
    {
        Assert.Throws<ArgumentNullException>("path", () => IdxFile.Read((string)null!));
        Assert.Throws<ArgumentException>("path", () => IdxFile.Read(""));
        Assert.Throws<ArgumentNullException>("stream", () => IdxFile.Read((Stream)null!));
        Assert.Throws<FileNotFoundException>(() => IdxFile.Read(Path.Combine(_folder.Path, "absent-idx1-ubyte")));
    }

    /// <summary>A stream that hands out at most three bytes per read, as a network or decompressing stream may.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 3)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 3));
    }
}
