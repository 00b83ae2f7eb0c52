using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace KernelGen.Runtime.Tests;

/// <summary>The safetensors reader and writer: round trips, the byte layout PyTorch expects, and every kind of bad file.</summary>
public class SafetensorsTests
{
    private static byte[] Bytes(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    private static IReadOnlyDictionary<string, Tensor> Read(byte[] bytes) => Safetensors.Read(new MemoryStream(bytes));

    /// <summary>A file written by hand: the header as given, then the data.</summary>
    private static byte[] File(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    [Fact]
    public void Round_trip_keeps_names_shapes_order_and_every_bit()
    {
        Tensor weight = Tensor.Random(1, 32, 1, 3, 3), bias = Tensor.FromArray([float.NaN, -0f, float.PositiveInfinity, float.Epsilon], 4);
        var tensors = new Dictionary<string, Tensor> { ["Conv1.weight"] = weight, ["Conv1.bias"] = bias };

        IReadOnlyDictionary<string, Tensor> read = Read(Bytes(tensors));

        Assert.Equal(["Conv1.weight", "Conv1.bias"], read.Keys);
        foreach ((string name, Tensor tensor) in tensors)
        {
            Assert.Equal(tensor.Shape.ToArray(), read[name].Shape.ToArray());
            Assert.Equal(tensor.AsSpan().ToArray().Select(BitConverter.SingleToInt32Bits), read[name].AsSpan().ToArray().Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Layout_is_the_safetensors_one_length_json_padded_to_8_then_little_endian_data()
    {
        byte[] bytes = Bytes(
            [new("a", Tensor.FromArray([1f, 2f], 2)), new("b", Tensor.FromArray([3f, 4f, 5f, 6f, 7f, 8f], 2, 3))],
            new Dictionary<string, string> { ["format"] = "pt" });

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + (8 * sizeof(float)), bytes.Length);
        using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd(' '));
        JsonElement root = header.RootElement;
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("F32", root.GetProperty("b").GetProperty("dtype").GetString());
        Assert.Equal([2, 3], root.GetProperty("b").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([8L, 32L], root.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(3f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)headerLength + 8)));
    }

    [Fact]
    public void Reads_a_file_written_elsewhere_with_F64_tensors_in_any_header_order()
    {
        var data = new byte[(2 * 8) + 4];
        BinaryPrimitives.WriteDoubleLittleEndian(data, 0.5);
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8), -1.25);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(16), 7f);
        byte[] bytes = File("""{"y":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""", data);

        IReadOnlyDictionary<string, Tensor> read = Read(bytes);

        Assert.Equal([0.5f, -1.25f], read["x"].AsSpan().ToArray());
        Assert.Equal([7f], read["y"].AsSpan().ToArray());
    }

    [Fact]
    public void CopyTensor_fills_the_destination_when_name_and_shape_match()
    {
        IReadOnlyDictionary<string, Tensor> read = Read(Bytes([new("Fc1.bias", Tensor.FromArray([1f, 2f, 3f], 3))]));
        var destination = new float[3];

        Safetensors.CopyTensor(read, "Fc1.bias", [3], destination);

        Assert.Equal([1f, 2f, 3f], destination);
    }

    [Fact]
    public void A_missing_tensor_is_an_exception_naming_it_and_what_the_file_has()
    {
        IReadOnlyDictionary<string, Tensor> read = Read(Bytes([new("Conv1.bias", Tensor.Zeros(4))]));

        var e = Assert.Throws<KeyNotFoundException>(() => Safetensors.CopyTensor(read, "Conv1.weight", [4, 1, 3, 3], new float[36]));

        Assert.Contains("'Conv1.weight' is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("Conv1.bias", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_shape_is_an_exception_naming_the_tensor_and_both_shapes_and_writes_nothing()
    {
        IReadOnlyDictionary<string, Tensor> read = Read(Bytes([new("Conv1.weight", Tensor.Random(2, 4, 1, 3, 3))]));
        float[] destination = [.. Enumerable.Repeat(9f, 36)];

        var e = Assert.Throws<InvalidDataException>(() => Safetensors.CopyTensor(read, "Conv1.weight", [4, 3, 3], destination));

        Assert.Equal("Tensor 'Conv1.weight' has shape [4, 1, 3, 3], expected [4, 3, 3].", e.Message);
        Assert.All(destination, v => Assert.Equal(9f, v));
    }

    public static TheoryData<string, string, int, string> BadFiles => new()
    {
        { "truncated data", """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8, "Tensor 'w': the file ends after 8 of its 16 bytes (data bytes 0 to 16)." },
        // Found by the reader's fuzzing (FileReaderFuzzTests), each the smallest input: before, an InvalidOperationException,
        // an ArgumentOutOfRangeException from Tensor, or one wrapped around a 2⁶⁴ product that overflowed to 0.
        { "an offset that is a string", """{"w":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}""", 4, "Tensor 'w': data offset \"0\" is not a whole number of bytes." },
        { "a fractional offset", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}""", 4, "Tensor 'w': data offset 4.5 is not a whole number of bytes." },
        { "a shape entry that is a string", """{"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}""", 4, "Tensor 'w': shape entry \"1\" is not a positive 32-bit integer." },
        { "an empty dimension", """{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", 0, "Tensor 'w': shape entry 0 is not a positive 32-bit integer." },
        { "a shape whose product overflows", """{"w":{"dtype":"U8","shape":[65536,65536,65536,65536],"data_offsets":[0,0]}}""", 0, "Tensor 'w': shape [65536, 65536, 65536, 65536] holds more elements than an array can (2³¹ − 1)." },
        { "offsets not matching the shape", """{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}""", 16, "Tensor 'w': data_offsets [0, 16] do not hold the 3 F32 elements of shape [3]." },
        { "a gap", """{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "Tensor 'w' starts at byte 4 of the data, expected 0: tensors overlap or leave a gap." },
        { "no dtype", """{"w":{"shape":[1],"data_offsets":[0,4]}}""", 4, "Tensor 'w': the header entry needs dtype, shape and data_offsets [begin, end]." },
        { "negative dimension", """{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "Tensor 'w': shape entry -1 is not a positive 32-bit integer." },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_is_an_InvalidDataException_naming_the_tensor(string what, string header, int dataBytes, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(File(header, new byte[dataBytes])));

        Assert.True(message == e.Message, $"{what}: {e.Message}");
    }

    [Fact]
    public void A_name_that_is_not_UTF8_is_an_InvalidDataException_giving_the_byte()
    {
        // Found by the reader's fuzzing (FileReaderFuzzTests): JsonDocument parsed it, then threw InvalidOperationException for the name.
        byte[] header = [.. "{\"w"u8, 0xA1, .. "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"u8];
        byte[] bytes = [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0, 0, 0, 0];

        var e = Assert.Throws<InvalidDataException>(() => Read(bytes));

        Assert.Equal("The safetensors header is not UTF-8 text: byte 3 of it (0xA1) begins no UTF-8 character.", e.Message);
    }

    [Fact]
    public void Half_precision_and_integer_tensors_read_as_floats()
    {
        // PyTorch's state dicts hold num_batches_tracked as I64; half-precision checkpoints are F16 or BF16.
        byte[] data =
        [
            .. BitConverter.GetBytes(-3L), .. BitConverter.GetBytes(123456789L),
            .. BitConverter.GetBytes((Half)1.5f), .. BitConverter.GetBytes((Half)(-0.25f)),
            .. BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(2.5f) >> 16)),
            .. BitConverter.GetBytes(-7), .. BitConverter.GetBytes((short)300), (byte)0xFE, (byte)0xFE,
            .. BitConverter.GetBytes(938L),
        ];
        var tensors = Read(File("""
            {"counter":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},
             "half":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},
             "brain":{"dtype":"BF16","shape":[1],"data_offsets":[20,22]},
             "int":{"dtype":"I32","shape":[1],"data_offsets":[22,26]},
             "short":{"dtype":"I16","shape":[1],"data_offsets":[26,28]},
             "signed":{"dtype":"I8","shape":[1],"data_offsets":[28,29]},
             "unsigned":{"dtype":"U8","shape":[1],"data_offsets":[29,30]},
             "bn1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[30,38]}}
            """, data));

        Assert.Equal([-3f, 123456789f], tensors["counter"].AsSpan().ToArray());
        Assert.Equal([1.5f, -0.25f], tensors["half"].AsSpan().ToArray());
        Assert.Equal([2.5f], tensors["brain"].AsSpan().ToArray());
        Assert.Equal([-7f], tensors["int"].AsSpan().ToArray());
        Assert.Equal([300f], tensors["short"].AsSpan().ToArray());
        Assert.Equal([-2f], tensors["signed"].AsSpan().ToArray());
        Assert.Equal([254f], tensors["unsigned"].AsSpan().ToArray());
        Assert.Equal([1], tensors["bn1.num_batches_tracked"].Shape.ToArray());  // a scalar, as PyTorch keeps the counter
        Assert.Equal([938f], tensors["bn1.num_batches_tracked"].AsSpan().ToArray());
    }

    [Fact]
    public void Other_dtypes_and_non_safetensors_files_are_refused_clearly()
    {
        var dtype = Assert.Throws<NotSupportedException>(() => Read(File("""{"w":{"dtype":"C64","shape":[2],"data_offsets":[0,16]}}""", new byte[16])));
        Assert.Equal("Tensor 'w' is C64; KernelGen reads F64, F32, F16, BF16, I64, I32, I16, I8 and U8 tensors.", dtype.Message);

        byte[] notSafetensors = Encoding.ASCII.GetBytes("PK\x03\x04 this is a zip file, as torch.save writes");
        var header = Assert.Throws<InvalidDataException>(() => Read(notSafetensors));
        Assert.Contains("not a safetensors file", header.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_refuses_repeated_or_reserved_names()
    {
        Assert.Throws<ArgumentException>("tensors", () => Bytes([new("a", Tensor.Zeros(1)), new("a", Tensor.Zeros(1))]));
        Assert.Throws<ArgumentException>("tensors", () => Bytes([new("__metadata__", Tensor.Zeros(1))]));
    }
}
