namespace WriteBehindAkka.Sharding;

/// <summary>
/// The reply of an update's write, and its condition: the shard applies the write only if nothing changed the key's
/// value since the update read it (see <c>Shard.UpdateCanWrite</c>); otherwise it answers with <see cref="Conflict"/>
/// and the update reads again. A <see cref="TaskCompletionSource{TResult}"/> of a <see cref="WriteResult"/>, so the
/// write travels every path a Set's reply does (inline, queued, the capacity gate, the journal's acknowledgement,
/// commit waiters).
/// </summary>
/// <param name="readAt">The shard's change counter when the update read the key.</param>
/// <param name="expectedVersion">The version the update read (0: the key had no value).</param>
internal sealed class ConditionalWrite(long readAt, long expectedVersion)
    : TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    /// <summary>The answer when the condition failed: no write was made (no write has version 0).</summary>
    public static readonly WriteResult Conflict = default;

    /// <summary>The shard's change counter when the update read the key.</summary>
    public long ReadAt => readAt;

    /// <summary>The version the update read.</summary>
    public long ExpectedVersion => expectedVersion;
}
