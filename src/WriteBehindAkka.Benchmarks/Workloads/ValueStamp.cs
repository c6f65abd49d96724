using System.Buffers.Binary;

namespace WriteBehindAkka.Benchmarks.Workloads;

/// <summary>
/// Every value written carries a stamp in its first 8 bytes (little-endian), unique per write: the worker in the
/// high 16 bits, its sequence number below. The verification step reads the stamp back from the table to check
/// that the row holds the latest acknowledged value, not only its version.
/// </summary>
internal static class ValueStamp
{
    /// <summary>The stamp of a worker's n-th write.</summary>
    public static long Make(int worker, long sequence) => ((long)worker << 48) | (sequence & 0xFFFF_FFFF_FFFFL);

    public static void Write(Span<byte> value, long stamp) => BinaryPrimitives.WriteInt64LittleEndian(value, stamp);

    public static long Read(ReadOnlySpan<byte> value) => value.Length < 8 ? -1 : BinaryPrimitives.ReadInt64LittleEndian(value);

    /// <summary>A value buffer of the given size: random filler (so that TOAST cannot compress it away) and room for the stamp.</summary>
    public static byte[] NewBuffer(int bytes, FastRandom random)
    {
        var buffer = new byte[Math.Max(8, bytes)];
        random.NextBytes(buffer);
        return buffer;
    }
}
