namespace WriteBehindAkka.Serialization;

/// <summary>What the bytes of a serializer are, so that a store can pick a column type (jsonb or bytea).</summary>
public enum SerializedFormat
{
    /// <summary>UTF-8 JSON text.</summary>
    Json = 0,

    /// <summary>Opaque bytes.</summary>
    Binary = 1,
}
