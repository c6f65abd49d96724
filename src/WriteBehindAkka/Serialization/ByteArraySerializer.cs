namespace WriteBehindAkka.Serialization;

/// <summary>Raw bytes: the value is the payload. The array is copied on write and on read, so callers may reuse theirs.</summary>
public sealed class ByteArraySerializer : IValueSerializer<byte[]>
{
    /// <summary>The shared instance.</summary>
    public static ByteArraySerializer Instance { get; } = new();

    /// <inheritdoc />
    public SerializedFormat Format => SerializedFormat.Binary;

    /// <inheritdoc />
    public byte[] Serialize(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.AsSpan().ToArray();
    }

    /// <inheritdoc />
    public byte[] Deserialize(ReadOnlySpan<byte> data) => data.ToArray();
}
