using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Pipeline;

namespace WriteBehindAkka.Sharding;

/// <content>Signals from the pipeline and from read-through loads; eviction.</content>
internal sealed partial class Shard<TKey>
{
    private void OnOutcome(BatchOutcome<TKey> outcome)
    {
        if (outcome.Committed is { } runs)
        {
            long nowMicros = Versioning.FromTimestamp(_ctx.Time.GetUtcNow());
            foreach (var run in runs)
            {
                OnCommitted(run, nowMicros);
            }
        }

        if (outcome.Failed is { } failed)
        {
            OnFailed(failed);
        }

        if (outcome.Requeued is { } requeued)
        {
            foreach (var item in requeued)
            {
                var entry = item.Entry;
                var before = entry.Pending;
                entry.InFlight = false;
                ReleaseReplaced(entry, item.Record.Value);
                if (entry.Has(EntryFlags.Dirty))
                {
                    // The newer write goes instead; it now also stands for the older epoch.
                    _epochs.Remove(entry.DirtyEpoch);
                }

                entry.Flags |= EntryFlags.Dirty;
                entry.DirtyEpoch = entry.EmittedEpoch;
                Enqueue(entry);
                Account(entry, before);
            }
        }
    }

    /// <summary>Lands this shard's records of a committed run (the run is shared with the lane's other shards).</summary>
    private void OnCommitted(List<PipelineItem<TKey>> run, long nowMicros)
    {
        foreach (var item in run)
        {
            if (item.Shard != _id)
            {
                continue;
            }

            var entry = item.Entry;
            long version = item.Record.Version;
            var before = Land(entry, item.Record.Value);
            entry.CommittedVersion = Math.Max(entry.CommittedVersion, version);
            entry.SetCommittedAt(nowMicros);
            // Landed first: a Committed writer answered sees the entry clean, its TimeToLive started.
            AfterLanding(entry, before);
            AnswerCommitWaiters(entry, version, null);
        }
    }

    /// <summary>Ends an entry's flight (of the array <paramref name="emitted"/>); returns what it counted for before.</summary>
    private PendingState Land(CacheEntry<TKey> entry, ReadOnlyMemory<byte> emitted)
    {
        var before = entry.Pending;
        entry.InFlight = false;
        ReleaseReplaced(entry, emitted);

        // The store is done with the emitted array. If the entry still holds it (any newer write replaced it and
        // cleared the flag), the next write may overwrite it in place.
        entry.Flags &= ~EntryFlags.PipelineHasValue;
        _epochs.Remove(entry.EmittedEpoch);
        return before;
    }

    /// <summary>The pipeline is done with <paramref name="emitted"/>: if a newer write had replaced it, its bytes leave the pending count.</summary>
    private void ReleaseReplaced(CacheEntry<TKey> entry, ReadOnlyMemory<byte> emitted)
    {
        if (!entry.Has(EntryFlags.ReplacedInFlight))
        {
            return;
        }

        entry.Flags &= ~EntryFlags.ReplacedInFlight;
        Interlocked.Add(ref _pendingBytes, -emitted.Length);
        OpenGateIfRoom();
    }

    /// <summary>Re-queues an entry written again while in flight, or makes it evictable.</summary>
    private void AfterLanding(CacheEntry<TKey> entry, PendingState before)
    {
        if (entry.Has(EntryFlags.Dirty))
        {
            Enqueue(entry);
        }
        else
        {
            bool expires = (_ttlTicks | _idleTicks) != 0;
            if (expires)
            {
                entry.DirtySince = _ctx.Time.GetTimestamp(); // clean since: its time to live and its idle time start now
                entry.LastReadAfterMs = 0;
            }

            if ((_maxEntries > 0 || expires) && !entry.Has(EntryFlags.InEvictionQueue))
            {
                entry.Flags = (entry.Flags | EntryFlags.InEvictionQueue) & ~EntryFlags.Referenced;
                _evictable.Enqueue((entry, entry.CommittedVersion));
            }
            else if (expires)
            {
                // Queued already, at a place older than its time to live now (see EntryFlags.CleanAgain).
                entry.Flags |= EntryFlags.CleanAgain;
            }
        }

        Account(entry, before);
    }

    /// <summary>Answers the Committed-level writers whose version this outcome covers.</summary>
    private static void AnswerCommitWaiters(CacheEntry<TKey> entry, long version, Exception? error)
    {
        // No lambda here: a capturing closure would be allocated on every commit, waiters or not.
        var waiters = entry.Extras?.CommitWaiters;
        if (waiters is null || waiters.Count == 0)
        {
            return;
        }

        for (int i = waiters.Count - 1; i >= 0; i--)
        {
            var (waiterVersion, reply) = waiters[i];
            if (waiterVersion > version)
            {
                continue;
            }

            if (error is null)
            {
                reply.TrySetResult(new WriteResult(waiterVersion, WriteConsistency.Committed));
            }
            else
            {
                reply.TrySetException(new WriteFailedException(
                    $"The write of key '{KeyText.Of(entry.Key)}' at version {version} was not committed: {error.Message}", error));
            }

            waiters.RemoveAt(i);
        }
    }

    private void OnLoaded(LoadCompletedSignal<TKey> load)
    {
        if (!_loading.Remove(load.Key, out var readers))
        {
            return;
        }

        if (load.Row is { } loaded)
        {
            // The clock moves past every row read through, cached or not (a write overtook the load, or the load was
            // stale): a later write of the key must get a newer version, or the store's version guard keeps this row.
            _clock.Observe(loaded.Version);
        }

        bool stale = _staleLoads.Remove(load.Key);
        int carried = _reloadedReaders.Count > 0 && _reloadedReaders.Remove(load.Key, out int count) ? count : 0;
        if (_entries.TryGetValue(load.Key, out var entry))
        {
            // Written while loading: read-your-writes wins over the stored row.
            foreach (var reader in readers)
            {
                if (reader is UpdateLoadReader<TKey> update)
                {
                    update.Snapshot = ReadEntryForUpdate(entry);
                }

                reader.TrySetResult(ShareValue(entry));
            }

            return;
        }

        if (stale)
        {
            // Written, committed and evicted (or evicted on request) while the load ran: the store may have a newer
            // row now. The readers that came since this load's predecessor was found stale wait for a load begun after
            // this eviction. Those carried over from it began before this eviction and this load began after the
            // one they waited through: this load's answer is theirs (else evictions as frequent as loads would keep
            // them waiting for ever), but it is not cached.
            if (carried < readers.Count)
            {
                var again = carried == 0 ? readers : readers.GetRange(carried, readers.Count - carried);
                _loading.Add(load.Key, again);
                _reloadedReaders[load.Key] = again.Count;
                _ = LoadAsync(load.Key);
                if (carried == 0)
                {
                    return;
                }

                readers.RemoveRange(carried, readers.Count - carried);
            }
        }

        if (load.Error is not null)
        {
            // A load cut short by the shutdown (it runs on the cache's stop token) is the cache stopping, not the store failing.
            Exception error = _ctx.Stop.IsCancellationRequested
                ? new ObjectDisposedException($"The cache '{_ctx.Name}' stopped before the read-through load of key '{KeyText.Of(load.Key)}' completed.", load.Error)
                : new InvalidOperationException($"Read-through of key '{KeyText.Of(load.Key)}' failed: {load.Error.Message}", load.Error);
            foreach (var reader in readers)
            {
                reader.TrySetException(error);
            }

            return;
        }

        UpdateSnapshot<TKey>? read = null;
        if (!stale)
        {
            // The tables are made for an update's first load before the row is noted: the shard knows what the update read.
            bool forUpdate = AnyUpdate(readers); // (only then: a cache that never updates keeps no change tables)
            if (forUpdate)
            {
                StartTrackingChanges();
            }

            NoteLoaded(load.Key, load.Row?.Version ?? 0);
            read = forUpdate ? ReadLoadedForUpdate(load.Row) : null; // read after the note, which may count a change
        }

        if (!stale && load.Row is { } row)
        {
            entry = new CacheEntry<TKey>(load.Key)
            {
                Value = row.Value,
                Version = row.Version,
                CommittedVersion = row.Version,
                Flags = EntryFlags.ReaderHasValue, // the row's array also goes to the readers below
            };
            _entries.Add(entry);
            AfterLanding(entry, before: default);
            if (_ttlTicks != 0)
            {
                // The row is as old as the load: its time to live runs from when the load was asked, or a slow load
                // would hide another process's change for the time to live and the load's duration. Its readers read
                // it now, so its idle time starts now.
                long now = entry.DirtySince;
                entry.DirtySince = Math.Min(load.StartedAt, now);
                if (_idleTicks != 0)
                {
                    NoteRead(entry, now);
                }
            }
        }

        foreach (var reader in readers)
        {
            if (read is { } snapshot && reader is UpdateLoadReader<TKey> update)
            {
                update.Snapshot = snapshot;
            }

            reader.TrySetResult(load.Row?.Value);
        }
    }

    /// <summary>Marks a load of the key under way, if there is one, as stale (see <see cref="_staleLoads"/>): it loads again when it returns.</summary>
    private void MarkLoadStale(TKey key)
    {
        if (_loading.Count > 0 && _loading.ContainsKey(key))
        {
            _staleLoads.Add(key);
        }
    }

    /// <summary>Removes a key's entry; a load of the key under way is marked stale (see <see cref="_staleLoads"/>).</summary>
    private void DropEntry(TKey key)
    {
        if (_dropWatch.Count > 0 && _dropWatch.TryGetValue(key, out var watch) && _entries.TryGetValue(key, out var dropped))
        {
            // A dead-letter retry is reading the store for this key: what the entry knew committed still counts.
            _dropWatch[key] = (watch.Watchers, Math.Max(watch.Dropped, dropped.CommittedVersion));
        }

        _entries.Remove(key);
        MarkLoadStale(key);
    }

    /// <summary>
    /// Drops clean entries, least recently used first (approximately), while the shard is over its bound: the queue
    /// holds them in the order they were committed, and a read queues an entry again at the back (once until its
    /// older place comes up, which is then skipped: see <see cref="EntryFlags.Referenced"/>). A failed entry is clean
    /// once its failure is recorded (dead-lettered, or reported when there is no sink); one the sink refused
    /// counts as pending and stays.
    /// </summary>
    private void Evict()
    {
        DropStalePlaces();
        while (_maxEntries > 0 && _entries.Count > _maxEntries && _evictable.TryDequeue(out var candidate))
        {
            var entry = candidate.Entry;
            if (entry.Has(EntryFlags.Referenced))
            {
                // Read since this place was taken, and queued again further back then: that place stands for it.
                entry.Flags &= ~EntryFlags.Referenced;
                continue;
            }

            if (entry.CommittedVersion != candidate.CommittedVersion && !entry.IsPending)
            {
                // Committed again since it was queued: it is not the oldest-committed any more.
                entry.Flags &= ~EntryFlags.CleanAgain;
                _evictable.Enqueue((entry, entry.CommittedVersion));
                continue;
            }

            entry.Flags &= ~(EntryFlags.InEvictionQueue | EntryFlags.CleanAgain);
            if (MayDrop(entry) && _entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
            {
                DropClean(entry, _evictedTags);
            }
        }
    }

    /// <summary>
    /// Takes out of the eviction queue the places of entries dropped otherwise than by <see cref="Evict"/> or
    /// <see cref="Expire"/> (on request, read after they expired, a dead letter forgotten), once they are most of it:
    /// under the bound nothing else would, and each would keep its dropped entry, value included, for good. An entry
    /// held has two places at most (see <see cref="EntryFlags.Referenced"/>), so past four per entry at least half are
    /// stale and the pass costs no more than twice the places it removes. The order and the entries' flags stay as
    /// they are.
    /// </summary>
    private void DropStalePlaces()
    {
        if (_evictable.Count <= (4L * _entries.Count) + 64)
        {
            return;
        }

        for (int i = _evictable.Count; i > 0; i--)
        {
            var place = _evictable.Dequeue();
            if (_entries.TryGetValue(place.Entry.Key, out var held) && ReferenceEquals(held, place.Entry))
            {
                _evictable.Enqueue(place);
            }
        }

        TrimIfSparse();
    }

    /// <summary>
    /// Drops a key's entry because the application asked (<c>EvictAsync</c>): only a clean one, without a Committed-level
    /// writer waiting; true when it was dropped. A load of the key under way is made again when it returns (it may have
    /// read the row before the change the application was told of), so neither its readers nor the cache keep that row.
    /// </summary>
    private bool EvictOnRequest(TKey key)
    {
        MarkChanged(key); // the row changed elsewhere: an update that read the key reads it again
        if (!_entries.TryGetValue(key, out var entry))
        {
            MarkLoadStale(key);
            return false;
        }

        if (!MayDrop(entry))
        {
            return false;
        }

        DropClean(entry, _requestedTags);
        return true;
    }

    /// <summary>
    /// Drops every clean entry of the shard because the application asked (<c>EvictAllAsync</c>); returns how many. The
    /// loads under way are made again when they return, as for <see cref="EvictOnRequest"/>.
    /// </summary>
    private long EvictAllOnRequest()
    {
        MarkAllChanged(); // as for EvictOnRequest, every key
        foreach (var key in _loading.Keys)
        {
            _staleLoads.Add(key);
        }

        List<CacheEntry<TKey>>? clean = null;
        foreach (var entry in _entries)
        {
            if (MayDrop(entry))
            {
                (clean ??= []).Add(entry);
            }
        }

        if (clean is null)
        {
            return 0;
        }

        foreach (var entry in clean)
        {
            DropClean(entry, _requestedTags);
        }

        TrimIfSparse();
        return clean.Count;
    }

    /// <summary>
    /// Whether an entry may leave memory (evicted, expired, or on request): it is clean (no write waiting for the store,
    /// none in flight, no failure only memory holds) and no Committed-level writer waits on it.
    /// </summary>
    private static bool MayDrop(CacheEntry<TKey> entry) => !entry.IsPending && entry.Extras?.CommitWaiters is not { Count: > 0 };

    /// <summary>Drops a clean entry and counts it under <paramref name="reason"/>'s tags (evicted, expired or requested).</summary>
    private void DropClean(CacheEntry<TKey> entry, in System.Diagnostics.TagList reason)
    {
        DropEntry(entry.Key);
        NoteDropped(entry);

        if (entry.Has(EntryFlags.Failed))
        {
            _failedCount--;
        }

        WriteBehindMetrics.EntriesRemoved.AddSafely(1, reason);
    }

    /// <summary>
    /// Whether a cached entry may answer a read: not when it outlived <see cref="Options.WriteBehindOptions.TimeToLive"/>
    /// or <see cref="Options.WriteBehindOptions.MaxIdle"/> (the read loads the row again). An entry with a write not
    /// committed yet, or a Committed-level writer waiting, never expires. True notes the read: it restarts the idle
    /// time, and, with a bound on entries or an idle expiry, the entry's first read since its place in the eviction
    /// queue came up queues it again at the back (it was just used; see <see cref="EntryFlags.Referenced"/>).
    /// </summary>
    private bool TakeRead(CacheEntry<TKey> entry)
    {
        if ((_ttlTicks | _idleTicks) != 0 && MayDrop(entry))
        {
            long now = _ctx.Time.GetTimestamp();
            if (ExpiresAt(entry) <= now)
            {
                return false;
            }

            if (_idleTicks != 0)
            {
                NoteRead(entry, now);
            }
        }

        if ((_maxEntries > 0 || _idleTicks != 0) && (entry.Flags & (EntryFlags.InEvictionQueue | EntryFlags.Referenced)) == EntryFlags.InEvictionQueue)
        {
            entry.Flags |= EntryFlags.Referenced;
            _evictable.Enqueue((entry, entry.CommittedVersion));
        }

        return true;
    }

    /// <summary>
    /// When a clean entry expires, in <see cref="TimeProvider.GetTimestamp"/> ticks: its time to live after it became
    /// clean, or its idle time after its last read (or after it became clean), whichever comes first.
    /// </summary>
    private long ExpiresAt(CacheEntry<TKey> entry)
    {
        long at = _ttlTicks != 0 ? entry.DirtySince + _ttlTicks : long.MaxValue;
        if (_idleTicks != 0)
        {
            // Without a time to live, DirtySince is the last read itself (NoteRead moves it).
            long lastUse = _ttlTicks != 0 ? entry.DirtySince + (entry.LastReadAfterMs * _ticksPerMs) : entry.DirtySince;
            at = Math.Min(at, lastUse + _idleTicks);
        }

        return at;
    }

    /// <summary>
    /// Records a read of a clean entry for its idle time. Without a time to live its clean-since time is not needed, so
    /// the read takes its place; with one, the read is kept as milliseconds after it (rounded up: an entry may idle a
    /// millisecond longer, never shorter; two milliseconds with a time to live over 24.8 days, see <see cref="_ticksPerMs"/>).
    /// </summary>
    private void NoteRead(CacheEntry<TKey> entry, long now)
    {
        if (_ttlTicks == 0)
        {
            entry.DirtySince = now;
            return;
        }

        long afterMs = (now - entry.DirtySince + _ticksPerMs - 1) / _ticksPerMs;
        entry.LastReadAfterMs = (int)Math.Clamp(afterMs, 0, int.MaxValue);
    }

    /// <summary>
    /// Drops the clean entries that outlived <see cref="Options.WriteBehindOptions.TimeToLive"/> or were not read for
    /// <see cref="Options.WriteBehindOptions.MaxIdle"/>, in the order of the eviction queue, and sets the timer for the
    /// next one: a read of an expired entry loads the row again even before this drops it (<see cref="TakeRead"/>),
    /// so this only gives the memory back, within about a time to live (or an idle time) of the expiry.
    /// </summary>
    private void Expire()
    {
        if ((_ttlTicks | _idleTicks) == 0)
        {
            return;
        }

        long now = _ctx.Time.GetTimestamp();
        while (_evictable.TryPeek(out var candidate))
        {
            var entry = candidate.Entry;
            bool current = _entries.TryGetValue(entry.Key, out var held) && ReferenceEquals(held, entry);
            if (entry.Has(EntryFlags.Referenced))
            {
                // Read and queued again further back (a bound on entries, or an idle expiry): that place stands for it.
                entry.Flags &= ~EntryFlags.Referenced;
                _evictable.Dequeue();
                continue;
            }

            if (current && !entry.IsPending && (entry.CommittedVersion != candidate.CommittedVersion || entry.Has(EntryFlags.CleanAgain)))
            {
                // Clean again since it was queued (committed again, or refused again): its time runs from then.
                entry.Flags &= ~EntryFlags.CleanAgain;
                _evictable.Dequeue();
                _evictable.Enqueue((entry, entry.CommittedVersion));
                continue;
            }

            if (current && !entry.IsPending && ExpiresAt(entry) is var expiresAt && expiresAt > now)
            {
                ArmTimer(expiresAt, now);
                break;
            }

            _evictable.Dequeue();
            entry.Flags &= ~(EntryFlags.InEvictionQueue | EntryFlags.CleanAgain);
            if (current && MayDrop(entry))
            {
                DropClean(entry, _expiredTags);
            }
        }

        TrimIfSparse();
    }

    /// <summary>
    /// Gives back the room of the entry table and of the expiry queue once they use a quarter of it or less: after a
    /// burst of keys expired, an idle shard would otherwise keep the table and queue sized for the burst. A quarter,
    /// so that the rebuild (a pass over what is left) is paid for by the drops since the last one.
    /// </summary>
    private void TrimIfSparse()
    {
        if (_entries.Capacity > MinTrimmedCapacity && _entries.Count <= _entries.Capacity / 4)
        {
            _entries.TrimExcess();
        }

        if (_evictable.Capacity > MinTrimmedCapacity && _evictable.Count <= _evictable.Capacity / 4)
        {
            _evictable.TrimExcess();
        }
    }
}
