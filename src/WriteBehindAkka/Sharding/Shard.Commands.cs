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
            _entries.Add(command.Key, entry);
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
        if (entry.InFlightVersion == 0)
        {
            Enqueue(entry);
        }

        WriteBehindMetrics.WritesAccepted.Add(1, _ctx.Tags);
        if (command.Reply is TaskCompletionSource<WriteResult> reply)
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
