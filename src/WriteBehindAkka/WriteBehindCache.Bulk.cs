using WriteBehindAkka.Journal;
using WriteBehindAkka.Sharding;

namespace WriteBehindAkka;

/// <content>Bulk writes: many writes, one wait.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <inheritdoc />
    public ValueTask<BulkWriteResult> SetManyAsync(IEnumerable<KeyValuePair<TKey, TValue>> items, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        WriteMany(CommandKind.Set, items, nameof(items), pair => (CheckedWriteKey(pair.Key), Serialize(pair.Key, pair.Value)), consistency, cancellationToken);

    /// <inheritdoc />
    public ValueTask<BulkWriteResult> DeleteManyAsync(IEnumerable<TKey> keys, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        WriteMany(CommandKind.Delete, keys, nameof(keys), key => (CheckedWriteKey(key), null), consistency, cancellationToken);

    private TKey CheckedWriteKey(TKey key)
    {
        CheckWriteKey(key);
        return key;
    }

    /// <summary>
    /// Checks every key and serializes every value (<paramref name="prepare"/> does both) before the first write: a bad one
    /// fails the call, naming its index, with nothing written. Then makes the writes.
    /// </summary>
    private ValueTask<BulkWriteResult> WriteMany<T>(
        CommandKind kind,
        IEnumerable<T> source,
        string parameter,
        Func<T, (TKey Key, byte[]? Value)> prepare,
        WriteConsistency consistency,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source, parameter);
        CheckConsistency(consistency);
        ThrowIfStopped();
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<BulkWriteResult>(cancellationToken);
        }

        var writes = new List<(TKey Key, byte[]? Value)>(source.TryGetNonEnumeratedCount(out int count) ? count : 16);
        foreach (var item in source)
        {
            try
            {
                writes.Add(prepare(item));
            }
            catch (ArgumentException error)
            {
                throw new ArgumentException($"{parameter}[{writes.Count}]: {WithoutParameter(error)} Nothing was written.", parameter, error);
            }
        }

        return WriteManyAsync(kind, writes, consistency, cancellationToken);
    }

    /// <summary>The message of an item's error without the " (Parameter 'value')" it ends with: that parameter is not the caller's.</summary>
    private static string WithoutParameter(ArgumentException error)
    {
        string suffix = $" (Parameter '{error.ParamName}')";
        return error.ParamName is not null && error.Message.EndsWith(suffix, StringComparison.Ordinal) ? error.Message[..^suffix.Length] : error.Message;
    }

    /// <summary>
    /// Makes the writes in order, as a <c>SetAsync</c> of each would, and waits once for all of them. A write whose
    /// shard is idle runs on the caller's thread without an answer of its own (no task, no continuation): when its
    /// level needs an fsync (the Always policy, or Journaled), one wait for the journal's fsync of the last such
    /// record covers them all, since records are fsynced in the order they were appended. A write whose shard is
    /// busy, over the bound, or awaited at Committed goes the Ask's way, with its own answer. One that has to wait
    /// for room (at the capacity gate, or for a full mailbox) takes its place in line at once and the list goes on:
    /// every write of the list is in line before the call first returns to its caller, so no write of the list
    /// overtakes an earlier one, and none made later by the same caller, even one that does not await the list,
    /// overtakes the list's. The first write refused at once ends the list (those after it are not made); the taken
    /// writes are still awaited, so that the error says which of them reached their level.
    /// </summary>
    private async ValueTask<BulkWriteResult> WriteManyAsync(CommandKind kind, List<(TKey Key, byte[]? Value)> writes, WriteConsistency consistency, CancellationToken cancellationToken)
    {
        var journal = _ctx.Journal;
        bool needsSync = journal is not null && consistency != WriteConsistency.Committed && (consistency == WriteConsistency.Journaled || !journal.AcknowledgesOnWrite);
        var reached = needsSync ? WriteConsistency.Journaled : consistency;
        int untrustedBefore = journal?.UntrustedSegments ?? 0;
        long lastPosition = 0;
        var versions = new long[writes.Count];
        List<int>? synced = null;
        List<(int Index, Task? Posted, TaskCompletionSource<WriteResult> Reply)>? answers = null;
        List<BulkWriteFailure>? failures = null;
        int taken = 0;
        for (; taken < writes.Count; taken++)
        {
            var (key, payload) = writes[taken];
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                ThrowIfStopped();
                var shard = _shards[ShardOf(key)];
                bool overBound = _ctx.MustWaitForRoom();
                if (!overBound && consistency != WriteConsistency.Committed
                    && shard.TryWriteInline(kind, key, payload, consistency, reply: null, out long version, out long position))
                {
                    versions[taken] = version;
                    if (position != 0)
                    {
                        // Throws when its record could not be appended: then the write was not applied.
                        journal!.EnsureWritten(position, version);
                        if (needsSync)
                        {
                            lastPosition = position;
                            (synced ??= []).Add(taken);
                        }
                    }

                    continue;
                }

                var reply = new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                long committedPosition = 0;
                bool inline = !overBound && consistency == WriteConsistency.Committed
                    && shard.TryWriteInline(kind, key, payload, consistency, reply, out _, out committedPosition);
                if (committedPosition != 0 && journal!.ErrorAt(committedPosition) is not null)
                {
                    // Its record could not be appended, so it was not applied: refused at once on this thread, it
                    // ends the list as an Accepted write's does above (else a later write of the key would stand
                    // while this one, retried, would overwrite it). The reply holds that error: throw it.
                    await reply.Task.ConfigureAwait(false);
                }

                Task? posted = null;
                if (!inline)
                {
                    var command = new ShardCommand<TKey>(kind, key, payload, reply, consistency);
                    if (overBound || !shard.TryPost(command))
                    {
                        // Not awaited here: the write takes its place in line (at the gate, or in the mailbox's
                        // queue of writers) before this returns, and the list goes on behind it. One refused at
                        // once (the bound with OverflowStrategy.Fail, a stop) ends the list.
                        posted = PostWhenRoomAsync(shard, command, cancellationToken);
                        if (posted.IsCompleted)
                        {
                            await posted.ConfigureAwait(false);
                            posted = null;
                        }
                    }
                }

                (answers ??= []).Add((taken, posted, reply));
            }
            catch (Exception error)
            {
                (failures ??= []).Add(new BulkWriteFailure(taken, error));
                break;
            }
        }

        if (synced is not null)
        {
            try
            {
                var fsynced = journal!.WhenSyncedAsync(lastPosition);
                try
                {
                    await (consistency == WriteConsistency.Accepted ? fsynced : fsynced.WaitAsync(cancellationToken)).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && fsynced.IsCompleted)
                {
                    // Answered as the token was cancelled: the answer it has is the one to give.
                    await fsynced.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    ObserveFault(fsynced);
                    throw;
                }

                if (journal.UntrustedSegments != untrustedBefore)
                {
                    // A segment's fsync or seal failed meanwhile: it may hold some of these records.
                    throw new JournalWriteException(
                        $"A journal segment's fsync failed while these writes were made, so they were not acknowledged as durable; they were applied in memory and may still reach the store. Check the disk of '{_ctx.Options.Journal!.Directory}'.");
                }
            }
            catch (Exception error)
            {
                failures ??= [];
                foreach (int index in synced)
                {
                    failures.Add(new BulkWriteFailure(index, error is OperationCanceledException cancelled && cancellationToken.IsCancellationRequested ? Cancelled(cancelled, made: true) : error));
                }
            }
        }

        if (answers is not null)
        {
            foreach (var (index, posted, reply) in answers)
            {
                bool made = posted is null;
                try
                {
                    if (posted is not null)
                    {
                        await posted.ConfigureAwait(false); // a write that never reached its shard has no answer
                        made = true;
                    }

                    // A cancelled wait gives the answer already there, else says whether the write stands.
                    var answer = consistency == WriteConsistency.Accepted ? reply.Task : WaitForLevelAsync(reply.Task, consistency, cancellationToken);
                    versions[index] = (await answer.ConfigureAwait(false)).Version;
                }
                catch (OperationCanceledException cancelled) when (!made && cancellationToken.IsCancellationRequested)
                {
                    (failures ??= []).Add(new BulkWriteFailure(index, Cancelled(cancelled, made)));
                }
                catch (Exception error)
                {
                    (failures ??= []).Add(new BulkWriteFailure(index, error));
                }
            }
        }

        if (failures is not null)
        {
            failures.Sort(static (a, b) => a.Index.CompareTo(b.Index));
            throw new BulkWriteException(writes.Count, taken, failures);
        }

        return new BulkWriteResult(reached, versions);

        // A write cancelled while it waited for room and one whose wait for its level was cancelled are both
        // cancellations; the message says which, since one write stands and the other does not.
        OperationCanceledException Cancelled(OperationCanceledException cancelled, bool made) => new(
            made
                ? $"The wait for this write to be {reached} was cancelled; the write was made and stands."
                : "This write was cancelled while it waited for room; it was not made.",
            cancelled,
            cancellationToken);
    }
}
