namespace WriteBehindAkka.Storage;

/// <summary>A row loaded from a store by read-through: the serialized value and the version it was written at.</summary>
/// <param name="Value">The serialized value, in the format of the cache's <see cref="Serialization.IValueSerializer{TValue}"/>.</param>
/// <param name="Version">The stored version (0 when the store keeps none).</param>
public sealed record StoredEntry(byte[] Value, long Version);
