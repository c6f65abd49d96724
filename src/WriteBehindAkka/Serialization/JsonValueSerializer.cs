using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace WriteBehindAkka.Serialization;

/// <summary>The default serializer: System.Text.Json, UTF-8 bytes.</summary>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class JsonValueSerializer<TValue> : IValueSerializer<TValue>
{
    /// <summary>Metadata for <typeparamref name="TValue"/>, resolved once.</summary>
    private readonly JsonTypeInfo<TValue> _typeInfo;

    /// <summary>Creates a serializer with <see cref="JsonSerializerOptions.Web"/> defaults or the given options.</summary>
    /// <param name="options">Serializer options; <see langword="null"/> for the web defaults.</param>
    public JsonValueSerializer(JsonSerializerOptions? options = null)
    {
        var effective = new JsonSerializerOptions(options ?? JsonSerializerOptions.Web);
        effective.MakeReadOnly(populateMissingResolver: true);
        _typeInfo = (JsonTypeInfo<TValue>)effective.GetTypeInfo(typeof(TValue));
    }

    /// <summary>Creates a serializer from source-generated metadata (trimming and AOT friendly).</summary>
    /// <param name="typeInfo">The metadata.</param>
    public JsonValueSerializer(JsonTypeInfo<TValue> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        _typeInfo = typeInfo;
    }

    /// <inheritdoc />
    public SerializedFormat Format => SerializedFormat.Json;

    /// <inheritdoc />
    public byte[] Serialize(TValue value) => JsonSerializer.SerializeToUtf8Bytes(value, _typeInfo);

    /// <inheritdoc />
    public TValue Deserialize(ReadOnlySpan<byte> data) =>
        JsonSerializer.Deserialize(data, _typeInfo)
        ?? throw new InvalidOperationException(
            $"The stored JSON for a {typeof(TValue).Name} was 'null'. Write a non-null value, or use a nullable value type.");
}
