using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace KernelGen.Runtime.Tests.Training;

/// <summary>IDX files written by hand, byte by byte as the format describes them, and a folder to put them in.</summary>
internal static class IdxBytes
{
    /// <summary>
    /// The magic number (0, 0, <paramref name="type"/>, rank), each dimension as a big-endian int, then
    /// <paramref name="data"/> as it is, whether or not it matches the dimensions.
    /// </summary>
    public static byte[] Of(int[] dimensions, byte[] data, byte type = 0x08)
    {
        var bytes = new byte[4 + (4 * dimensions.Length) + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dimensions[i]);
        }

        data.CopyTo(bytes, 4 + (4 * dimensions.Length));
        return bytes;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal))
        {
            gzip.Write(bytes);
        }

        return compressed.ToArray();
    }
}

/// <summary>A new empty folder under the system's temporary folder, deleted with everything in it on dispose.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("kernelgen-training-tests-");

    public string Path => _directory.FullName;

    /// <summary>Writes <paramref name="bytes"/> to a file called <paramref name="name"/> in the folder and returns its path.</summary>
    public string Write(string name, byte[] bytes)
    {
        string path = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => _directory.Delete(recursive: true);
}
