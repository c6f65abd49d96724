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
    /// <summary>The most drops <see cref="_droppedUnderUpdate"/> remembers; past it, it starts again empty (an update whose drop it forgot reads again).</summary>
    private const int MaxDropsUnderUpdate = 4096;

    /// <summary>
    /// Keys whose entry an update had read and that was then evicted or expired untouched, with the version it had:
    /// the update's write is still taken (see <see cref="UpdateCanWrite"/>), so that a shard that evicts each entry as
    /// soon as it lands (over <c>MaxCachedEntries</c> with only pending entries besides, a very short
    /// <c>TimeToLive</c>) cannot make its updates read again for ever. A key leaves it when an entry of it is added.
    /// </summary>
    private readonly Dictionary<TKey, long> _droppedUnderUpdate = [];

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

    /// <summary>Reads a key for an update on the loop: from memory, or else it starts (or joins) the key's load, which brings what the update reads.</summary>
    private void ReadForUpdate(TKey key, TaskCompletionSource<UpdateSnapshot<TKey>> reply)
    {
        if (TryReadForUpdate(key, out var snapshot))
        {
            reply.TrySetResult(snapshot);
            return;
        }

        var load = new UpdateLoadReader<TKey>();
        if (StartRead(key, load))
        {
            _ = LoadAsync(key);
        }

        reply.TrySetResult(new UpdateSnapshot<TKey>(null, 0, null, load));
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
                snapshot = ReadEntryForUpdate(entry);
                return true;
            }

            DropClean(entry, _expiredTags); // outlived its time to live: read as a miss
        }

        if (_ctx.Options.ReadThrough)
        {
            snapshot = default;
            return false;
        }

        snapshot = ReadEntryForUpdate(AddPlaceholder(key));
        return true;
    }

    /// <summary>What an update reads of an entry; the entry is marked as read by one (see <see cref="EntryFlags.UpdateRead"/>).</summary>
    private static UpdateSnapshot<TKey> ReadEntryForUpdate(CacheEntry<TKey> entry)
    {
        entry.Flags |= EntryFlags.UpdateRead;
        return new UpdateSnapshot<TKey>(entry, entry.Version, ShareValue(entry), null);
    }

    /// <summary>Hands an update waiting for a load what it reads: the entry the load left (or found).</summary>
    private static void GiveUpdateItsRead(TaskCompletionSource<byte[]?> reader, CacheEntry<TKey> entry)
    {
        if (reader is UpdateLoadReader<TKey> update)
        {
            update.Snapshot = ReadEntryForUpdate(entry);
        }
    }

    /// <summary>
    /// Adds a clean entry without a value for a key that has none, for an update to make its write conditional on:
    /// a write of the key, or its eviction on request, between the update's read and its write replaces or removes
    /// this entry, and the update reads again. Evicted and expired as a loaded entry is.
    /// </summary>
    private CacheEntry<TKey> AddPlaceholder(TKey key)
    {
        var entry = new CacheEntry<TKey>(key) { Flags = EntryFlags.Placeholder };
        AddEntry(entry);
        AfterLanding(entry, before: default);
        return entry;
    }

    /// <summary>Adds an entry to the table; a drop remembered for the key (<see cref="_droppedUnderUpdate"/>) no longer holds.</summary>
    private void AddEntry(CacheEntry<TKey> entry)
    {
        _entries.Add(entry);
        if (_droppedUnderUpdate.Count > 0)
        {
            _droppedUnderUpdate.Remove(entry.Key);
        }
    }

    /// <summary>Remembers that an entry an update read was evicted or expired untouched (see <see cref="_droppedUnderUpdate"/>).</summary>
    private void RememberDropUnderUpdate(CacheEntry<TKey> entry)
    {
        if (_droppedUnderUpdate.Count >= MaxDropsUnderUpdate)
        {
            _droppedUnderUpdate.Clear();
        }

        _droppedUnderUpdate[entry.Key] = entry.Version;
    }

    /// <summary>
    /// Whether an update's write may be applied: the key's entry is the one the update read, at the version it read;
    /// or the key has no entry, and the last one it had was evicted or expired untouched at that version, with none
    /// added since. Then the store still holds what the update read (an evicted or expired entry is clean, and only
    /// this cache writes the key), so no write is lost by taking it. A drop on request (<c>EvictAsync</c>: the
    /// application says the row changed), a discarded dead letter or a dead-letter retry is not remembered: the
    /// update reads again.
    /// </summary>
    private bool UpdateCanWrite(TKey key, ConditionalWrite<TKey> condition) =>
        _entries.TryGetValue(key, out var current)
            ? condition.Holds(current)
            : _droppedUnderUpdate.Count > 0 && _droppedUnderUpdate.TryGetValue(key, out long dropped) && dropped == condition.ExpectedVersion;

    /// <summary>Whether an update waits among a load's readers (see <see cref="UpdateLoadReader{TKey}"/>).</summary>
    private static bool AnyUpdate(List<TaskCompletionSource<byte[]?>> readers)
    {
        foreach (var reader in readers)
        {
            if (reader is UpdateLoadReader<TKey>)
            {
                return true;
            }
        }

        return false;
    }
}
