namespace WriteBehindAkka.Sharding;

/// <content>
/// Atomic updates, the shard's side: an update reads the key (<see cref="CommandKind.ReadForUpdate"/>), computes the
/// new value on the caller's thread, and writes it with a <see cref="ConditionalWrite{TKey}"/> that the shard applies
/// only if the entry it read is still there at the version it read. The caller's function never runs under the
/// shard's lock, so a slow or re-entrant function cannot stall or deadlock the shard; the price is that it may run
/// again after a conflict (as <c>ConcurrentDictionary.AddOrUpdate</c>'s does).
/// </content>
internal sealed partial class Shard<TKey>
{
    /// <summary>
    /// The state of an update's read-through reader: when its load finds no row the shard leaves a placeholder entry
    /// (see <see cref="EntryFlags.Placeholder"/>), so that the update has an entry to make its write conditional on.
    /// </summary>
    internal static readonly object UpdateLoad = new();

    /// <summary>Reads a key for an update on the caller's thread if the shard is idle and the key needs no load.</summary>
    /// <returns>False when the shard is busy or stopped, or the key must be loaded: queue the read instead.</returns>
    public bool TryReadForUpdateInline(TKey key, out UpdateSnapshot<TKey> snapshot)
    {
        snapshot = default;
        if (!TryEnterIdle())
        {
            return false;
        }

        try
        {
            return TryReadForUpdate(key, out snapshot);
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>Reads a key for an update on the loop: from memory, or else it starts (or joins) the key's load and answers with it.</summary>
    private void ReadForUpdate(TKey key, TaskCompletionSource<UpdateSnapshot<TKey>> reply)
    {
        if (TryReadForUpdate(key, out var snapshot))
        {
            reply.TrySetResult(snapshot);
            return;
        }

        var load = new TaskCompletionSource<byte[]?>(UpdateLoad, TaskCreationOptions.RunContinuationsAsynchronously);
        if (StartRead(key, load))
        {
            _ = LoadAsync(key);
        }

        reply.TrySetResult(new UpdateSnapshot<TKey>(null, 0, null, load.Task));
    }

    /// <summary>
    /// Answers an update's read from memory: the entry and its version and value. A key without an entry gets a
    /// placeholder when read-through is off (no value is all the cache knows of it); with read-through it must be
    /// loaded first (false).
    /// </summary>
    private bool TryReadForUpdate(TKey key, out UpdateSnapshot<TKey> snapshot)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (!IsExpired(entry))
            {
                snapshot = new UpdateSnapshot<TKey>(entry, entry.Version, ShareValue(entry), null);
                return true;
            }

            DropClean(entry, _expiredTags); // outlived its time to live: read as a miss
        }

        if (_ctx.Options.ReadThrough)
        {
            snapshot = default;
            return false;
        }

        entry = AddPlaceholder(key);
        snapshot = new UpdateSnapshot<TKey>(entry, entry.Version, null, null);
        return true;
    }

    /// <summary>
    /// Adds a clean entry without a value for a key that has none, for an update to make its write conditional on:
    /// a write of the key, or its eviction, between the update's read and its write replaces or removes this entry,
    /// and the update reads again. Evicted and expired as a loaded entry is.
    /// </summary>
    private CacheEntry<TKey> AddPlaceholder(TKey key)
    {
        var entry = new CacheEntry<TKey>(key) { Flags = EntryFlags.Placeholder };
        _entries.Add(entry);
        AfterLanding(entry, before: default);
        return entry;
    }

    /// <summary>Whether an update waits among a load's readers (see <see cref="UpdateLoad"/>).</summary>
    private static bool AnyUpdate(List<TaskCompletionSource<byte[]?>> readers)
    {
        foreach (var reader in readers)
        {
            if (reader.Task.AsyncState == UpdateLoad)
            {
                return true;
            }
        }

        return false;
    }
}
