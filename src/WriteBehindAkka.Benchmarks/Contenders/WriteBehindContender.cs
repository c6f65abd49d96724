using System.Diagnostics;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Verification;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// WriteBehindAkka with default settings over the PostgreSQL store: <c>Concurrency</c> callers each await
/// <c>SetAsync</c> (acknowledged when the shard accepted it, and with the journal on, when the fsync policy is met),
/// and one write in <c>LagSampleEvery</c> is issued at <c>WriteConsistency.Committed</c> without waiting, to sample
/// the lag from issue to commit. After the window the cache is flushed and every acknowledged write is checked
/// against the table. With a <see cref="JournalMode"/>, the journal goes to a fresh temporary folder per run,
/// deleted afterwards; <c>callers</c> overrides the suite's concurrency (group commit needs many writes in flight).
/// With <c>bulk</c>, each caller makes its writes <c>bulk</c> at a time with one <c>SetManyAsync</c>, and each of
/// them counts the call's latency as its own.
/// </summary>
internal sealed class WriteBehindContender : IContender
{
    /// <summary>The only workload the journal contenders run on unless <c>--journal-workloads all</c>.</summary>
    public const string JournalDefaultWorkload = "uniform-1M-100B";

    /// <summary>The only workload the UpdateAsync contender runs on: hot keys, what counters and leaderboards are.</summary>
    public const string UpdateWorkload = "zipf0.99-100k-100B";

    private const string Table = "bench_writebehind";

    private readonly int? _callers;
    private readonly int? _bulk;

    /// <summary>Each write is an atomic <c>UpdateAsync</c> (read, stamp the value, write on condition) instead of a <c>SetAsync</c>.</summary>
    private readonly bool _update;

    public WriteBehindContender(JournalMode? journal = null, int? callers = null, bool journalOnAllWorkloads = false, int? bulk = null, bool update = false)
    {
        if (update && (journal is not null || bulk is not null))
        {
            throw new ArgumentException("The UpdateAsync contender runs without the journal, one update at a time.", nameof(update));
        }

        Journal = journal;
        _callers = callers;
        _bulk = bulk;
        _update = update;
        JournalOnAllWorkloads = journalOnAllWorkloads;
    }

    /// <summary>The journal's fsync policy, or null for no journal.</summary>
    public JournalMode? Journal { get; }

    public bool JournalOnAllWorkloads { get; }

    public string Name => Journal is { } mode
        ? $"write-behind, journal: {mode}" + (_callers is { } c ? $", {c} callers" : string.Empty) + (_bulk is { } b ? $", bulk {b}" : string.Empty)
        : _update ? "write-behind, UpdateAsync" : "write-behind (default)";

    public ContenderKind Kind => ContenderKind.WriteBehind;

    public string Description => Journal is { } mode
        ? $"WriteBehindAkka, default WriteBehindOptions + journal (FsyncPolicy.{mode}, fresh temp folder per run), PostgreSqlStore (unnest){(_callers is { } c ? $", {c} concurrent callers" : string.Empty)}{(_bulk is { } b ? $", each writing {b} at a time with SetManyAsync" : string.Empty)}"
        : _update
            ? "WriteBehindAkka, default WriteBehindOptions, PostgreSqlStore (unnest), no journal; each write an atomic UpdateAsync whose function stamps the value it is given"
            : "WriteBehindAkka, default WriteBehindOptions, PostgreSqlStore (unnest), no journal";

    public string? Unavailable => null;

    /// <inheritdoc />
    public string? SkipOn(WorkloadSpec workload) =>
        Journal is not null && !JournalOnAllWorkloads && workload.Name != JournalDefaultWorkload
            ? $"not run: the journal contenders run on {JournalDefaultWorkload} only (--journal-workloads all runs them on every workload)"
            : _update && workload.Name != UpdateWorkload
                ? $"not run: the UpdateAsync contender runs on {UpdateWorkload} only (hot keys: counters, leaderboards)"
                : null;

    /// <summary>The callers of a run: the override, or the suite's concurrency.</summary>
    public int CallersFor(SuiteSettings settings) => _callers ?? settings.Concurrency;

    public Task PrepareAsync(RunContext context) => context.Database.CreateTableAsync(Table, indexed: true, context.Cancellation);

    public async Task<RunResult> RunAsync(RunContext context)
    {
        var db = context.Database;
        await db.ResetAsync(Table, context.Cancellation).ConfigureAwait(false);
        var store = db.Store(Table);
        await using var storeScope = store.ConfigureAwait(false);
        string name = $"bench-{context.Workload.Name}-{context.Repetition}-{Guid.NewGuid():N}";
        string? journalDirectory = Journal is null ? null : Path.Combine(Path.GetTempPath(), "writebehind-bench-journal-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = journalDirectory is null
                ? new WriteBehindOptions()
                : new WriteBehindOptions { Journal = new JournalOptions { Directory = journalDirectory, FsyncPolicy = ToPolicy(Journal!.Value) } };
            if (context.Settings.Parallelism is { } lanes)
            {
                options = options with { Parallelism = lanes };
            }

            return await RunCacheAsync(context, store, options, name).ConfigureAwait(false);
        }
        finally
        {
            if (journalDirectory is not null && Directory.Exists(journalDirectory))
            {
                Directory.Delete(journalDirectory, recursive: true);
            }
        }
    }

    private static FsyncPolicy ToPolicy(JournalMode mode) => mode switch
    {
        JournalMode.Always => FsyncPolicy.Always,
        JournalMode.EverySecond => FsyncPolicy.EverySecond,
        JournalMode.No => FsyncPolicy.No,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    private async Task<RunResult> RunCacheAsync(RunContext context, PostgreSqlStore<long, byte[]> store, WriteBehindOptions options, string name)
    {
        var db = context.Database;
        var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance, name: name);
        await using var cacheScope = cache.ConfigureAwait(false);
        using var metrics = new CacheMeterListener(name);
        var ledger = new AckLedger(context.Workload.KeyCount);
        var lag = new LagTracker();
        int callers = CallersFor(context.Settings);
        var lagTasks = new List<Task>[callers];
        int sampleEvery = context.Settings.LagSampleEvery;

        async Task ReadAsync(long key, WorkerStats stats, RunControl control)
        {
            long readStart = Stopwatch.GetTimestamp();
            await cache.GetAsync(key).ConfigureAwait(false);
            if (control.Measuring)
            {
                stats.ReadLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - readStart));
            }

            stats.Reads++;
        }

        async Task BulkWorker(int worker, WorkerStats stats, RunControl control)
        {
            int size = _bulk!.Value;
            var stream = new KeyStream(context.Workload, context.Zipf, context.SeedFor(worker));
            var items = new KeyValuePair<long, byte[]>[size];
            var stamps = new long[size];
            for (int i = 0; i < size; i++)
            {
                items[i] = new(0, ValueStamp.NewBuffer(context.Workload.ValueBytes, stream.Random));
            }

            var pendingLag = lagTasks[worker] = [];
            long sequence = 0;
            while (!control.Stopping)
            {
                int count = 0;
                while (count < size)
                {
                    long key = stream.NextKey();
                    if (stream.NextIsRead())
                    {
                        await ReadAsync(key, stats, control).ConfigureAwait(false);
                        continue;
                    }

                    long stamp = ValueStamp.Make(worker, ++sequence);
                    var buffer = items[count].Value;
                    ValueStamp.Write(buffer, stamp);
                    if (sequence % sampleEvery == 0)
                    {
                        // The lag sample goes alone, as in the other contenders; serialized (copied) before SetAsync returns.
                        var committed = cache.SetAsync(key, buffer, WriteConsistency.Committed);
                        pendingLag.Add(TrackLagAsync(committed, key, stamp, Stopwatch.GetTimestamp(), control.Measuring));
                        stats.Writes++;
                        continue;
                    }

                    items[count] = new(key, buffer);
                    stamps[count++] = stamp;
                }

                long started = Stopwatch.GetTimestamp();
                // Every value is serialized (copied) before SetManyAsync returns, so the buffers can be reused at once.
                var result = await cache.SetManyAsync(new ArraySegment<KeyValuePair<long, byte[]>>(items, 0, count), WriteConsistency.Accepted).ConfigureAwait(false);
                if (control.Measuring)
                {
                    stats.WriteLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - started), count);
                }

                for (int i = 0; i < count; i++)
                {
                    ledger.Acknowledge(items[i].Key, result.Versions[i], stamps[i]);
                }

                stats.Writes += count;
            }
        }

        async Task Worker(int worker, WorkerStats stats, RunControl control)
        {
            var stream = new KeyStream(context.Workload, context.Zipf, context.SeedFor(worker));
            var buffer = ValueStamp.NewBuffer(context.Workload.ValueBytes, stream.Random);
            var pendingLag = lagTasks[worker] = [];
            long sequence = 0;
            while (!control.Stopping)
            {
                long key = stream.NextKey();
                if (stream.NextIsRead())
                {
                    await ReadAsync(key, stats, control).ConfigureAwait(false);
                    continue;
                }

                long stamp = ValueStamp.Make(worker, ++sequence);
                ValueStamp.Write(buffer, stamp);
                long started = Stopwatch.GetTimestamp();
                if (_update)
                {
                    await UpdateAsync(key, stamp, buffer, sequence % sampleEvery == 0, started, stats, control, pendingLag).ConfigureAwait(false);
                }
                else if (sequence % sampleEvery == 0)
                {
                    // The value is serialized (copied) before SetAsync returns, so the buffer can be reused at once.
                    var committed = cache.SetAsync(key, buffer, WriteConsistency.Committed);
                    pendingLag.Add(TrackLagAsync(committed, key, stamp, started, control.Measuring));
                }
                else
                {
                    var result = await cache.SetAsync(key, buffer, WriteConsistency.Accepted).ConfigureAwait(false);
                    if (control.Measuring)
                    {
                        stats.WriteLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - started));
                    }

                    ledger.Acknowledge(key, result.Version, stamp);
                }

                stats.Writes++;
            }
        }

        // An update: its function gets a copy of the key's value (the serializer copies), stamps it and returns it;
        // a key without a value gets the caller's buffer. The lag sample is an update awaited at Committed, not waited
        // for here: its function may run again after a conflict once this caller has moved on and stamped the buffer
        // anew, so it gets a copy of its own.
        async Task UpdateAsync(long key, long stamp, byte[] buffer, bool sample, long started, WorkerStats stats, RunControl control, List<Task> pendingLag)
        {
            byte[] fresh = sample ? (byte[])buffer.Clone() : buffer;
            Func<CacheLookup<byte[]>, byte[]> stampIt = current =>
            {
                if (!current.Found)
                {
                    return fresh;
                }

                ValueStamp.Write(current.Value, stamp);
                return current.Value!;
            };
            if (sample)
            {
                var committed = cache.UpdateAsync(key, stampIt, WriteConsistency.Committed);
                pendingLag.Add(TrackLagAsync(AsWrite(committed), key, stamp, started, control.Measuring));
                return;
            }

            var result = await cache.UpdateAsync(key, stampIt).ConfigureAwait(false);
            if (control.Measuring)
            {
                stats.WriteLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - started));
            }

            ledger.Acknowledge(key, result.Version, stamp);
        }

        static async ValueTask<WriteResult> AsWrite(ValueTask<UpdateResult<byte[]>> update)
        {
            var result = await update.ConfigureAwait(false);
            return new WriteResult(result.Version, result.Consistency);
        }

        async Task TrackLagAsync(ValueTask<WriteResult> committed, long key, long stamp, long issuedAt, bool inWindow)
        {
            var result = await committed.ConfigureAwait(false);
            lag.Record(issuedAt, inWindow);
            ledger.Acknowledge(key, result.Version, stamp);
        }

        async Task Drain()
        {
            var flushed = await cache.FlushAsync(context.Cancellation).ConfigureAwait(false);
            foreach (var tasks in lagTasks)
            {
                await Task.WhenAll(tasks ?? []).ConfigureAwait(false);
            }

            if (!flushed.AllCommitted)
            {
                throw new InvalidOperationException($"The flush after the run reported {flushed.FailedWrites} failed keys.");
            }
        }

        var journal = cache.Journal;
        var result = await LoadDriver.RunAsync(context, callers, _bulk is null ? Worker : BulkWorker, new DriverHooks
        {
            Fsyncs = journal is null ? null : () => journal.Fsyncs,
            JournalBytes = journal is null ? null : () => journal.TotalBytes,
            FsyncDurations = journal is null ? null : metrics.FsyncDurations,
            Rows = () => metrics.RowsCommitted,
            Backlog = () => metrics.PendingEntries,
            Lag = lag,
            Drain = Drain,
            MeanBatchRows = () => metrics.BatchesCommitted == 0 ? null : (double)metrics.RowsCommitted / metrics.BatchesCommitted,
        }).ConfigureAwait(false);

        var verification = Verifier.Verify(ledger, await db.SnapshotAsync(Table, context.Workload.KeyCount, context.Cancellation).ConfigureAwait(false));
        return result with { Callers = callers, Verified = verification.Passed, Verification = verification.ToString() };
    }
}
