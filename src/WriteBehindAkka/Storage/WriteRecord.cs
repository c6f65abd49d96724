namespace WriteBehindAkka.Storage;

/// <summary>
/// One coalesced write that the pipeline hands to a store: the latest value of a key at a version.
/// </summary>
/// <typeparam name="TKey">The cache's key type.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Operation">Upsert or delete.</param>
/// <param name="Value">The serialized value; empty for a delete.</param>
/// <param name="Version">
/// The write's version from the shard's hybrid logical clock (microseconds since the Unix epoch, made
/// unique and increasing per key). A store must apply the record only when its stored version is older.
/// </param>
public readonly record struct WriteRecord<TKey>(TKey Key, WriteOperation Operation, ReadOnlyMemory<byte> Value, long Version)
    where TKey : notnull;
