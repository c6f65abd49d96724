namespace WriteBehindAkka.Sharding;

/// <summary>
/// What an update read of a key: the shard's change counter at the read (its write is applied only if the key has not
/// changed since, see <see cref="ConditionalWrite"/>), the version and the value. When the key had to be loaded first,
/// only <see cref="Load"/> is set: it completes when the load has, with what the update reads.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="ReadAt">The shard's change counter when the key was read.</param>
/// <param name="Version">The version read (0: the key had no value).</param>
/// <param name="Value">The value read (null: the key had no value).</param>
/// <param name="Load">The load to wait for, when the key was not in memory.</param>
internal readonly record struct UpdateSnapshot<TKey>(long ReadAt, long Version, byte[]? Value, UpdateLoadReader<TKey>? Load)
    where TKey : notnull;
