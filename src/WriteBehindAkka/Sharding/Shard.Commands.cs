using WriteBehindAkka.Diagnostics;

namespace WriteBehindAkka.Sharding;

/// <content>User commands: writes and reads.</content>
internal sealed partial class Shard<TKey>
{
    private void Write(in ShardCommand<TKey> command)
    {
        if (!_entries.TryGetValue(command.Key, out var entry))
        {
            entry = new CacheEntry<TKey>(command.Key);
            _entries.Add(entry);
        }

        bool wasPending = entry.IsPending;
        if (entry.Has(EntryFlags.Dirty))
        {
            WriteBehindMetrics.WritesCoalesced.Add(1, _ctx.Tags);
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

        entry.Value = command.Kind == CommandKind.Delete ? null : command.Value;
        entry.Version = _clock.Next();
        Account(entry, wasPending);
        if (!entry.InFlight)
        {
            Enqueue(entry);
        }

        WriteBehindMetrics.WritesAccepted.Add(1, _ctx.Tags);
        var reply = command.Reply as TaskCompletionSource<WriteResult>;
        if (_ctx.Journal is { } journal)
        {
            // The journal answers Accepted/Journaled Asks once its fsync policy is met.
            bool journalAnswers = reply is not null && command.Consistency != WriteConsistency.Committed;
            journal.Append(new Journal.JournalAppend(
                Journal.JournalKeyCodec<TKey>.Encode(command.Key),
                entry.Value,
                entry.Version,
                entry.Value is null ? Storage.WriteOperation.Delete : Storage.WriteOperation.Upsert,
                journalAnswers ? reply : null,
                command.Consistency == WriteConsistency.Journaled));
            if (journalAnswers)
            {
                return;
            }
        }

        if (reply is not null)
        {
            if (command.Consistency == WriteConsistency.Committed)
            {
                entry.Extras ??= new EntryExtras();
                (entry.Extras.CommitWaiters ??= []).Add((entry.Version, reply));
            }
            else
            {
                reply.TrySetResult(new WriteResult(entry.Version, WriteConsistency.Accepted));
            }
        }
    }

    /// <summary>Loads writes replayed from the journal as pending entries (before any user command).</summary>
    private void Recover(RecoveryBatch<TKey> batch)
    {
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
            Account(entry, wasPending: false);
            Enqueue(entry);
        }

        batch.Done.TrySetResult();
    }

    private void Get(TKey key, TaskCompletionSource<byte[]?> reply)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            reply.TrySetResult(entry.Value);
            return;
        }

        if (!_ctx.Options.ReadThrough)
        {
            reply.TrySetResult(null);
            return;
        }

        if (_loading.TryGetValue(key, out var readers))
        {
            readers.Add(reply);
            return;
        }

        _loading.Add(key, [reply]);
        _ = LoadAsync(key);
    }

    /// <summary>Loads one key off the shard loop and posts the row back.</summary>
    private async Task LoadAsync(TKey key)
    {
        try
        {
            var row = await _ctx.Store.LoadAsync(key, _ctx.Stop.Token).ConfigureAwait(false);
            Post(new LoadCompletedSignal<TKey>(key, row, null));
        }
        catch (Exception error)
        {
            Post(new LoadCompletedSignal<TKey>(key, null, error));
        }
    }

    /// <summary>Puts a dirty entry in the ready queue unless it is there already.</summary>
    private void Enqueue(CacheEntry<TKey> entry)
    {
        if (!entry.Has(EntryFlags.Queued))
        {
            entry.Flags |= EntryFlags.Queued;
            _ready.Enqueue(entry);
        }
    }
}
