using System.Threading.Channels;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Sharding;
using WriteBehindAkka.Storage;
using WriteBehindAkka.Supervision;

namespace WriteBehindAkka.Pipeline;

/// <summary>
/// One lane of the pipeline: bounded input -> <see cref="GroupedWithin{T}"/> -> a writer loop that hands each
/// batch to the store and routes every record's outcome back to its shard (one message per shard and batch).
/// A lane owns a fixed set of shards, so two lanes never write the same key at once.
/// </summary>
/// <remarks>
/// <para><b>Writes when</b> a batch is ready; <b>backpressures</b> (its input fills, the shards stop emitting and
/// coalesce in memory) while a batch is being written or retried.</para>
/// <para><b>Retries</b> a batch that failed with a transient error, whole, with exponential backoff and jitter
/// until it commits or the restart budget runs out (then its records are Failed). A batch refused for its data
/// is split in halves until the refused records are isolated; the others are written.</para>
/// <para><b>Restarts</b> after a crash of its own loop, after a backoff; the batch in hand goes back to the
/// shards, which emit it again. <b>Completes</b> when its input completes and every batch is written; on the
/// shutdown deadline it gives up and hands its batch back. It never loses an accepted write: until a shard
/// hears "committed" it keeps the write.</para>
/// </remarks>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed partial class WriterLane<TKey>
    where TKey : notnull
{
    private readonly int _index;
    private readonly CacheContext<TKey> _ctx;
    private readonly Channel<PipelineItem<TKey>> _input;
    private readonly GroupedWithin<PipelineItem<TKey>> _grouped;

    /// <summary>The batch being written, handed back to the shards if the loop crashes.</summary>
    private List<PipelineItem<TKey>>? _current;

    /// <summary>The outcomes of <see cref="_current"/> gathered so far (committed parts of a split batch, recorded failures).</summary>
    private Dictionary<int, BatchOutcome<TKey>>? _currentOutcomes;

    private long _restarts;

    /// <summary>The shards a committed run touches (reused; the lane loop is single-threaded).</summary>
    private readonly HashSet<int> _touched = [];

    /// <summary>See <see cref="CurrentOldest"/>.</summary>
    private long _currentOldest;

    /// <summary>Crashes since the last batch that went through, for the restart backoff.</summary>
    private int _consecutiveCrashes;

    public WriterLane(int index, CacheContext<TKey> ctx)
    {
        _index = index;
        _ctx = ctx;
        _input = Channel.CreateBounded<PipelineItem<TKey>>(new BoundedChannelOptions(ctx.Options.PipelineBufferSize)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _grouped = new GroupedWithin<PipelineItem<TKey>>(
            _input.Reader,
            ctx.Options.MaxBatchSize,
            ctx.Options.MaxBatchDelay,
            ctx.Time,
            static item => Weight(item.Record),
            ctx.Options.MaxBatchBytes,
            static item => item.DirtySince);
        Recent = new RecentOutcomes(ctx.Time);
    }

    /// <summary>The most bytes one record adds to a batch's message beyond its value and key (lengths, the version, a flag).</summary>
    internal const int RecordOverheadBytes = 64;

    /// <summary>
    /// What a record weighs in <see cref="Options.WriteBehindOptions.MaxBatchBytes"/>: its value, its key (a string's
    /// UTF-8 at most, three bytes a character; another key 16) and <see cref="RecordOverheadBytes"/>. A batch goes to
    /// PostgreSQL as one message of at most 1 GiB: counted by values alone, a batch of long keys and short values, or a
    /// <see cref="Options.WriteBehindOptions.MaxBatchSize"/> in the millions, could pass it, and a message the server
    /// refuses for its size fails the same whole batch again at every retry.
    /// </summary>
    internal static long Weight(in WriteRecord<TKey> record) =>
        record.Value.Length + (record.Key is string text ? 3L * text.Length : 16) + RecordOverheadBytes;

    /// <summary>Where the lane's shards emit.</summary>
    public ChannelWriter<PipelineItem<TKey>> Input => _input.Writer;

    public long Restarts => Volatile.Read(ref _restarts);

    /// <summary>The records this lane committed and those that failed for good over the last minute, for health.</summary>
    public RecentOutcomes Recent { get; }

    /// <summary>
    /// When the oldest write of the batch being written, or else of the batch being gathered, was accepted (a
    /// timestamp; 0 when idle). Without the batch being gathered, a write held up to <c>MaxBatchDelay</c> while the
    /// store was idle counted for nothing, and the lag read 0 s with entries pending.
    /// </summary>
    public long CurrentOldest
    {
        get
        {
            long writing = Volatile.Read(ref _currentOldest);
            long gathering = _grouped.OpenSince;
            return writing == 0 ? gathering : gathering == 0 ? writing : Math.Min(writing, gathering);
        }
    }

    /// <summary>When the store call in progress began (a timestamp; 0 when none is), so that health can tell a call that never returns.</summary>
    private long _callStarted;

    /// <summary>How many records the store call in progress holds.</summary>
    private int _callRecords;

    /// <summary>Whether the call in progress is the dead-letter sink's rather than the store's.</summary>
    private bool _callIsSink;

    /// <summary>
    /// The store (or dead-letter sink) call in progress: when it began (a timestamp), its records or letters, and
    /// whether it is the sink's; <see langword="null"/> when none is.
    /// </summary>
    public (long Since, int Records, bool Sink)? StoreCall
    {
        get
        {
            long since = Volatile.Read(ref _callStarted);
            int records = Volatile.Read(ref _callRecords);
            bool sink = Volatile.Read(ref _callIsSink);
            return since == 0 ? null : (since, records, sink);
        }
    }

    /// <summary>Test hook: the next batch throws inside the loop (not in the store) once.</summary>
    internal Exception? CrashOnNextBatch { get; set; }

    /// <summary>Runs the lane until its input completes or the cache's stop token is cancelled.</summary>
    public async Task RunAsync()
    {
        var token = _ctx.Stop.Token;
        var grouping = _grouped.RunAsync(token);
        while (true)
        {
            try
            {
                await WriteLoopAsync(token).ConfigureAwait(false);
                break;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                HandBack();
                break;
            }
            catch (Exception error)
            {
                int crashes = ++_consecutiveCrashes;
                Interlocked.Increment(ref _restarts);
                var tags = _ctx.Tags;
                tags.Add("writebehind.component", "writer");
                WriteBehindMetrics.Restarts.AddSafely(1, tags);
                var backoff = Backoff.Compute(_ctx.Options.Restart, crashes, _ctx.Jitter());
                Log.WriterRestarted(_ctx.Logger, error, _ctx.Name, _index, _current?.Count ?? 0, backoff);

                HandBack();
                try
                {
                    await Task.Delay(backoff, _ctx.Time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        try
        {
            await grouping.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Cancelled with the rest of the lane.
        }
    }

    private async Task WriteLoopAsync(CancellationToken token)
    {
        var batches = _grouped.Output;
        while (await batches.WaitToReadAsync(token).ConfigureAwait(false))
        {
            while (batches.TryRead(out var batch))
            {
                _current = batch;
                long oldest = long.MaxValue;
                foreach (var item in batch)
                {
                    oldest = Math.Min(oldest, item.DirtySince);
                }

                Volatile.Write(ref _currentOldest, oldest);
                if (CrashOnNextBatch is { } crash)
                {
                    CrashOnNextBatch = null;
                    throw crash;
                }

                var outcomes = new Dictionary<int, BatchOutcome<TKey>>();
                _currentOutcomes = outcomes;
                await WriteAsync(batch, outcomes, new RestartBudget(_ctx.Options.Restart, _ctx.Time), token).ConfigureAwait(false);
                await RecordFailuresAsync(outcomes, token).ConfigureAwait(false);
                _current = null;
                _currentOutcomes = null;
                Volatile.Write(ref _currentOldest, 0);
                WriteBehindMetrics.CommitLag.RecordSafely(_ctx.Time.GetElapsedTime(oldest).TotalSeconds, _ctx.Tags);
                _consecutiveCrashes = 0;
                foreach (var (shard, outcome) in outcomes)
                {
                    _ctx.Shards[shard].Post(outcome);
                }
            }
        }
    }

    /// <summary>A batch of more than one record that timed out this many times in a row is split in halves.</summary>
    internal const int TimeoutsBeforeSplit = 2;

    /// <summary>
    /// Writes some records with retries; splits them when the store refuses their data, or when they time out
    /// twice in a row (a batch too big to commit within the store's timeout would otherwise be retried whole for
    /// ever; its halves are retried as it was, within the same restart budget, and split again if they time out too).
    /// The restart budget travels with the records: the halves of a split batch start from the retries their
    /// records already had, so <see cref="Options.RestartSettings.MaxRestarts"/> limits the retries of each record.
    /// </summary>
    private async Task WriteAsync(List<PipelineItem<TKey>> items, Dictionary<int, BatchOutcome<TKey>> outcomes, RestartBudget budget, CancellationToken token)
    {
        var records = new RecordsView<TKey>(items);
        int timeouts = 0;

        for (int attempt = 1; ; attempt++)
        {
            Exception error;
            long started = _ctx.Time.GetTimestamp();
            Volatile.Write(ref _callIsSink, false);
            Volatile.Write(ref _callRecords, records.Count);
            Volatile.Write(ref _callStarted, started);
            try
            {
                try
                {
                    await _ctx.Store.WriteBatchAsync(records, token).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _callStarted, 0);
                }

                WriteBehindMetrics.CommitDuration.RecordSafely(_ctx.Time.GetElapsedTime(started).TotalSeconds, _ctx.Tags);
                WriteBehindMetrics.BatchSize.RecordSafely(records.Count, _ctx.Tags);
                WriteBehindMetrics.BatchesCommitted.AddSafely(1, _ctx.Tags);
                WriteBehindMetrics.RowsCommitted.AddSafely(records.Count, _ctx.Tags);
                Recent.Committed(records.Count);
                ClearStoreFailure();
                // One shared run per shard touched, not a copy of each record (see BatchOutcome.Committed).
                _touched.Clear();
                foreach (var item in items)
                {
                    if (_touched.Add(item.Shard))
                    {
                        (Outcome(outcomes, item).Committed ??= []).Add(items);
                    }
                }

                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception caught) when (token.IsCancellationRequested)
            {
                // Cut short by the stop, however the store reports it (a closed connection, say): the batch goes back
                // to its shards; classified, an error the stop caused would fail records the store never refused.
                throw new OperationCanceledException("The writer stopped while the store was writing.", caught, token);
            }
            catch (Exception caught)
            {
                error = caught;
            }

            var kind = Classify(error);
            if (kind == StoreErrorKind.Permanent)
            {
                // The store answered, so it is up: what is wrong is in this batch.
                ClearStoreFailure();
                if (items.Count == 1)
                {
                    Recent.Failed(1, kind, error, ErrorCode(error));
                    (Outcome(outcomes, items[0]).Failed ??= []).Add(new FailedRecord<TKey>(items[0], error, kind));
                    return;
                }

                Log.BatchSplitting(_ctx.Logger, _ctx.Name, items.Count, error.Message);
                await WriteHalvesAsync(items, outcomes, budget, token).ConfigureAwait(false);
                return;
            }

            // A configuration error is retried for ever: giving up would dead-letter every record for a fault that
            // is not theirs. The budget limits transient errors only.
            if (kind == StoreErrorKind.Transient && !budget.TryRestart())
            {
                // Given up on: the records are reported and dead-lettered. A failure of the next batch soon after
                // continues this outage (its start is kept), so that health sees it through every batch given up on.
                StoreFailing(kind, error, started);
                GiveUpOnStoreFailure();
                Log.BatchRetriesExhausted(_ctx.Logger, error, _ctx.Name, _index, items.Count);
                Recent.Failed(items.Count, kind, error, ErrorCode(error));
                foreach (var item in items)
                {
                    (Outcome(outcomes, item).Failed ??= []).Add(new FailedRecord<TKey>(item, error, kind));
                }

                return;
            }

            timeouts = kind == StoreErrorKind.Transient && IsTimeout(error) ? timeouts + 1 : 0;
            if (items.Count > 1 && timeouts >= TimeoutsBeforeSplit)
            {
                StoreFailing(kind, error, started);
                WriteBehindMetrics.Retries.AddSafely(1, _ctx.Tags);
                Log.BatchSplitAfterTimeouts(_ctx.Logger, _ctx.Name, items.Count, timeouts, error.Message);
                await WriteHalvesAsync(items, outcomes, budget, token).ConfigureAwait(false);
                return;
            }

            var backoff = Backoff.Compute(_ctx.Options.Restart, attempt, _ctx.Jitter());
            StoreFailing(kind, error, started);
            WriteBehindMetrics.Retries.AddSafely(1, _ctx.Tags);
            if (kind == StoreErrorKind.Configuration)
            {
                Log.StoreMisconfigured(_ctx.Logger, error, _ctx.Name, _index, items.Count, attempt, backoff);
            }
            else
            {
                Log.BatchRetrying(_ctx.Logger, error, _ctx.Name, _index, items.Count, attempt, backoff);
            }

            await Task.Delay(backoff, _ctx.Time, token).ConfigureAwait(false);
        }
    }

    /// <summary>Writes the two halves of a split batch, one after the other, each with its own copy of the records' restart budget.</summary>
    private async Task WriteHalvesAsync(List<PipelineItem<TKey>> items, Dictionary<int, BatchOutcome<TKey>> outcomes, RestartBudget budget, CancellationToken token)
    {
        int half = items.Count / 2;
        await WriteAsync(items.GetRange(0, half), outcomes, budget.Clone(), token).ConfigureAwait(false);
        await WriteAsync(items.GetRange(half, items.Count - half), outcomes, budget.Clone(), token).ConfigureAwait(false);
    }

    /// <summary>Whether the store says the error is a timeout; an exception from the store's check counts as not.</summary>
    private bool IsTimeout(Exception error)
    {
        try
        {
            return _ctx.Store.IsTimeout(error);
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>The store's classification; an exception from the classifier itself counts as permanent.</summary>
    private StoreErrorKind Classify(Exception error)
    {
        try
        {
            var kind = _ctx.Store.Classify(error);
            return Enum.IsDefined(kind) ? kind : StoreErrorKind.Permanent;
        }
        catch (Exception)
        {
            return StoreErrorKind.Permanent;
        }
    }

    private static BatchOutcome<TKey> Outcome(Dictionary<int, BatchOutcome<TKey>> outcomes, in PipelineItem<TKey> item)
    {
        if (!outcomes.TryGetValue(item.Shard, out var outcome))
        {
            outcome = new BatchOutcome<TKey>();
            outcomes.Add(item.Shard, outcome);
        }

        return outcome;
    }

    /// <summary>
    /// Gives the batch in hand back to its shards (at the shutdown deadline, or after a crash of the loop): what is
    /// settled already is reported as such (the committed parts of a split batch, and failures whose fate is known:
    /// recorded or refused by the dead-letter sink, or reported without one), and only the rest is emitted again. A
    /// committed record handed back would count as not written, and be written, and perhaps dead-lettered, again.
    /// </summary>
    private void HandBack()
    {
        var batch = Interlocked.Exchange(ref _current, null);
        var gathered = Interlocked.Exchange(ref _currentOutcomes, null);
        if (batch is null)
        {
            return;
        }

        var outcomes = new Dictionary<int, BatchOutcome<TKey>>();
        var settled = new HashSet<CacheEntry<TKey>>(ReferenceEqualityComparer.Instance);
        bool sink = _ctx.DeadLetterSink is not null;
        foreach (var (shard, outcome) in gathered ?? [])
        {
            if (outcome.Committed is { } runs)
            {
                outcomes[shard] = new BatchOutcome<TKey> { Committed = runs };
                foreach (var run in runs)
                {
                    foreach (var item in run)
                    {
                        settled.Add(item.Entry);
                    }
                }
            }

            foreach (var failure in outcome.Failed ?? [])
            {
                if (!sink || failure.State != DeadLetterState.NoSink)
                {
                    (Outcome(outcomes, failure.Item).Failed ??= []).Add(failure);
                    settled.Add(failure.Item.Entry);
                }
            }
        }

        foreach (var item in batch)
        {
            if (!settled.Contains(item.Entry))
            {
                (Outcome(outcomes, item).Requeued ??= []).Add(item);
            }
        }

        foreach (var (shard, outcome) in outcomes)
        {
            _ctx.Shards[shard].Post(outcome);
        }
    }

    /// <summary>Stops accepting records; the lane finishes what it has.</summary>
    public void Complete() => _input.Writer.TryComplete();

    /// <summary>A flush is waiting: batches go without waiting out <c>MaxBatchDelay</c> until <see cref="EndHurry"/>.</summary>
    public void Hurry() => _grouped.Hurry();

    /// <summary>Ends one <see cref="Hurry"/>.</summary>
    public void EndHurry() => _grouped.EndHurry();
}
