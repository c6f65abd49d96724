using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace WriteBehindAkka.Journal;

/// <summary>Turns keys into bytes for journal records and back: fixed layouts for the built-in key types, JSON for others.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal static class JournalKeyCodec<TKey>
{
    public static byte[] Encode(TKey key)
    {
        switch (key)
        {
            case string text:
                return Encoding.UTF8.GetBytes(text);
            case long number:
                var eight = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(eight, number);
                return eight;
            case int number:
                var four = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(four, number);
                return four;
            case Guid id:
                return id.ToByteArray();
            default:
                return JsonSerializer.SerializeToUtf8Bytes(key);
        }
    }

    /// <summary>
    /// Encodes the key into <paramref name="scratch"/> when it fits (the built-in fixed layouts, short strings),
    /// else into a new array; either way the bytes are only valid until the scratch is reused.
    /// </summary>
    public static ReadOnlySpan<byte> Encode(TKey key, Span<byte> scratch)
    {
        switch (key)
        {
            case string text when Encoding.UTF8.GetMaxByteCount(text.Length) <= scratch.Length:
                return scratch[..Encoding.UTF8.GetBytes(text, scratch)];
            case long number when scratch.Length >= 8:
                BinaryPrimitives.WriteInt64LittleEndian(scratch, number);
                return scratch[..8];
            case int number when scratch.Length >= 4:
                BinaryPrimitives.WriteInt32LittleEndian(scratch, number);
                return scratch[..4];
            case Guid id when id.TryWriteBytes(scratch):
                return scratch[..16];
            default:
                return Encode(key);
        }
    }

    public static TKey Decode(ReadOnlySpan<byte> data)
    {
        object key = typeof(TKey) switch
        {
            var t when t == typeof(string) => Encoding.UTF8.GetString(data),
            var t when t == typeof(long) => BinaryPrimitives.ReadInt64LittleEndian(data),
            var t when t == typeof(int) => BinaryPrimitives.ReadInt32LittleEndian(data),
            var t when t == typeof(Guid) => new Guid(data),
            _ => JsonSerializer.Deserialize<TKey>(data)!,
        };
        return (TKey)key;
    }
}
