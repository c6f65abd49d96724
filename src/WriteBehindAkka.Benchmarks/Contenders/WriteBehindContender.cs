using System.Diagnostics;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Verification;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// WriteBehindAkka with default settings over the PostgreSQL store: <c>Concurrency</c> callers each await
/// <c>SetAsync</c> (acknowledged when the shard accepted it), and one write in <c>LagSampleEvery</c> is issued at
/// <c>WriteConsistency.Committed</c> without waiting, to sample the lag from issue to commit. After the window the
/// cache is flushed and every acknowledged write is checked against the table.
/// </summary>
internal sealed class WriteBehindContender : IContender
{
    private const string Table = "bench_writebehind";

    public string Name => "write-behind (default)";

    public ContenderKind Kind => ContenderKind.WriteBehind;

    public string Description => "WriteBehindAkka, default WriteBehindOptions, PostgreSqlStore (unnest), no journal";

    public string? Unavailable => null;

    public Task PrepareAsync(RunContext context) => context.Database.CreateTableAsync(Table, indexed: true, context.Cancellation);

    public async Task<RunResult> RunAsync(RunContext context)
    {
        var db = context.Database;
        await db.ResetAsync(Table, context.Cancellation).ConfigureAwait(false);
        var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = Table },
            ByteArraySerializer.Instance);
        await using var storeScope = store.ConfigureAwait(false);
        string name = $"bench-{context.Workload.Name}-{context.Repetition}-{Guid.NewGuid():N}";
        var cache = new WriteBehindCache<long, byte[]>(store, new WriteBehindOptions(), ByteArraySerializer.Instance, name: name);
        await using var cacheScope = cache.ConfigureAwait(false);
        using var metrics = new CacheMeterListener(name);
        var ledger = new AckLedger(context.Workload.KeyCount);
        var lag = new LagTracker();
        var lagTasks = new List<Task>[context.Settings.Concurrency];
        int sampleEvery = context.Settings.LagSampleEvery;

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
                    long readStart = Stopwatch.GetTimestamp();
                    await cache.GetAsync(key).ConfigureAwait(false);
                    if (control.Measuring)
                    {
                        stats.ReadLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - readStart));
                    }

                    stats.Reads++;
                    continue;
                }

                long stamp = ValueStamp.Make(worker, ++sequence);
                ValueStamp.Write(buffer, stamp);
                long started = Stopwatch.GetTimestamp();
                if (sequence % sampleEvery == 0)
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
                throw new InvalidOperationException($"The flush after the run reported {flushed.FailedKeys} failed keys.");
            }
        }

        var result = await LoadDriver.RunAsync(context, context.Settings.Concurrency, Worker, new DriverHooks
        {
            Rows = () => metrics.RowsCommitted,
            Backlog = () => metrics.PendingEntries,
            Lag = lag,
            Drain = Drain,
            MeanBatchRows = () => metrics.BatchesCommitted == 0 ? null : (double)metrics.RowsCommitted / metrics.BatchesCommitted,
        }).ConfigureAwait(false);

        var verification = Verifier.Verify(ledger, await db.SnapshotAsync(Table, context.Workload.KeyCount, context.Cancellation).ConfigureAwait(false));
        return result with { Verified = verification.Passed, Verification = verification.ToString() };
    }
}
