using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Options;

namespace WriteBehindAkka;

/// <content>Shutdown: stop intake, flush within the deadline, stop the pipeline, then the shards.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <inheritdoc />
    public Task<ShutdownReport> ShutdownAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Stopping, Running) == Running)
        {
            ShutdownStarting?.Invoke();
            _shutdown = ShutdownCoreAsync(cancellationToken);
            _ctx.Gate.Open();
        }

        return Volatile.Read(ref _shutdown) ?? WaitForShutdownAsync();
    }

    /// <summary>
    /// Called once as the shutdown begins, before its flush: the hosting releases the writes it holds for its store's
    /// start-up work when the cache is disposed before anything started it. Set before the cache is published; must not throw.
    /// </summary>
    internal Action? ShutdownStarting { get; set; }

    /// <summary>Gets how many read-through loads are under way, over every shard (tests).</summary>
    internal int LoadsUnderWay => _shards.Sum(shard => shard.LoadsUnderWay);

    /// <summary>Gets a value indicating whether every shard took shutdown's final flush and refuses writes (tests).</summary>
    internal bool ShardsSealed => _shards.All(shard => shard.IsSealed);

    /// <summary>The longest the shutdown waits, past its deadline, for a writer whose store ignores its cancellation token.</summary>
    private static readonly TimeSpan StuckWriterGrace = TimeSpan.FromSeconds(5);

    /// <summary>Gets how many writes the capacity gate admitted that their shard has not handled yet (tests).</summary>
    internal long GateAdmitted => _ctx.Gate.AdmittedEntries;

    /// <summary>Gets how many keys dead-letter retries watch now, over every shard (tests).</summary>
    internal int DropWatches => _shards.Sum(shard => shard.DropWatchCount);

    /// <summary>Gets the room of the shards' entry tables and eviction queues, in slots, summed over every shard (tests).</summary>
    internal (long Table, long EvictionQueue) ShardCapacity =>
        (_shards.Sum(shard => (long)shard.Capacity.Table), _shards.Sum(shard => (long)shard.Capacity.EvictionQueue));

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await ShutdownAsync().ConfigureAwait(false);

    /// <summary>
    /// Shuts the cache down as <see cref="DisposeAsync"/> does, blocking the calling thread until it is done (at
    /// most about <see cref="WriteBehindOptions.ShutdownTimeout"/>). For code that can only dispose synchronously,
    /// such as a service provider disposed with <c>using</c>; prefer <see cref="DisposeAsync"/>. The shutdown runs on
    /// the thread pool, so blocking a thread with a synchronization context does not deadlock it.
    /// </summary>
    public void Dispose() => Task.Run(() => ShutdownAsync()).GetAwaiter().GetResult();

    /// <summary>
    /// Waits until no Tell is between its check that the cache runs and its write or post (a few hundred
    /// nanoseconds each; the state is already Stopping, so no new one enters): each one that saw the cache running
    /// is then ahead of the final flush in its shard. See <see cref="Sharding.Shard{TKey}.EnterTell"/>.
    /// </summary>
    private void WaitForTellsEntering()
    {
        foreach (var shard in _shards)
        {
            var spin = default(SpinWait);
            while (shard.TellsEntering != 0)
            {
                spin.SpinOnce();
            }
        }
    }

    /// <summary>Another caller started the shutdown an instant ago; wait for its task to be published.</summary>
    private async Task<ShutdownReport> WaitForShutdownAsync()
    {
        while (Volatile.Read(ref _shutdown) is null)
        {
            await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        }

        return await _shutdown!.ConfigureAwait(false);
    }

    private async Task<ShutdownReport> ShutdownCoreAsync(CancellationToken cancellationToken)
    {
        // The deadline runs from the call, so it is set before this yields: armed later, on the thread pool, it missed a
        // test's clock advanced by ShutdownTimeout as soon as ShutdownAsync returned, and the shutdown then waited out
        // another ShutdownTimeout of real time. On an injected clock (a test's manual one) the deadline holds on real
        // time too: a test that disposes the cache without moving its clock ends after ShutdownTimeout instead of hanging.
        var deadline = new CancellationTokenSource(_ctx.Options.ShutdownTimeout, _ctx.Time);
        var realDeadline = _ctx.Time == TimeProvider.System ? null : new CancellationTokenSource(_ctx.Options.ShutdownTimeout);
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        WaitForTellsEntering();
        bool flushed = false;
        using (deadline)
        using (realDeadline)
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, realDeadline?.Token ?? default, cancellationToken))
        {
            try
            {
                // The final flush: each shard refuses writes after it, so none is applied where nothing would write it.
                await FlushCoreAsync(linked.Token, Sharding.EpochCounter.FinalFlush).ConfigureAwait(false);
                flushed = true;

                // Writes that raced the flush are still written, within the same deadline.
                foreach (var lane in _lanes)
                {
                    lane.Complete();
                }

                await Task.WhenAll(_laneLoops).WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Past the deadline: give up on the store below.
            }
            catch (ObjectDisposedException)
            {
                // A shard that stopped failed the flush: what it held is counted below. The writers stop all the same.
            }
        }

        // Writers still running hand their batches back and stop. The token is the store's (and the sink's): a callback
        // of theirs that throws (all of them still run) must not end the shutdown here, with the shards running and no report.
        try
        {
            await _ctx.Stop.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException error)
        {
            Log.StopCallbackFailed(_ctx.Logger, error, Name);
        }

        foreach (var lane in _lanes)
        {
            lane.Complete();
        }

        try
        {
            // A store (or dead-letter sink) that ignores its cancellation token could hold the shutdown for ever: past
            // a grace as long as the deadline (5 s at most, in real time), its writer is left behind. What it holds
            // still counts as pending, so the report says not flushed (and the journal keeps it for the next start).
            var grace = _ctx.Options.ShutdownTimeout < StuckWriterGrace ? _ctx.Options.ShutdownTimeout : StuckWriterGrace;
            await Task.WhenAll(_laneLoops).WaitAsync(grace, TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.WriterStuckAtShutdown(_ctx.Logger, Name);
        }

        foreach (var shard in _shards)
        {
            shard.CompleteMailbox();
        }

        await Task.WhenAll(_shardLoops).ConfigureAwait(false);

        WriteBehindMetrics.Unregister(this);
        var statistics = GetStatistics();
        var report = new ShutdownReport(flushed && statistics.PendingEntries == 0, statistics.PendingEntries, statistics.PendingBytes, statistics.FailedKeys);
        if (_ctx.Journal is { } journal)
        {
            // Everything committed: the journal has nothing left to replay. Otherwise it keeps the backlog for the next start.
            try
            {
                await journal.CloseAsync(deleteAll: report.Flushed).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                // The report stands (the journal logged its file errors; this is anything else): the caller still gets it.
                LogJournalFailure(error, 0, _ctx.Options.Journal!.Directory, always: true);
            }
        }
        if (report.Flushed)
        {
            Log.ShutdownComplete(_ctx.Logger, Name, report.FailedKeys);
        }
        else
        {
            Log.ShutdownIncomplete(_ctx.Logger, Name, report.UnflushedEntries, report.UnflushedBytes);
        }

        return report;
    }
}
