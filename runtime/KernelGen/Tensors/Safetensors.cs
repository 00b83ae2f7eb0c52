using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace KernelGen;

/// <summary>
/// Reads and writes tensors in the safetensors format of PyTorch and Hugging Face: an 8-byte little-endian
/// header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian
/// data. Tensors are written as F32; F64, F32, F16, BF16 and integer (I64 … U8) tensors are read, each value converted to float
/// (so a PyTorch state dict with its <c>num_batches_tracked</c> counters reads as it is; a scalar, shape [], reads as shape [1]).
/// </summary>
/// <remarks>
/// <c>torch.save_file({"Conv1.weight": w}, path)</c> in Python (<c>safetensors.torch</c>) writes a file this
/// class reads, and the files it writes load with <c>safetensors.torch.load_file</c>.
/// </remarks>
public static class Safetensors
{
    private const int MaxHeaderBytes = 100 * 1024 * 1024;

    /// <summary>Writes <paramref name="tensors"/> (in the order given) and optional string metadata to a file.</summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or <c>__metadata__</c>.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using FileStream stream = File.Create(path);
        Write(stream, tensors, metadata);
    }

    /// <summary>Writes <paramref name="tensors"/> (in the order given) and optional string metadata to a stream.</summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or <c>__metadata__</c>.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        KeyValuePair<string, Tensor>[] list = [.. tensors];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, Tensor tensor) in list)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (string.IsNullOrEmpty(name) || name == "__metadata__" || !names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' is empty, reserved or repeated.", nameof(tensors));
            }
        }

        var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach ((string key, string value) in metadata)
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach ((string name, Tensor tensor) in list)
            {
                writer.WriteStartObject(name);
                writer.WriteString("dtype", "F32");
                writer.WriteStartArray("shape");
                foreach (int dim in tensor.Shape)
                {
                    writer.WriteNumberValue(dim);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset += (long)tensor.Length * sizeof(float);
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        // The header is padded with spaces to a multiple of 8 bytes, as the reference implementation does.
        int padding = (int)((8 - (json.Length % 8)) % 8);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(json.Length + padding));
        stream.Write(length);
        json.Position = 0;
        json.CopyTo(stream);
        for (int i = 0; i < padding; i++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach ((_, Tensor tensor) in list)
        {
            WriteFloats(stream, tensor.AsSpan());
        }
    }

    /// <summary>Reads every tensor of a safetensors file, in file order.</summary>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message names the tensor at fault.</exception>
    /// <exception cref="NotSupportedException">A tensor's dtype is not one KernelGen reads (F64, F32, F16, BF16, I64, I32, I16, I8, U8; each becomes float).</exception>
    public static IReadOnlyDictionary<string, Tensor> Load(string path)
    {
        using FileStream stream = File.OpenRead(path);
        return Read(stream);
    }

    /// <summary>Reads every tensor of a safetensors stream, in file order.</summary>
    /// <exception cref="InvalidDataException">The stream is not valid safetensors; the message names the tensor at fault.</exception>
    /// <exception cref="NotSupportedException">A tensor's dtype is not one KernelGen reads (F64, F32, F16, BF16, I64, I32, I16, I8, U8; each becomes float).</exception>
    public static IReadOnlyDictionary<string, Tensor> Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] lengthBytes = StreamBytes.ReadExactly(stream, 8, read => $"The stream ends after {read} bytes, before the 8-byte length of a safetensors header; this is not a safetensors file.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength is 0 or > MaxHeaderBytes)
        {
            throw new InvalidDataException($"The safetensors header length {headerLength} is not between 1 and {MaxHeaderBytes} bytes; this is not a safetensors file.");
        }

        byte[] header = StreamBytes.ReadExactly(stream, (long)headerLength, read => $"The safetensors header is {headerLength} bytes long, but the file ends after {read} of them.");
        // JsonDocument checks the UTF-8 of a name only when it is read, and then throws InvalidOperationException.
        int invalid = 0;
        while (invalid < header.Length && Rune.DecodeFromUtf8(header.AsSpan(invalid), out _, out int used) == OperationStatus.Done)
        {
            invalid += used;
        }

        if (invalid < header.Length)
        {
            throw new InvalidDataException($"The safetensors header is not UTF-8 text: byte {invalid} of it (0x{header[invalid]:X2}) begins no UTF-8 character.");
        }

        var entries = new List<Entry>();
        try
        {
            using JsonDocument document = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("The safetensors header is not a JSON object.");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                if (!names.Add(property.Name))
                {
                    throw new InvalidDataException($"Tensor '{property.Name}' appears twice in the header.");
                }

                entries.Add(Entry.Parse(property));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The safetensors header is not valid JSON: {e.Message}", e);
        }

        // The data: tensors back to back, in offset order, covering the whole buffer.
        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expected = 0;
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (Entry entry in entries)
        {
            if (entry.Begin != expected)
            {
                throw new InvalidDataException($"Tensor '{entry.Name}' starts at byte {entry.Begin} of the data, expected {expected}: tensors overlap or leave a gap.");
            }

            byte[] bytes = StreamBytes.ReadExactly(stream, entry.End - entry.Begin, read => $"Tensor '{entry.Name}': the file ends after {read} of its {entry.End - entry.Begin} bytes (data bytes {entry.Begin} to {entry.End}).");
            result.Add(entry.Name, entry.ToTensor(bytes));
            expected = entry.End;
        }

        return result;
    }

    /// <summary>
    /// Copies the tensor <paramref name="name"/> of a loaded file into <paramref name="destination"/>, after checking
    /// that it is there and has <paramref name="shape"/>.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name (the message lists what it has).</exception>
    /// <exception cref="InvalidDataException">The tensor's shape differs (the message gives both shapes).</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> does not hold exactly the shape's elements.</exception>
    public static void CopyTensor(IReadOnlyDictionary<string, Tensor> tensors, string name, ReadOnlySpan<int> shape, Span<float> destination)
    {
        Tensor tensor = Find(tensors, name, shape);
        if (destination.Length != tensor.Length)
        {
            throw new ArgumentException($"Tensor '{name}' has {tensor.Length} elements; the destination holds {destination.Length}.", nameof(destination));
        }

        tensor.AsSpan().CopyTo(destination);
    }

    /// <summary>The tensor <paramref name="name"/> of a loaded file, after checking that it is there and has <paramref name="shape"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name (the message lists what it has).</exception>
    /// <exception cref="InvalidDataException">The tensor's shape differs (the message gives both shapes).</exception>
    internal static Tensor Find(IReadOnlyDictionary<string, Tensor> tensors, string name, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!tensors.TryGetValue(name, out Tensor? tensor))
        {
            throw new KeyNotFoundException($"Tensor '{name}' is missing; the file has {(tensors.Count == 0 ? "no tensors" : string.Join(", ", tensors.Keys.Order(StringComparer.Ordinal)))}.");
        }

        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"Tensor '{name}' has shape [{string.Join(", ", tensor.Shape.ToArray())}], expected [{string.Join(", ", shape.ToArray())}].");
        }

        return tensor;
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> bytes = stackalloc byte[sizeof(float)];
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            stream.Write(bytes);
        }
    }

    private sealed record Entry(string Name, string Dtype, int[] Shape, long Begin, long End)
    {
        public static Entry Parse(JsonProperty property)
        {
            string name = property.Name;
            JsonElement value = property.Value;
            if (value.ValueKind != JsonValueKind.Object
                || !value.TryGetProperty("dtype", out JsonElement dtype) || dtype.ValueKind != JsonValueKind.String
                || !value.TryGetProperty("shape", out JsonElement shape) || shape.ValueKind != JsonValueKind.Array
                || !value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            {
                throw new InvalidDataException($"Tensor '{name}': the header entry needs dtype, shape and data_offsets [begin, end].");
            }

            // KernelGen's tensors have no empty dimension, so a size of 0 (valid safetensors, rare in a state dict) is refused too.
            int[] dims = [.. shape.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out int v) && v > 0 ? v
                : throw new InvalidDataException($"Tensor '{name}': shape entry {d.GetRawText()} is not a positive 32-bit integer."))];
            long begin = Offset(name, offsets[0]), end = Offset(name, offsets[1]);
            int size = dtype.GetString() switch
            {
                "F64" or "I64" => 8,
                "F32" or "I32" => 4,
                "F16" or "BF16" or "I16" => 2,
                "I8" or "U8" => 1,
                string other => throw new NotSupportedException($"Tensor '{name}' is {other}; KernelGen reads F64, F32, F16, BF16, I64, I32, I16, I8 and U8 tensors."),
                null => 0,
            };
            long elements = 1;
            foreach (int d in dims)
            {
                elements = Math.Min(elements * d, int.MaxValue + 1L); // saturates: no product of 32-bit sizes overflows a long
            }

            if (elements > int.MaxValue)
            {
                throw new InvalidDataException($"Tensor '{name}': shape [{string.Join(", ", dims)}] holds more elements than an array can (2³¹ − 1).");
            }

            if (begin < 0 || end < begin || end - begin != elements * size || end - begin > int.MaxValue)
            {
                throw new InvalidDataException($"Tensor '{name}': data_offsets [{begin}, {end}] do not hold the {elements} {dtype.GetString()} elements of shape [{string.Join(", ", dims)}].");
            }

            return new Entry(name, dtype.GetString()!, dims, begin, end);
        }

        /// <summary>A data offset, which must be a whole number (not a string, a fraction or a number past a long).</summary>
        private static long Offset(string name, JsonElement offset) => offset.ValueKind == JsonValueKind.Number && offset.TryGetInt64(out long value) ? value
            : throw new InvalidDataException($"Tensor '{name}': data offset {offset.GetRawText()} is not a whole number of bytes.");

        public Tensor ToTensor(byte[] bytes)
        {
            // A scalar (shape [], as PyTorch keeps a batch norm's num_batches_tracked) reads as one element, shape [1].
            var tensor = new Tensor(Shape.Length == 0 ? [1] : Shape);
            Span<float> data = tensor.AsSpan();
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = Dtype switch
                {
                    "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)),
                    "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8)),
                    "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2)),
                    "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16),
                    "I64" => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8)),
                    "I32" => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(i * 4)),
                    "I16" => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(i * 2)),
                    "I8" => (sbyte)bytes[i],
                    _ => bytes[i],
                };
            }

            return tensor;
        }
    }
}
