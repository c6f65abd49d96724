using System.Buffers.Binary;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Journal;

/// <summary>
/// The on-disk format. A segment is a 16-byte header (magic "WBJL", format version, reserved, segment number)
/// followed by records. A record is: magic "WBR1" (4 bytes), payload length (4), CRC-32C of the payload (4), then
/// the payload: operation (1: upsert, delete, or <see cref="Discard"/>), version (8), key length (4), key, value length (4), value. Every number is
/// little-endian. The record magic lets recovery find the next good record after a damaged one.
/// </summary>
internal static class JournalFormat
{
    public const uint SegmentMagic = 0x4C4A4257; // "WBJL"
    public const uint RecordMagic = 0x31524257;  // "WBR1"
    public const ushort FormatVersion = 1;
    public const int SegmentHeaderBytes = 16;
    public const int RecordHeaderBytes = 12;
    public const int MaxPayloadBytes = 256 * 1024 * 1024;
    public const string SegmentPattern = "segment-*.wbj";

    /// <summary>
    /// The operation of a record that settles a key's writes up to its version without writing anything: a dead letter
    /// discarded by the operator. The refused write's record stays in the journal until its segment is truncated, and
    /// a replay must not write it then. Not a <see cref="WriteOperation"/>: it never reaches a store.
    /// </summary>
    public const WriteOperation Discard = (WriteOperation)2;

    public static string SegmentName(long number) => $"segment-{number:D12}.wbj";

    public static bool TryParseSegmentNumber(string path, out long number)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        number = 0;
        return name.StartsWith("segment-", StringComparison.Ordinal) && long.TryParse(name.AsSpan(8), out number);
    }

    public static byte[] SegmentHeader(long number)
    {
        var header = new byte[SegmentHeaderBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(header, SegmentMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), number);
        return header;
    }

    public static int RecordLength(int keyLength, int valueLength) => RecordHeaderBytes + 1 + 8 + 4 + keyLength + 4 + valueLength;

    /// <summary>Encodes one record into <paramref name="span"/>, which is exactly <see cref="RecordLength"/> long.</summary>
    public static void WriteRecord(Span<byte> span, WriteOperation operation, long version, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        // Magic and length first, checksum last: a record cut short while it was copied into a mapped segment
        // still says how long it meant to be, so recovery can tell it from damage.
        int payloadLength = 1 + 8 + 4 + key.Length + 4 + value.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span, RecordMagic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], payloadLength);
        var payload = span.Slice(RecordHeaderBytes, payloadLength);
        payload[0] = (byte)operation;
        BinaryPrimitives.WriteInt64LittleEndian(payload[1..], version);
        BinaryPrimitives.WriteInt32LittleEndian(payload[9..], key.Length);
        key.CopyTo(payload[13..]);
        BinaryPrimitives.WriteInt32LittleEndian(payload[(13 + key.Length)..], value.Length);
        value.CopyTo(payload[(17 + key.Length)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Crc32C.Compute(payload));
    }

    /// <summary>Decodes a payload whose checksum was verified; false when its inner lengths do not add up.</summary>
    public static bool TryReadPayload(ReadOnlySpan<byte> payload, out JournalRecord record)
    {
        record = default;
        if (payload.Length < 17 || payload[0] > (byte)Discard)
        {
            return false;
        }

        long version = BinaryPrimitives.ReadInt64LittleEndian(payload[1..]);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(payload[9..]);
        if (keyLength < 0 || 13 + keyLength + 4 > payload.Length)
        {
            return false;
        }

        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(payload[(13 + keyLength)..]);
        if (valueLength < 0 || 17 + keyLength + valueLength != payload.Length)
        {
            return false;
        }

        record = new JournalRecord(
            (WriteOperation)payload[0],
            version,
            payload.Slice(13, keyLength).ToArray(),
            payload.Slice(17 + keyLength, valueLength).ToArray());
        return true;
    }
}
