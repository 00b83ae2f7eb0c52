using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using KernelGen.Runtime.Tests.Training;
using KernelGen.Tests.Shared;
using KernelGen.Training;
using Xunit.Abstractions;

namespace KernelGen.Runtime.Tests;

/// <summary>
/// The safetensors, IDX and parameter-file readers on damaged and hostile files (<see cref="FileFuzzer"/>): only their
/// documented exceptions, each with a message; no allocation beyond a small multiple of the file; and a failed
/// <c>Load</c> leaves a network's parameters exactly as they were. docs/reliability.md gives the figures.
/// </summary>
public class FileReaderFuzzTests(ITestOutputHelper output)
{
    /// <summary>Bytes a read may allocate for a file of <paramref name="length"/> bytes: the floats of every byte, its JSON, buffers.</summary>
    private static long Allowance(long length) => (32 * length) + (256 * 1024);

    private static string? Documented(Exception e, params Type[] types) =>
        !types.Contains(e.GetType()) ? $"{e.GetType().Name} is not one of the documented {string.Join(", ", types.Select(t => t.Name))}"
        : string.IsNullOrWhiteSpace(e.Message) ? "the exception has no message"
        : null;

    private static byte[] Safetensors(params (string Name, Tensor Tensor)[] tensors)
    {
        using var stream = new MemoryStream();
        KernelGen.Safetensors.Write(stream, tensors.Select(t => KeyValuePair.Create(t.Name, t.Tensor)), new Dictionary<string, string> { ["format"] = "pt" });
        return stream.ToArray();
    }

    /// <summary>A safetensors file written byte by byte: the header as given (any bytes, valid UTF-8 or not), then the data.</summary>
    private static byte[] Safetensors(byte[] header, byte[] data) =>
        [.. BitConverter.GetBytes((ulong)header.Length), .. header, .. data];

    /// <summary>Headers built from pieces that are each valid or not: names repeated or not UTF-8, every dtype, odd shapes and offsets.</summary>
    private static IEnumerable<(string, byte[])> SafetensorsHeaders(int count)
    {
        byte[][] names = [.. new[] { "a", "b", "a", "Conv1.weight", "é", "__metadata__", "" }.Select(Encoding.UTF8.GetBytes), [0xFF, 0xFE], [0xC3]];
        string[] dtypes = ["\"F32\"", "\"F64\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"U8\"", "\"C64\"", "\"\"", "5", "null"];
        string[] shapes = ["[]", "[1]", "[2,3]", "[0]", "[-1]", "[2147483648]", "[\"2\"]", "[1.5]", "\"x\"", "[65536,65536,65536,65536]", "[1,1,1,1,1,1,1,1]"];
        string[] offsets = ["[0,4]", "[0,24]", "[4,8]", "[0,0]", "[-1,4]", "[0,18446744073709551615]", "[\"0\",4]", "[0]", "[0,4,8]", "[1e300,2]", "[8,4]", "{}"];
        var random = new Random(FileFuzzer.Seed);
        for (int i = 0; i < count; i++)
        {
            var header = new List<byte>("{"u8.ToArray());
            for (int entries = random.Next(4), e = 0; e < entries; e++)
            {
                string body = random.Next(10) == 0 ? "[]"
                    : $"{{\"dtype\":{dtypes[random.Next(dtypes.Length)]},\"shape\":{shapes[random.Next(shapes.Length)]},\"data_offsets\":{offsets[random.Next(offsets.Length)]}}}";
                header.AddRange(Encoding.UTF8.GetBytes(e > 0 ? ",\"" : "\""));
                header.AddRange(names[random.Next(names.Length)]);
                header.AddRange(Encoding.UTF8.GetBytes("\":" + body));
            }

            header.Add((byte)'}');
            var data = new byte[random.Next(33)];
            random.NextBytes(data);
            yield return ($"header {i} of seed {FileFuzzer.Seed}: {Encoding.UTF8.GetString([.. header])} and {data.Length} data bytes", Safetensors([.. header], data));
        }
    }

    [Fact]
    public void Safetensors_reader_survives_damaged_files_with_only_its_documented_exceptions()
    {
        byte[] floats = Safetensors(("Conv1.weight", Tensor.Random(1, 4, 1, 3, 3)), ("Conv1.bias", Tensor.Random(2, 4)));
        byte[] dtypes = Safetensors(Encoding.UTF8.GetBytes("""
            {"counter":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"half":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},
             "brain":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},"small":{"dtype":"U8","shape":[2,1],"data_offsets":[22,24]},
             "scalar":{"dtype":"F64","shape":[],"data_offsets":[24,32]},"__metadata__":{"format":"pt"}}
            """), new byte[32]);
        var fuzzer = new FileFuzzer("safetensors", bytes => KernelGen.Safetensors.Read(new MemoryStream(bytes)),
            e => Documented(e, typeof(InvalidDataException), typeof(NotSupportedException)), Allowance);

        FileFuzzer.Figures figures = fuzzer.Run(output, [floats, dtypes], FileFuzzer.Iterations(6000), SafetensorsHeaders(FileFuzzer.Iterations(3000)));

        // The mutants reach past the length field: some still read (a flipped bit in the data), most are refused.
        Assert.InRange(figures.Read, 50, figures.Inputs / 2);
    }

    [Fact]
    public void Idx_reader_survives_damaged_files_plain_and_gzipped_with_only_InvalidDataException()
    {
        byte[] images = IdxBytes.Of([3, 4, 5], [.. Enumerable.Range(0, 60).Select(i => (byte)(i * 7))]), labels = IdxBytes.Of([10], [.. Enumerable.Range(0, 10).Select(i => (byte)i)]);
        var plain = new FileFuzzer("IDX", bytes => IdxFile.Read(new MemoryStream(bytes), "fuzzed.idx"), e => Documented(e, typeof(InvalidDataException)), Allowance);
        var gzipped = new FileFuzzer("IDX, gzipped", bytes => IdxFile.Read(new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress), "fuzzed.idx.gz"),
            e => Documented(e, typeof(InvalidDataException)), Allowance);

        FileFuzzer.Figures plainFigures = plain.Run(output, [images, labels], FileFuzzer.Iterations(6000));
        FileFuzzer.Figures gzippedFigures = gzipped.Run(output, [IdxBytes.Gzip(images), IdxBytes.Gzip(labels)], FileFuzzer.Iterations(3000));

        Assert.InRange(plainFigures.Read, 50, plainFigures.Inputs / 2);
        Assert.InRange(gzippedFigures.Refused, gzippedFigures.Inputs / 2, gzippedFigures.Inputs);
    }

    [Fact]
    public void A_failed_parameter_load_leaves_every_parameter_as_it_was()
    {
        var network = new LinearSoftmaxNetwork(features: 6, classes: 3, seed: 5);
        using var folder = new TemporaryFolder();
        string path = Path.Combine(folder.Path, "network.safetensors");
        ParameterFile.Save(path, network.Parameters);
        byte[] saved = File.ReadAllBytes(path);
        int unchanged = 0;
        var fuzzer = new FileFuzzer("parameter file (Load)", bytes =>
        {
            File.WriteAllBytes(path, bytes);
            int[][] before = [.. network.Parameters.Select(p => p.Values.Select(BitConverter.SingleToInt32Bits).ToArray())];
            try
            {
                ParameterFile.Load(path, network.Parameters);
            }
            catch
            {
                for (int i = 0; i < before.Length; i++)
                {
                    Assert.Equal(before[i], network.Parameters[i].Values.Select(BitConverter.SingleToInt32Bits));
                }

                unchanged++;
                throw;
            }
        }, e => Documented(e, typeof(InvalidDataException), typeof(NotSupportedException), typeof(KeyNotFoundException)), length => Allowance(length) + (64 * 1024));

        FileFuzzer.Figures figures = fuzzer.Run(output, [saved], FileFuzzer.Iterations(2000));

        Assert.Equal(figures.Refused, unchanged);
        Assert.InRange(figures.Refused, figures.Inputs / 2, figures.Inputs);
    }
}
