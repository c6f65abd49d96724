using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Options;
using WriteBehindAkka.Sharding;

namespace WriteBehindAkka;

/// <content>Writes: Ask and Tell.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <inheritdoc />
    public ValueTask SetAsync(TKey key, TValue value, CancellationToken cancellationToken = default)
    {
        CheckWriteKey(key);
        ThrowIfStopped();
        return AsUntyped(Send(CommandKind.Set, key, Serialize(key, value), WriteConsistency.Accepted, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<WriteResult> SetAsync(TKey key, TValue value, WriteConsistency consistency, CancellationToken cancellationToken = default)
    {
        CheckWriteKey(key);
        CheckConsistency(consistency);
        ThrowIfStopped();
        return Send(CommandKind.Set, key, Serialize(key, value), consistency, cancellationToken);
    }

    /// <inheritdoc />
    public bool TrySet(TKey key, TValue value)
    {
        CheckWriteKey(key);
        ThrowIfStopped();
        return Tell(CommandKind.Set, key, Serialize(key, value));
    }

    /// <inheritdoc />
    public ValueTask DeleteAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckWriteKey(key);
        ThrowIfStopped();
        return AsUntyped(Send(CommandKind.Delete, key, null, WriteConsistency.Accepted, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<WriteResult> DeleteAsync(TKey key, WriteConsistency consistency, CancellationToken cancellationToken = default)
    {
        CheckWriteKey(key);
        CheckConsistency(consistency);
        ThrowIfStopped();
        return Send(CommandKind.Delete, key, null, consistency, cancellationToken);
    }

    /// <inheritdoc />
    public bool TryDelete(TKey key)
    {
        CheckWriteKey(key);
        ThrowIfStopped();
        return Tell(CommandKind.Delete, key, null);
    }

    /// <summary>Checks a key to be written: not null, one the store can hold, and, with the journal, one it can store and replay.</summary>
    private void CheckWriteKey(TKey key)
    {
        CheckKey(key);
        if (_ctx.Store.GetKeyError(key) is { } problem)
        {
            throw new ArgumentException(problem, nameof(key));
        }

        if (_ctx.Journal is not null)
        {
            WriteBehindAkka.Journal.JournalKeyCodec<TKey>.EnsureRoundTrips(key);
        }
    }

    private void CheckConsistency(WriteConsistency consistency)
    {
        if (consistency is not (WriteConsistency.Accepted or WriteConsistency.Journaled or WriteConsistency.Committed))
        {
            throw new ArgumentOutOfRangeException(nameof(consistency), consistency, "Use WriteConsistency.Accepted, Journaled or Committed.");
        }

        if (consistency == WriteConsistency.Journaled && _ctx.Journal is null)
        {
            throw new InvalidOperationException("WriteConsistency.Journaled needs the journal: set WriteBehindOptions.Journal, or use Accepted or Committed.");
        }
    }

    private static ValueTask AsUntyped(ValueTask<WriteResult> write) =>
        write.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(write.AsTask());

    /// <summary>
    /// Tell: applies the write inline when its shard is idle, else queues it. Between the check that the cache runs
    /// and the write or post, the shard counts it as entering, and shutdown waits for that count to reach zero before
    /// its final flush: a Tell answered true is always ahead of the flush, so nothing answers true for a write that
    /// nothing would store (the payload was serialized before, so a slow serializer is not inside the window).
    /// </summary>
    private bool Tell(CommandKind kind, TKey key, byte[]? payload)
    {
        var shard = _shards[ShardOf(key)];
        shard.EnterTell();
        try
        {
            ThrowIfStopped();
            // Refused past the bound, and while writers wait for room (it would go in ahead of them).
            if (!_ctx.MustWaitForRoom())
            {
                try
                {
                    if (shard.TryWriteInline(kind, key, payload, WriteConsistency.Accepted, reply: null, out _, out long journalPosition))
                    {
                        // False when its journal record could not be appended (logged).
                        return journalPosition == 0 || _ctx.Journal!.ErrorAt(journalPosition) is null;
                    }
                }
                catch (Exception)
                {
                    // Accepted, then failed, as a queued Tell whose shard restarts: the shard logged it.
                    return true;
                }

                if (shard.TryPost(new ShardCommand<TKey>(kind, key, payload, null, default)))
                {
                    return true;
                }
            }
        }
        finally
        {
            shard.ExitTell();
        }

        WriteBehindMetrics.WritesRejected.AddSafely(1, _ctx.Tags);
        return false;
    }

    /// <summary>
    /// Ask: runs the write on the caller's thread when its shard is idle, else queues it and returns the shard's
    /// answer. An Accepted write then completes synchronously and allocates nothing of its own, without the
    /// journal or with EverySecond or No (its record is in the journal's mapped segment when the write returns). An
    /// update's write passes its reply, a <see cref="ConditionalWrite"/> that carries the write's condition, as
    /// <paramref name="conditional"/>; a plain write passes none.
    /// </summary>
    private ValueTask<WriteResult> Send(CommandKind kind, TKey key, byte[]? payload, WriteConsistency consistency, CancellationToken cancellationToken, ConditionalWrite? conditional = null)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // Cancelled before the call: nothing is taken (as .NET's own calls do), so the cancellation means "not written".
            return ValueTask.FromCanceled<WriteResult>(cancellationToken);
        }

        var shard = _shards[ShardOf(key)];
        var journal = _ctx.Journal;
        bool overBound = _ctx.MustWaitForRoom();
        bool answeredOnReturn = conditional is null && consistency == WriteConsistency.Accepted && (journal is null || journal.AcknowledgesOnWrite);
        if (!overBound && answeredOnReturn)
        {
            try
            {
                if (shard.TryWriteInline(kind, key, payload, consistency, reply: null, out long version, out long journalPosition))
                {
                    if (journalPosition != 0)
                    {
                        journal!.EnsureWritten(journalPosition, version);
                    }

                    return new ValueTask<WriteResult>(new WriteResult(version, WriteConsistency.Accepted));
                }
            }
            catch (Exception error)
            {
                return ValueTask.FromException<WriteResult>(error);
            }
        }

        var reply = conditional ?? new TaskCompletionSource<WriteResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var command = new ShardCommand<TKey>(kind, key, payload, reply, consistency);
        // An Accepted write answered on return was just tried inline: the shard is busy, so it queues.
        bool inline = !overBound && !answeredOnReturn && shard.TryWriteInline(kind, key, payload, consistency, reply, out _, out _);
        if (inline || (!overBound && shard.TryPost(command)))
        {
            return new ValueTask<WriteResult>(consistency == WriteConsistency.Accepted ? reply.Task : WaitForLevelAsync(reply.Task, consistency, cancellationToken, conditional is not null));
        }

        return new ValueTask<WriteResult>(SendSlowAsync(shard, command, reply, cancellationToken));
    }

    private async Task PostAsync(Shard<TKey> shard, ShardCommand<TKey> command, CancellationToken cancellationToken)
    {
        try
        {
            await shard.PostAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            ThrowIfStopped();
            throw;
        }
    }

    /// <summary>
    /// Waits at the capacity gate, first come first served, and posts the write to its shard as it is let in (the
    /// gate posts it, under its lock), so that it is in the mailbox before any write that comes after its admission. A
    /// caller that fires two writes of a key without awaiting the first, which waits here, then has them applied in
    /// that order: posted later, on this task's continuation, the older one could land after the newer one, which went
    /// straight in once a batch freed several slots, and win.
    /// </summary>
    private async Task WaitForRoomAndPostAsync(Shard<TKey> shard, ShardCommand<TKey> command, CancellationToken cancellationToken)
    {
        int bytes = command.Value?.Length ?? 0;
        var admitted = command with { Admitted = true };
        var posted = await _ctx.Gate.WaitAsync(_overBoundForWaiters, bytes, () => PostAdmitted(shard, admitted, cancellationToken), cancellationToken).ConfigureAwait(false);
        try
        {
            await posted.ConfigureAwait(false); // the shard ends the admission once it has counted the write
        }
        catch (Exception error)
        {
            _ctx.Gate.Release(bytes);
            if (error is System.Threading.Channels.ChannelClosedException)
            {
                ThrowIfStopped();
            }

            throw;
        }
    }

    /// <summary>Hands a write the gate let in to its shard (called by the gate, under its lock: it neither blocks nor calls back into the gate).</summary>
    private Task PostAdmitted(Shard<TKey> shard, ShardCommand<TKey> command, CancellationToken cancellationToken)
    {
        ThrowIfStopped();
        return shard.PostAsync(command, cancellationToken).AsTask();
    }

    /// <summary>The slow path: wait below the pending bound (or fail), then for room in the mailbox; then for the answer.</summary>
    private async Task<WriteResult> SendSlowAsync(
        Shard<TKey> shard,
        ShardCommand<TKey> command,
        TaskCompletionSource<WriteResult> reply,
        CancellationToken cancellationToken)
    {
        await PostWhenRoomAsync(shard, command, cancellationToken).ConfigureAwait(false);

        // Posted: the write stands. An Accepted write's answer (at most an fsync away) is not cancelled, so the
        // caller never sees a cancellation for a write that was taken; a Committed one's wait for the commit is.
        return command.Consistency == WriteConsistency.Accepted
            ? await reply.Task.ConfigureAwait(false)
            : await WaitForLevelAsync(reply.Task, command.Consistency, cancellationToken, reply is ConditionalWrite).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the answer of a write that was taken (applied, or in its shard's mailbox) at Journaled or Committed:
    /// the token cancels the wait, not the write. When it does, an answer already there is given instead (the write's
    /// version, or its error); without one, the cancellation says what is known of the write (see <see cref="WaitCancelled"/>).
    /// </summary>
    private Task<WriteResult> WaitForLevelAsync(Task<WriteResult> reply, WriteConsistency level, CancellationToken cancellationToken, bool conditional = false)
    {
        return reply.IsCompleted || !cancellationToken.CanBeCanceled ? reply : WaitAsync();

        async Task<WriteResult> WaitAsync()
        {
            try
            {
                return await reply.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException cancelled) when (cancellationToken.IsCancellationRequested && !reply.IsCompleted)
            {
                throw WaitCancelled(reply, level, conditional, cancelled, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Answered as the token was cancelled: the answer it has is the one to give.
                return await reply.ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Observes the error of an answer nobody waits for any more (a caller cancelled its wait for a write's level or
    /// for a load it shares with other readers), when it fails, so that it does not surface as
    /// <see cref="TaskScheduler.UnobservedTaskException"/>, which applications log as an error: once per caller that
    /// timed out during a store outage.
    /// </summary>
    private static void ObserveFault(Task task) =>
        _ = task.ContinueWith(static done => _ = done.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// Waits for an answer the shard owes the caller (a read's, or a load's it shares with other readers) until the
    /// token cancels the wait; the answer, which nobody waits for then, is observed (<see cref="ObserveFault"/>).
    /// </summary>
    private static Task<T> WaitOrObserveAsync<T>(Task<T> answer, CancellationToken cancellationToken)
    {
        return answer.IsCompleted || !cancellationToken.CanBeCanceled ? answer : WaitAsync();

        async Task<T> WaitAsync()
        {
            try
            {
                return await answer.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                ObserveFault(answer);
                throw;
            }
        }
    }

    /// <summary>
    /// The cancellation of the wait for a taken write's level, when the write has no answer yet. While the cache runs,
    /// the write is applied or in its shard's mailbox ahead of any shutdown's last flush (the shutdown marks the cache
    /// stopping before it sends that flush), so it stands, unless the cache has a journal whose append of its record
    /// fails (it may not have been appended yet). Once the cache is shutting down that is not known: a write
    /// that reached its shard after the last flush is refused. Nor is it for an update's write (<paramref name="conditional"/>):
    /// its shard refuses it when the key changed since the update read it. The write's own answer, which nobody waits for now, is
    /// observed when it comes, so that its error is not reported as an unobserved task exception.
    /// </summary>
    private OperationCanceledException WaitCancelled(Task reply, WriteConsistency level, bool conditional, OperationCanceledException cancelled, CancellationToken cancellationToken)
    {
        ObserveFault(reply);
        return new OperationCanceledException(
            conditional
                ? $"The wait for this update's write to be {level} was cancelled: whether the write was made is not known (it is not when the key changed since the update read it, nor when it reached its shard after a shutdown's last flush)."
            : Volatile.Read(ref _state) == Running
                ? _ctx.Journal is null
                    ? $"The wait for this write to be {level} was cancelled; the write was made and stands."
                    : $"The wait for this write to be {level} was cancelled; the write was taken and stands unless its journal record could not be written (a journal write error, such as a full disk, refuses it: the log and the cache's health say so)."
                : $"The wait for this write to be {level} was cancelled while the cache '{Name}' was shutting down: whether the write was taken is not known (a write that reached its shard after the shutdown's last flush was refused).",
            cancelled,
            cancellationToken);
    }

    /// <summary>
    /// Waits below the pending bound (or fails, with <see cref="OverflowStrategy.Fail"/>), behind the writers already
    /// waiting, then for room in the shard's mailbox, and posts the command: once this completes, the write stands.
    /// </summary>
    private async Task PostWhenRoomAsync(Shard<TKey> shard, ShardCommand<TKey> command, CancellationToken cancellationToken)
    {
        bool overBound = _ctx.IsOverBound();
        if (overBound && _overflow == OverflowStrategy.Fail)
        {
            WriteBehindMetrics.WritesRejected.AddSafely(1, _ctx.Tags);
            throw new CacheOverflowException(
                $"The write-behind cache '{Name}' {_ctx.DescribeBound()}. Retry later, raise the bound, or use OverflowStrategy.Backpressure to wait.");
        }

        if (overBound || _ctx.Gate.HasWaiters)
        {
            await WaitForRoomAndPostAsync(shard, command, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await PostAsync(shard, command, cancellationToken).ConfigureAwait(false);
        }
    }
}
