using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;

namespace KernelGen.Training;

/// <summary>
/// An IDX file (the MNIST format): a big-endian magic number — two zero bytes, a type code, the number
/// of dimensions — each dimension's size as a big-endian int, then the data row-major. Unsigned bytes only
/// (type 0x08), which is what MNIST and its relatives use. Files ending in <c>.gz</c> are decompressed.
/// </summary>
public sealed class IdxFile
{
    private IdxFile(int[] dimensions, byte[] data)
    {
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The size of each dimension, outermost first: [count, rows, columns] for images, [count] for labels.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>The values, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not an unsigned-byte IDX file, or is cut short; the message says which and where.</exception>
    public static IdxFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using Stream file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        return Read(stream, path);
    }

    /// <summary>Reads an IDX file from <paramref name="stream"/>; <paramref name="name"/> names it in errors.</summary>
    public static IdxFile Read(Stream stream, string name = "the IDX stream")
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[4];
        ReadExactly(stream, header, name, "the magic number");
        if (header[0] != 0 || header[1] != 0)
        {
            throw new InvalidDataException($"{name} is not an IDX file: it starts with 0x{header[0]:X2}{header[1]:X2}, not 0x0000.");
        }

        if (header[2] != 0x08)
        {
            throw new InvalidDataException($"{name} holds IDX type 0x{header[2]:X2}; only unsigned bytes (0x08) are supported.");
        }

        int rank = header[3];
        if (rank is 0 or > 4)
        {
            throw new InvalidDataException($"{name} declares {rank} dimensions; 1 to 4 are supported.");
        }

        var dimensions = new int[rank];
        long length = 1;
        for (int i = 0; i < rank; i++)
        {
            ReadExactly(stream, header, name, $"the size of dimension {i}");
            int size = BinaryPrimitives.ReadInt32BigEndian(header);
            if (size <= 0)
            {
                throw new InvalidDataException($"{name} declares dimension {i} of size {size}.");
            }

            dimensions[i] = size;
            length *= size;

            // Checked after each dimension, before four of them can overflow a long.
            if (length > Array.MaxLength)
            {
                throw new InvalidDataException($"{name} declares {length} values, more than an array holds.");
            }
        }

        byte[] data = StreamBytes.ReadExactly(stream, length, read => $"{name} ends after {read} of {length} bytes of the {length} values its header declares.");
        return new IdxFile(dimensions, data);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = stream.Read(buffer[total..]);
            if (read == 0)
            {
                throw new InvalidDataException($"{name} ends after {total} of {buffer.Length} bytes of {what}.");
            }

            total += read;
        }
    }
}
