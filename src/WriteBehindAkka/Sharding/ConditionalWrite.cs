namespace WriteBehindAkka.Sharding;

/// <summary>
/// The reply of an update's write, and its condition: the shard applies the write only if the key's entry is still
/// the one the update read, at the version it read (no write, eviction on request or reload since; an entry evicted
/// or expired untouched still counts, see <c>Shard.UpdateCanWrite</c>); otherwise it answers with
/// <see cref="Conflict"/> and the update reads again. A <see cref="TaskCompletionSource{TResult}"/> of a
/// <see cref="WriteResult"/>, so the write travels every path a Set's reply does (inline, queued, the capacity gate,
/// the journal's acknowledgement, commit waiters).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class ConditionalWrite<TKey>(CacheEntry<TKey> expected, long expectedVersion)
    : TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously)
    where TKey : notnull
{
    /// <summary>The answer when the condition failed: no write was made (no write has version 0).</summary>
    public static readonly WriteResult Conflict = default;

    /// <summary>The version the update read.</summary>
    public long ExpectedVersion => expectedVersion;

    /// <summary>Whether the key's entry now is the one the update read, at the version it read.</summary>
    public bool Holds(CacheEntry<TKey> current) => ReferenceEquals(current, expected) && current.Version == expectedVersion;
}
