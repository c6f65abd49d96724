namespace WriteBehindAkka.Sharding;

/// <content>
/// Atomic updates, the shard's side: an update reads the key (<see cref="CommandKind.ReadForUpdate"/>), computes the
/// new value on the caller's thread, and writes it with a <see cref="ConditionalWrite"/> that the shard applies only
/// if nothing changed the key's value since the read. The caller's function never runs under the shard's lock, so a
/// slow or re-entrant function cannot stall or deadlock the shard; the price is that it may run again after a
/// conflict (as <c>ConcurrentDictionary.AddOrUpdate</c>'s does).
/// </content>
/// <remarks>
/// What "changed" means: a write applied to the key, a dead letter of it revived or discarded, a failed (dead-lettered)
/// entry of it dropped, an eviction on request (the application says the row changed elsewhere), or a load that finds
/// a row other than the one the shard last knew the key to have. An entry evicted for room or expired is no change: it
/// was clean, so the store holds its value, and a reload brings that value back; nor is a read. The shard keeps, for
/// each of <see cref="ChangeBuckets"/> buckets of the key hash, the value of a change counter at the bucket's last
/// change; an update's read takes the counter, and its write is applied if its key's bucket has not changed since.
/// Two keys that share a bucket make a false conflict (the update runs again), never a lost write. Each bucket also
/// remembers the last row it knew of one key (the key and the row's version: an entry dropped, or a row loaded),
/// so that a load can tell a row changed elsewhere; when the bucket holds another key's, the load is taken as no
/// change (finding changes made elsewhere is a courtesy: the application reports them with <c>EvictAsync</c>), so
/// that loads of two keys of a bucket cannot make each other a change for ever (the key itself, not its hash: two keys
/// with equal hash codes, common among longs, did). The tables take 96 KiB a shard (keys of 8 bytes or references),
/// allocated at the shard's first update, and no entry carries anything for them.
/// </remarks>
internal sealed partial class Shard<TKey>
{
    /// <summary>The buckets of <see cref="_buckets"/> (a power of two).</summary>
    private const int ChangeBuckets = 4096;

    /// <summary>The change buckets, one for each bucket of the key hash; null until the shard's first update.</summary>
    private ChangeBucket[]? _buckets;

    /// <summary>The change counter: incremented at every change while updates are in use.</summary>
    private long _changes;

    /// <summary><see cref="_changes"/> at the last change of every key (<c>EvictAllAsync</c>).</summary>
    private long _allChangedAt;

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

        reply.TrySetResult(new UpdateSnapshot<TKey>(0, 0, null, load));
    }

    /// <summary>
    /// Answers an update's read from memory: the entry's version and value, or no value for a key not cached when
    /// read-through is off (no value is all the cache knows of it); with read-through a key not cached must be loaded
    /// first (false).
    /// </summary>
    private bool TryReadForUpdate(TKey key, out UpdateSnapshot<TKey> snapshot)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (TakeRead(entry))
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

        snapshot = ReadLoadedForUpdate(null);
        return true;
    }

    /// <summary>What an update reads of an entry.</summary>
    private UpdateSnapshot<TKey> ReadEntryForUpdate(CacheEntry<TKey> entry)
    {
        long readAt = StartTrackingChanges();
        return new UpdateSnapshot<TKey>(readAt, entry.Version, ShareValue(entry), null);
    }

    /// <summary>What an update reads of a key not cached: the row a load found (null: none).</summary>
    private UpdateSnapshot<TKey> ReadLoadedForUpdate(Storage.StoredEntry? row)
    {
        long readAt = StartTrackingChanges();
        return new UpdateSnapshot<TKey>(readAt, row?.Version ?? 0, row?.Value, null);
    }

    /// <summary>Whether an update waits among a load's readers.</summary>
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

    /// <summary>Gets a value indicating whether the shard keeps its change tables: it has served an update (tests).</summary>
    internal bool TracksChanges
    {
        get
        {
            lock (_lock)
            {
                return _buckets is not null;
            }
        }
    }

    /// <summary>Allocates the change tables at the shard's first update; returns the change counter, which an update's write is checked against.</summary>
    private long StartTrackingChanges()
    {
        if (_buckets is null)
        {
            _buckets = new ChangeBucket[ChangeBuckets];
            Array.Fill(_buckets, new ChangeBucket { KnownVersion = -1 });
        }

        return _changes;
    }

    private static int Bucket(TKey key) => EqualityComparer<TKey>.Default.GetHashCode(key) & (ChangeBuckets - 1);

    /// <summary>Records a change of the key's value (see the remarks above); nothing before the shard's first update.</summary>
    private void MarkChanged(TKey key)
    {
        if (_buckets is { } buckets)
        {
            buckets[Bucket(key)].ChangedAt = ++_changes;
        }
    }

    /// <summary>Records a change of every key's value.</summary>
    private void MarkAllChanged()
    {
        if (_buckets is not null)
        {
            _allChangedAt = ++_changes;
        }
    }

    /// <summary>
    /// Notes an entry dropped from memory: the row the store holds for it (none for a deleted key), for
    /// <see cref="NoteLoaded"/>. A failed entry's value was never the store's: its drop is a change.
    /// </summary>
    private void NoteDropped(CacheEntry<TKey> entry)
    {
        if (_buckets is { } buckets)
        {
            ref var bucket = ref buckets[Bucket(entry.Key)];
            bucket.KnownKey = entry.Key;
            bucket.KnownVersion = entry.Value is null ? 0 : entry.Version;
            if (entry.Has(EntryFlags.Failed))
            {
                bucket.ChangedAt = ++_changes;
            }
        }
    }

    /// <summary>
    /// Notes a load's row (version 0: none): when the bucket knows a row of this key and it is another, the row changed
    /// elsewhere, a change. The row is then the one the bucket knows.
    /// </summary>
    private void NoteLoaded(TKey key, long version)
    {
        if (_buckets is { } buckets)
        {
            ref var bucket = ref buckets[Bucket(key)];
            if (bucket.KnownVersion >= 0 && bucket.KnownVersion != version && EqualityComparer<TKey>.Default.Equals(bucket.KnownKey, key))
            {
                bucket.ChangedAt = ++_changes;
            }

            bucket.KnownKey = key;
            bucket.KnownVersion = version;
        }
    }

    /// <summary>
    /// Whether an update's write may be applied: nothing changed the key since the update read it, and the key's entry,
    /// if it has one, is at the version read.
    /// </summary>
    private bool UpdateCanWrite(TKey key, ConditionalWrite condition) =>
        _buckets is { } buckets
        && _allChangedAt <= condition.ReadAt
        && buckets[Bucket(key)].ChangedAt <= condition.ReadAt
        && (!_entries.TryGetValue(key, out var current) || current.Version == condition.ExpectedVersion);

    /// <summary>A bucket of the key hash: its last change, and the last row it knew of one of its keys.</summary>
    private struct ChangeBucket
    {
        /// <summary><see cref="_changes"/> at the bucket's last change.</summary>
        public long ChangedAt;

        /// <summary>The key whose row the bucket last knew (see <see cref="KnownVersion"/>).</summary>
        public TKey? KnownKey;

        /// <summary>The version of that row (0: none; -1: the bucket knows no key's), of an entry dropped or a row loaded: to tell a reload from a row changed elsewhere.</summary>
        public long KnownVersion;
    }
}
