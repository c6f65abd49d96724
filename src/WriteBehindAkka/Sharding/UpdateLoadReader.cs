namespace WriteBehindAkka.Sharding;

/// <summary>
/// An update's place among the readers of a read-through load. When the load lands, the shard hands the update what
/// it reads (the row, or no value) as <see cref="Snapshot"/>, before it completes the task: the update does not read
/// the key again, so an entry evicted or expired as soon as it lands (a shard over <c>MaxCachedEntries</c> with only
/// pending entries besides, a very short <c>TimeToLive</c>) cannot send it back to load for ever.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class UpdateLoadReader<TKey>() : TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously)
    where TKey : notnull
{
    /// <summary>What the update read, set by the shard before the task completes; null after a stale load (see <c>Shard.OnLoaded</c>): the update reads again.</summary>
    public UpdateSnapshot<TKey>? Snapshot { get; set; }
}
