using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Sharding;

/// <content>User commands: writes and reads.</content>
internal sealed partial class Shard<TKey>
{
    private void Write(in ShardCommand<TKey> command) =>
        Write(command.Kind, command.Key, command.Value, command.Consistency, command.Reply as TaskCompletionSource<WriteResult>, out _);

    /// <summary>
    /// Applies a Set or Delete and returns its version. An Ask's <paramref name="reply"/> is answered here, by the
    /// journal once its fsync policy is met, or at commit; without a reply (a Tell, or an inline Accepted write)
    /// the write is acknowledged when this returns, once the caller has checked <paramref name="journalPosition"/>
    /// (where its journal record ends; 0 without the journal).
    /// </summary>
    private long Write(CommandKind kind, TKey key, byte[]? value, WriteConsistency consistency, TaskCompletionSource<WriteResult>? reply, out long journalPosition)
    {
        journalPosition = 0;
        if (reply is ConditionalWrite condition && !UpdateCanWrite(key, condition))
        {
            // An update's write, and the key changed since the update read it: not applied; the update reads again.
            reply.TrySetResult(ConditionalWrite.Conflict);
            return 0;
        }

        long version = _clock.Next();
        bool journalAnswers = false;
        if (_ctx.Journal is { } journal)
        {
            // Journaled before it is applied: a write whose record could not be appended is refused, not applied.
            // Applied, it could reach the store while an older record of the key stays in the journal, and a delete
            // (the store keeps no tombstone) would be undone by the replay of that record after a crash.
            // The journal answers Accepted/Journaled Asks once its fsync policy is met.
            journalAnswers = reply is not null && consistency != WriteConsistency.Committed;
            journalPosition = AppendToJournal(journal, kind, key, value, version, journalAnswers ? reply : null, consistency == WriteConsistency.Journaled, out _);
            if (journal.ErrorAt(journalPosition) is not null)
            {
                if (!journalAnswers && reply is not null)
                {
                    try
                    {
                        journal.EnsureWritten(journalPosition, version);
                    }
                    catch (Exception error)
                    {
                        reply.TrySetException(error);
                    }
                }

                return version;
            }
        }

        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new CacheEntry<TKey>(key);
            _entries.Add(entry);
        }

        MarkChanged(key);
        var before = entry.Pending;
        if (entry.Has(EntryFlags.Dirty))
        {
            WriteBehindMetrics.WritesCoalesced.AddSafely(1, _ctx.Tags);
        }
        else
        {
            entry.Flags |= EntryFlags.Dirty;
            entry.DirtyEpoch = _epochs.Current;
            _epochs.Add(entry.DirtyEpoch);
            entry.DirtySince = _ctx.Time.GetTimestamp();
        }

        if (entry.Has(EntryFlags.Failed))
        {
            entry.Flags &= ~EntryFlags.Failed;
            _failedCount--;
        }

        StoreValue(entry, kind == CommandKind.Delete ? null : value);
        entry.Version = version;
        Account(entry, before);
        if (_loading.Count > 0)
        {
            AnswerLoadReaders(entry);
        }
        if (!entry.InFlight)
        {
            Enqueue(entry);
        }

        WriteBehindMetrics.WritesAccepted.AddSafely(1, _ctx.Tags);
        if (journalAnswers)
        {
            return version;
        }

        if (reply is not null)
        {
            if (consistency == WriteConsistency.Committed)
            {
                entry.Extras ??= new EntryExtras();
                (entry.Extras.CommitWaiters ??= []).Add((version, reply));
            }
            else
            {
                reply.TrySetResult(new WriteResult(version, WriteConsistency.Accepted));
            }
        }

        return version;
    }

    /// <summary>
    /// Encodes the write's record into the journal's current segment; returns where it ends, so that an inline
    /// caller can check it was appended (a queued Ask is answered by the journal), and the segment it went into.
    /// </summary>
    private long AppendToJournal(Journal.WriteAheadJournal journal, CommandKind kind, TKey key, byte[]? value, long version, TaskCompletionSource<WriteResult>? reply, bool requireFsync, out long segment)
    {
        Span<byte> scratch = stackalloc byte[256];
        return journal.Append(
            kind == CommandKind.Delete ? Storage.WriteOperation.Delete : Storage.WriteOperation.Upsert,
            version,
            Journal.JournalKeyCodec<TKey>.Encode(key, scratch),
            kind == CommandKind.Delete ? default : value,
            reply,
            requireFsync,
            out segment);
    }

    /// <summary>
    /// Sets the entry's value. A value of the same length as the one held is copied into the held array when
    /// nothing else can see that array (not emitted, not handed to a reader): the entry then never points at a
    /// newly allocated array, so the caller's array dies young and the garbage collector has no old-to-young
    /// reference to track. Under a steady load over many keys that keeps gen0 collections cheap and gen2 from
    /// filling with overwritten values. Otherwise the entry takes the caller's array (the serializer hands over
    /// a new array the cache owns).
    /// </summary>
    private void StoreValue(CacheEntry<TKey> entry, byte[]? value)
    {
        if (value is not null && entry.Value is { } held && held.Length == value.Length && !entry.Has(EntryFlags.ValueShared))
        {
            value.AsSpan().CopyTo(held);
            return;
        }

        if (entry.InFlight && entry.Has(EntryFlags.PipelineHasValue) && entry.Value is { Length: > 0 } emitted)
        {
            // The pipeline still holds the emitted array until its write lands: keep it within MaxPendingBytes.
            entry.Flags |= EntryFlags.ReplacedInFlight;
            Interlocked.Add(ref _pendingBytes, emitted.Length);
        }

        entry.Value = value;
        entry.Flags &= ~EntryFlags.ValueShared;
    }

    /// <summary>Hands the entry's value to a reader; the array is no longer the shard's alone.</summary>
    private static byte[]? ShareValue(CacheEntry<TKey> entry)
    {
        entry.Flags |= EntryFlags.ReaderHasValue;
        return entry.Value;
    }

    /// <summary>Loads writes replayed from the journal as pending entries (before any user command).</summary>
    private void Recover(RecoveryBatch<TKey> batch)
    {
        _clock.Observe(batch.HighestVersion);
        foreach (var (key, value, version) in batch.Entries)
        {
            _clock.Observe(version);
            if (_entries.ContainsKey(key))
            {
                continue;
            }

            var entry = new CacheEntry<TKey>(key)
            {
                Value = value,
                Version = version,
                Flags = EntryFlags.Dirty,
                DirtyEpoch = _epochs.Current,
                DirtySince = _ctx.Time.GetTimestamp(),
            };
            _epochs.Add(entry.DirtyEpoch);
            _entries.Add(entry);
            Account(entry, before: default);
            Enqueue(entry);
        }

        batch.Done.TrySetResult();
    }

    private void Get(TKey key, TaskCompletionSource<byte[]?> reply)
    {
        if (StartRead(key, reply))
        {
            _ = LoadAsync(key);
        }
    }

    /// <summary>Reads several keys: the cached ones at once, the misses no load is running for in one store call.</summary>
    private void GetMany(GetManyRequest<TKey> request)
    {
        List<TKey>? misses = null;
        foreach (var (key, reply) in request.Reads)
        {
            if (StartRead(key, reply))
            {
                (misses ??= []).Add(key);
            }
        }

        if (misses is not null)
        {
            _ = LoadManyAsync(misses);
        }
    }

    /// <summary>
    /// Answers a read from the cache (or with nothing, without read-through), or joins the load running for its key.
    /// True when a load must start: the key is registered as loading with this reader, and the caller starts it.
    /// </summary>
    private bool StartRead(TKey key, TaskCompletionSource<byte[]?> reply)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (TakeRead(entry))
            {
                reply.TrySetResult(ShareValue(entry));
                return false;
            }

            DropClean(entry, _expiredTags); // outlived its time to live: read as a miss
        }

        if (!_ctx.Options.ReadThrough)
        {
            reply.TrySetResult(null);
            return false;
        }

        if (_loading.TryGetValue(key, out var readers))
        {
            readers.Add(reply);
            return false;
        }

        _loading.Add(key, [reply]);
        return true;
    }

    /// <summary>
    /// A write of a key being loaded answers the readers waiting for the load at once, as the load would when it lands
    /// (the write wins over the row): they need not wait for a slow load, nor for ever for one that hangs. The load
    /// stays registered, its readers list emptied, so that it is still the key's only one; readers that come later
    /// are answered from the entry, or, once it is dropped, join the load, which is then stale and made again.
    /// </summary>
    private void AnswerLoadReaders(CacheEntry<TKey> entry)
    {
        if (!_loading.TryGetValue(entry.Key, out var readers) || readers.Count == 0)
        {
            return;
        }

        foreach (var reader in readers)
        {
            if (reader is UpdateLoadReader<TKey> update)
            {
                update.Snapshot = ReadEntryForUpdate(entry);
            }

            reader.TrySetResult(ShareValue(entry));
        }

        readers.Clear();
        _reloadedReaders.Remove(entry.Key);
    }

    /// <summary>Loads one key off the shard loop and posts the row back.</summary>
    private async Task LoadAsync(TKey key)
    {
        long started = _ctx.Time.GetTimestamp();
        long underWay = _ctx.LoadsUnderWay.Begin(started, 1);
        try
        {
            var row = await _ctx.Store.LoadAsync(key, _ctx.Stop.Token).ConfigureAwait(false);
            _ctx.Loads.Committed(1);
            Post(new LoadCompletedSignal<TKey>(key, row, null, started));
        }
        catch (Exception error)
        {
            if (!_ctx.Stop.IsCancellationRequested)
            {
                RecordLoadFailure(error);
            }

            Post(new LoadCompletedSignal<TKey>(key, null, error, started));
        }
        finally
        {
            _ctx.LoadsUnderWay.End(underWay);
        }
    }

    /// <summary>Loads several keys off the shard loop in one store call and posts each row back, as <see cref="LoadAsync"/> does one.</summary>
    private async Task LoadManyAsync(List<TKey> keys)
    {
        IReadOnlyList<StoredEntry?> rows;
        long started = _ctx.Time.GetTimestamp();
        long underWay = _ctx.LoadsUnderWay.Begin(started, keys.Count);
        try
        {
            rows = await _ctx.Store.LoadManyAsync(keys, _ctx.Stop.Token).ConfigureAwait(false);
            if (rows.Count != keys.Count)
            {
                throw new InvalidOperationException($"The store answered a load of {keys.Count} keys with {rows.Count} rows; IWriteBehindStore.LoadManyAsync returns one per key, in order (null where there is none).");
            }

            _ctx.Loads.Committed(keys.Count);
        }
        catch (Exception error)
        {
            var (kind, code) = ClassifyLoadError(error);
            if (keys.Count > 1 && kind == StoreErrorKind.Permanent && !_ctx.Stop.IsCancellationRequested)
            {
                // Refused for its data, so perhaps for one row (a FromRow that throws on it): each key loads alone
                // (they stay registered as loading), and only the reads of a key at fault fail, not every read that
                // shared the batch. A transient or configuration error would fail them all alike: those fail at once.
                foreach (var key in keys)
                {
                    _ = LoadAsync(key);
                }

                return;
            }

            if (!_ctx.Stop.IsCancellationRequested)
            {
                _ctx.Loads.Failed(keys.Count, kind, error, code);
            }

            foreach (var key in keys)
            {
                Post(new LoadCompletedSignal<TKey>(key, null, error, started));
            }

            return;
        }
        finally
        {
            _ctx.LoadsUnderWay.End(underWay);
        }

        for (int i = 0; i < keys.Count; i++)
        {
            Post(new LoadCompletedSignal<TKey>(keys[i], rows[i], null, started));
        }
    }

    /// <summary>Counts a failed load for health, as the store classifies the error.</summary>
    private void RecordLoadFailure(Exception error)
    {
        var (kind, code) = ClassifyLoadError(error);
        _ctx.Loads.Failed(1, kind, error, code);
    }

    /// <summary>How the store classifies a load's error, and its code (a store whose classifier throws: transient).</summary>
    private (StoreErrorKind Kind, string? Code) ClassifyLoadError(Exception error)
    {
        try
        {
            return (_ctx.Store.Classify(error), _ctx.Store.GetErrorCode(error));
        }
        catch (Exception)
        {
            return (StoreErrorKind.Transient, null);
        }
    }

    /// <summary>
    /// Puts a dirty entry in the ready queue unless it is there already; one a flush waits for, queued after the
    /// flush (its previous write was in flight then), goes ahead of the writes made since (see <see cref="_hurried"/>).
    /// </summary>
    private void Enqueue(CacheEntry<TKey> entry)
    {
        if (!entry.Has(EntryFlags.Queued))
        {
            entry.Flags |= EntryFlags.Queued;
            (_writeDelayTicks != 0 && entry.DirtyEpoch < _hurryBelowEpoch ? _hurried : _ready).Enqueue(entry);
        }
    }
}
