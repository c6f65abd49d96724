using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace WriteBehindAkka.Journal;

/// <summary>Turns keys into bytes for journal records and back: fixed layouts for the built-in key types, JSON for others.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal static class JournalKeyCodec<TKey>
{
    /// <summary>JSON for other key types, fields included (a value tuple or a struct of public fields has no properties).</summary>
    private static readonly JsonSerializerOptions Json = new() { IncludeFields = true };

    /// <summary>UTF-8 that throws on invalid bytes: Encode never writes them, so they mean another key type.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Set once a key of a non-built-in type came back equal from a round trip.</summary>
    private static volatile bool s_roundTrips = typeof(TKey) == typeof(string) || typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int) || typeof(TKey) == typeof(Guid);

    /// <summary>
    /// Throws when a key of this type does not come back equal from the journal's encoding, before a write of it is
    /// accepted: recovery would otherwise replay it under another key. Checked until one key passes.
    /// </summary>
    public static void EnsureRoundTrips(TKey key)
    {
        if (s_roundTrips)
        {
            return;
        }

        TKey decoded;
        try
        {
            decoded = Decode(Encode(key));
        }
        catch (Exception error) when (error is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new NotSupportedException($"The journal cannot store keys of type {typeof(TKey)}: they do not round-trip through System.Text.Json ({error.Message}). Use a string, long, int or Guid key, or a type that serializes to JSON and back.", error);
        }

        if (!EqualityComparer<TKey>.Default.Equals(key, decoded))
        {
            throw new NotSupportedException($"The journal cannot store keys of type {typeof(TKey)}: key '{key}' came back from System.Text.Json as '{decoded}', so a replay would write another key. Use a string, long, int or Guid key, or a type with value equality that serializes to JSON and back.");
        }

        s_roundTrips = true;
    }

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
                return JsonSerializer.SerializeToUtf8Bytes(key, Json);
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

    /// <summary>
    /// Reads a key back. The built-in layouts are checked exactly (a long is 8 bytes, an int 4, a Guid 16, a string
    /// valid UTF-8), so that a key written under another key type fails here instead of being replayed as another
    /// key of this one (a long 2^32 + 5 read as an int would be 5). A key whose bytes happen to fit (a string of 8
    /// bytes read as a long) cannot be told apart.
    /// </summary>
    /// <exception cref="FormatException">The bytes are not a key of a built-in type.</exception>
    /// <exception cref="JsonException">The bytes are not the JSON of a key of another type.</exception>
    /// <exception cref="FormatException">The JSON is of a key whose type had another shape (its members differ).</exception>
    public static TKey Decode(ReadOnlySpan<byte> data)
    {
        object key = typeof(TKey) switch
        {
            var t when t == typeof(string) => DecodeText(data),
            var t when t == typeof(long) => BinaryPrimitives.ReadInt64LittleEndian(Exactly(data, 8)),
            var t when t == typeof(int) => BinaryPrimitives.ReadInt32LittleEndian(Exactly(data, 4)),
            var t when t == typeof(Guid) => new Guid(Exactly(data, 16)),
            _ => DecodeJson(data),
        };
        return (TKey)key;
    }

    /// <summary>
    /// Reads a key of another type from its JSON, which must be what this type writes for it: System.Text.Json ignores
    /// a member it does not know and leaves one it does not find at its default, so a key type whose shape changed
    /// under the same name (a member renamed, added or removed) would read the keys of the journal as other keys.
    /// </summary>
    private static object DecodeJson(ReadOnlySpan<byte> data)
    {
        object key = JsonSerializer.Deserialize<TKey>(data, Json)!;
        using var written = JsonDocument.Parse(data.ToArray());
        using var again = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes((TKey)key, Json));
        return JsonElement.DeepEquals(written.RootElement, again.RootElement)
            ? key
            : throw new FormatException($"the key {Encoding.UTF8.GetString(data)} reads as {again.RootElement.GetRawText()}, so it was written by a {typeof(TKey)} of another shape (a member renamed, added or removed)");
    }

    /// <summary>Reads a string key; bytes that are not valid UTF-8 are not one.</summary>
    private static string DecodeText(ReadOnlySpan<byte> data)
    {
        try
        {
            return StrictUtf8.GetString(data);
        }
        catch (DecoderFallbackException error)
        {
            throw new FormatException($"a key of type {typeof(TKey)} is UTF-8 text; this one's {data.Length} bytes are not valid UTF-8", error);
        }
    }

    /// <summary>Returns <paramref name="data"/> when it is exactly <paramref name="length"/> bytes, the fixed layout's size.</summary>
    private static ReadOnlySpan<byte> Exactly(ReadOnlySpan<byte> data, int length) =>
        data.Length == length
            ? data
            : throw new FormatException($"a key of type {typeof(TKey)} is {length} bytes; this one is {data.Length}");
}
