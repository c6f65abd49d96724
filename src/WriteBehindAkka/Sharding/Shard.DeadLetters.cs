using WriteBehindAkka.Diagnostics;

namespace WriteBehindAkka.Sharding;

/// <content>
/// Operator actions on dead letters. A retry resubmits the letter's write at its own version, and only if the key
/// has not been written since: the shard's entry decides when it has one, else the store's version read just
/// before. Keeping the letter's version means the store's guard still refuses it over anything newer.
/// </content>
internal sealed partial class Shard<TKey>
{
    private void Resubmit(in ShardCommand<TKey> command)
    {
        var request = (ResubmitRequest)command.Reply!;
        try
        {
            var stage = request.Stage;
            if (stage == ResubmitStage.Abandoned)
            {
                // Whichever came first, the watch or the caller giving up, only a watch this request made is undone.
                StopWatching(request, command.Key);

                return;
            }

            if (_sealed)
            {
                // After shutdown's last flush nothing revived would be written: the letter must stay.
                StopWatching(request, command.Key);

                var stopping = new ObjectDisposedException(_ctx.Name, $"The cache '{_ctx.Name}' is shutting down: the dead letter of key '{KeyText.Of(command.Key)}' was not retried and is kept.");
                request.TrySetException(stopping);
                request.Watching.TrySetException(stopping);
                return;
            }

            if (stage == ResubmitStage.Watch && !_entries.ContainsKey(command.Key))
            {
                // The caller reads the store next; an entry of the key committed and dropped meanwhile is remembered.
                var watch = _dropWatch.GetValueOrDefault(command.Key);
                _dropWatch[command.Key] = (watch.Watchers + 1, watch.Dropped);
                request.Registered = true;
                request.Watching.TrySetResult();
                return;
            }

            request.StoredVersion = Math.Max(request.StoredVersion, StopWatching(request, command.Key));

            request.TrySetResult(Resubmit(command.Key, command.Value, request));
            request.Watching.TrySetResult();
        }
        catch (Exception error)
        {
            request.TrySetException(error);
            request.Watching.TrySetException(error);
            throw;
        }
    }

    /// <summary>
    /// Stops the watch of a key's drops that <paramref name="request"/> made, if it made one; returns the newest
    /// committed version of an entry of the key dropped meanwhile (0 for none).
    /// </summary>
    private long StopWatching(ResubmitRequest request, TKey key)
    {
        if (!request.Registered || !_dropWatch.TryGetValue(key, out var watch))
        {
            return 0;
        }

        request.Registered = false;

        if (watch.Watchers <= 1)
        {
            _dropWatch.Remove(key);
        }
        else
        {
            _dropWatch[key] = (watch.Watchers - 1, watch.Dropped);
        }

        return watch.Dropped;
    }

    private DeadLetterRetryResult Resubmit(TKey key, byte[]? value, ResubmitRequest request)
    {
        long version = request.Version;
        if (_entries.TryGetValue(key, out CacheEntry<TKey>? entry))
        {
            bool failedAtVersion = entry.Version == version && entry.Has(EntryFlags.Failed)
                && !entry.Has(EntryFlags.Dirty) && !entry.InFlight;
            if (!failedAtVersion)
            {
                if (entry.Version == version && entry.InFlight && !entry.Has(EntryFlags.Dirty))
                {
                    // In flight at this version: perhaps the refused write itself, its letter recorded before its
                    // outcome came back. Nothing is decided (the letter must not go yet): the caller asks again once it lands.
                    var landing = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                    ((entry.Extras ??= new EntryExtras()).CommitWaiters ??= []).Add((version, landing));
                    request.Landing = landing.Task;
                    return new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, version);
                }

                if (entry.Version == version)
                {
                    // Resubmitted already (pending or committed at this version).
                    return new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, version);
                }

                if (entry.Version > version || entry.IsPending)
                {
                    return new DeadLetterRetryResult(DeadLetterRetryOutcome.Superseded, version);
                }
            }
        }
        else
        {
            if (request.StoredVersion >= version)
            {
                return new DeadLetterRetryResult(DeadLetterRetryOutcome.Superseded, version);
            }

            entry = null;
        }

        if (_ctx.Journal is { } journal)
        {
            // Journaled like a user's write, fsynced whatever the policy: the caller deletes the letter after this.
            // And as a user's write, journaled before it is applied: one the journal refuses is not applied (the
            // caller gets the error from Journaled and keeps the letter).
            var journaled = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            long position = AppendToJournal(journal, value is null ? CommandKind.Delete : CommandKind.Set, key, value, version, journaled, requireFsync: true, out _);
            request.Journaled = journaled.Task;
            if (journal.ErrorAt(position) is not null)
            {
                return new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, version);
            }
        }

        if (entry is null)
        {
            entry = new CacheEntry<TKey>(key);
            _entries.Add(entry);
        }

        Revive(entry, value, version);
        return new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, version);
    }

    /// <summary>Makes an entry dirty again with a dead letter's value at the letter's version.</summary>
    private void Revive(CacheEntry<TKey> entry, byte[]? value, long version)
    {
        MarkChanged(entry.Key);
        var before = entry.Pending;
        if (entry.Has(EntryFlags.Failed))
        {
            entry.Flags &= ~(EntryFlags.Failed | EntryFlags.Unrecorded);
            _failedCount--;
        }

        entry.Flags |= EntryFlags.Dirty;
        entry.DirtyEpoch = _epochs.Current;
        _epochs.Add(entry.DirtyEpoch);
        entry.DirtySince = _ctx.Time.GetTimestamp();
        entry.Value = value;
        entry.Flags |= EntryFlags.ReaderHasValue; // the letter's array came from outside
        entry.Version = version;
        _clock.Observe(version);
        Account(entry, before);
        Enqueue(entry);
        WriteBehindMetrics.WritesAccepted.AddSafely(1, _ctx.Tags);
    }

    /// <summary>Appends the records of the unrecorded failures to the journal again, fsynced (see <see cref="RejournalRequest"/>).</summary>
    private void Rejournal(RejournalRequest request)
    {
        var copies = new List<Task<WriteResult>>();
        long oldest = long.MaxValue;
        if (_ctx.Journal is { } journal && _unrecorded is { Count: > 0 } unrecorded)
        {
            foreach (var entry in unrecorded)
            {
                var extras = entry.Extras ??= new EntryExtras();

                // Copied before into a segment this truncation would delete (or never): copy it again. A copy in
                // the very segment being truncated is left there, and that segment kept: copying it would fill the
                // current segment again, seal it and start another truncation, for ever, when the failures
                // together are larger than a segment.
                if (extras.CopiedIntoSegment == 0 || extras.CopiedIntoSegment < request.UpToSegment || extras.Copy is { IsFaulted: true } or { IsCanceled: true })
                {
                    var copied = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                    AppendToJournal(journal, entry.Value is null ? CommandKind.Delete : CommandKind.Set, entry.Key, entry.Value, entry.Version, copied, requireFsync: true, out long segment);
                    extras.CopiedIntoSegment = segment;
                    extras.Copy = copied.Task;
                    copies.Add(copied.Task);
                }
                else if (extras.Copy is { IsCompleted: false } pending)
                {
                    copies.Add(pending);
                }

                oldest = Math.Min(oldest, extras.CopiedIntoSegment);
            }
        }

        request.TrySetResult((copies, oldest));
    }

    /// <summary>Drops the key's entry if it is still Failed at the discarded version, so that reads go to the store again.</summary>
    private void Forget(in ShardCommand<TKey> command)
    {
        var request = (ForgetRequest)command.Reply!;
        try
        {
            bool held = _entries.TryGetValue(command.Key, out var entry);
            if (held && entry!.Version == request.Version && entry.InFlight && !entry.Has(EntryFlags.Dirty))
            {
                // The discarded write itself, its letter recorded before its outcome came back: it is about to land
                // Failed. Nothing is done yet; the caller asks again once it lands.
                var landing = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                ((entry.Extras ??= new EntryExtras()).CommitWaiters ??= []).Add((request.Version, landing));
                request.Landing = landing.Task;
                request.TrySetResult(false);
                return;
            }

            bool forget = held
                && entry!.Version == request.Version
                && entry.Has(EntryFlags.Failed)
                && !entry.Has(EntryFlags.Dirty)
                && !entry.InFlight
                && entry.Extras?.CommitWaiters is not { Count: > 0 };
            if (_ctx.Journal is { } journal && (forget || !held || entry!.Version < request.Version))
            {
                // The refused write's record stays in the journal until its segment is truncated: a crash before then
                // would replay it, and write it if the store takes it now. A record of the discard, fsynced, keeps a
                // replay from writing the key's records up to the letter's version (a later write is newer, and stands).
                // Not when the entry holds that version still pending (resubmitted) or a newer write.
                var journaled = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                Span<byte> scratch = stackalloc byte[256];
                journal.Append(Journal.JournalFormat.Discard, request.Version, Journal.JournalKeyCodec<TKey>.Encode(command.Key, scratch), default, journaled, requireFsync: true, out _);
                request.Journaled = journaled.Task;
            }

            if (forget)
            {
                var before = entry!.Pending;
                entry.Flags &= ~(EntryFlags.Failed | EntryFlags.Unrecorded);
                _failedCount--;
                Account(entry, before);
                DropEntry(command.Key);
                MarkChanged(command.Key); // reads answer the stored row now, not the refused write
            }

            request.TrySetResult(forget);
        }
        catch (Exception error)
        {
            request.TrySetException(error);
            throw;
        }
    }
}
