using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace WriteBehindAkka.Hocon;

/// <summary>
/// Reads a HOCON file's text. HOCON files are UTF-8 (with or without a byte-order mark); a file with a UTF-16 or UTF-32
/// mark is read as its mark says. Bytes that are not UTF-8 are refused with the position of the first one: decoded
/// leniently, a file saved as Latin-1 gave U+FFFD in place of each accented letter, and a value that was not the one
/// written (a password, a table name) with no word of why.
/// </summary>
internal static class HoconText
{
    /// <summary>Reads <paramref name="stream"/> to its end and decodes it (see <see cref="Decode"/>).</summary>
    public static string Read(Stream stream, string fileName)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return Decode(memory.GetBuffer().AsSpan(0, (int)memory.Length), fileName);
    }

    /// <summary>Decodes a file's bytes; throws <see cref="HoconParseException"/> at the first byte that is not UTF-8.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            using var reader = new StreamReader(new MemoryStream(bytes.ToArray()), detectEncodingFromByteOrderMarks: true);
            return reader.ReadToEnd();
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        char[] chars = ArrayPool<char>.Shared.Rent(Math.Max(1, bytes.Length));
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out int read, out int written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                var before = chars.AsSpan(0, written);
                int line = before.Count('\n') + 1;
                int column = written - before.LastIndexOf('\n');
                throw new HoconParseException(
                    new HoconPosition(fileName, line, column),
                    read < bytes.Length
                        ? $"the file is not valid UTF-8 (byte 0x{bytes[read]:X2}); HOCON files are UTF-8: save it as UTF-8"
                        : "the file is not valid UTF-8 (it ends inside a character); HOCON files are UTF-8: save it as UTF-8");
            }

            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
