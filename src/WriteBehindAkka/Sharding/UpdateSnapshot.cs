namespace WriteBehindAkka.Sharding;

/// <summary>
/// What an update read of a key: the entry it saw and that entry's version, which its write must still find
/// (see <see cref="ConditionalWrite{TKey}"/>), and the value. Without an entry the key had to be loaded first:
/// <see cref="Load"/> completes when the load has, with what the update reads.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="Entry">The entry read (a placeholder when the key has no value), or null when a load was needed.</param>
/// <param name="Version">The entry's version when read.</param>
/// <param name="Value">The entry's value when read (null: the key has no value).</param>
/// <param name="Load">The load to wait for when <paramref name="Entry"/> is null; it brings what the update reads.</param>
internal readonly record struct UpdateSnapshot<TKey>(CacheEntry<TKey>? Entry, long Version, byte[]? Value, UpdateLoadReader<TKey>? Load)
    where TKey : notnull;
