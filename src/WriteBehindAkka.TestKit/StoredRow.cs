namespace WriteBehindAkka.TestKit;

/// <summary>A row of an <see cref="InMemoryStore{TKey}"/>.</summary>
/// <param name="Value">The serialized value.</param>
/// <param name="Version">The version it was written at.</param>
public sealed record StoredRow(byte[] Value, long Version);
