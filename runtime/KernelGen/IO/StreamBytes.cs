using System;
using System.IO;

namespace KernelGen;

/// <summary>
/// Reads a length-prefixed block of a file without trusting its length field: nothing is allocated for bytes the stream
/// does not hold. A seekable stream is checked against its length first; any other stream (a <c>GZipStream</c>) is read
/// into a buffer that grows, 64 KB at first and then doubling, only as the bytes arrive.
/// </summary>
internal static class StreamBytes
{
    private const int FirstChunk = 1 << 16;

    /// <summary>
    /// Reads exactly <paramref name="count"/> bytes (at most <see cref="Array.MaxLength"/>). If the stream ends sooner,
    /// throws an <see cref="InvalidDataException"/> whose message is <paramref name="endsEarly"/> applied to the bytes there were.
    /// </summary>
    public static byte[] ReadExactly(Stream stream, long count, Func<long, string> endsEarly)
    {
        if (count < 0 || count > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "A block is read into one array.");
        }

        long available = stream.CanSeek ? Math.Max(0, stream.Length - stream.Position) : long.MaxValue;
        if (available < count)
        {
            throw new InvalidDataException(endsEarly(available));
        }

        var buffer = new byte[stream.CanSeek ? count : Math.Min(count, FirstChunk)];
        int filled = 0;
        while (filled < count)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(count, 2L * buffer.Length));
            }

            int read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                throw new InvalidDataException(endsEarly(filled));
            }

            filled += read;
        }

        return buffer;
    }
}
