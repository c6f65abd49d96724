using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// The best batched upsert: <c>PostgreSqlStore.WriteBatchAsync</c> called directly with big batches
/// (<c>CeilingBatch</c> distinct keys), <c>CeilingWriters</c> writers on disjoint keys, into the indexed table:
/// what the cache's drain can reach at most with this store.
/// </summary>
internal sealed class UpsertCeilingContender : IContender
{
    private readonly PostgreSqlBatchForm _form;

    public UpsertCeilingContender(PostgreSqlBatchForm form) => _form = form;

    private string Table => _form == PostgreSqlBatchForm.Copy ? "bench_upsert_copy" : "bench_upsert_unnest";

    public string Name => _form == PostgreSqlBatchForm.Copy ? "ceiling: batched upsert (copy)" : "ceiling: batched upsert (unnest)";

    public ContenderKind Kind => ContenderKind.Ceiling;

    public string Description => $"PostgreSqlStore.WriteBatchAsync ({_form}) called directly, big batches, writers on disjoint keys, indexed table";

    public string? Unavailable => null;

    public Task PrepareAsync(RunContext context) => context.Database.CreateTableAsync(Table, indexed: true, context.Cancellation);

    public async Task<RunResult> RunAsync(RunContext context)
    {
        var db = context.Database;
        await db.ResetAsync(Table, context.Cancellation).ConfigureAwait(false);
        var store = db.Store(Table, _form);
        await using var storeScope = store.ConfigureAwait(false);
        long clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        long batches = 0;
        long rows = 0;
        int writers = context.Settings.CeilingWriters;

        async Task Worker(int worker, WorkerStats stats, RunControl control)
        {
            var stream = new KeyStream(context.Workload, context.Zipf, context.SeedFor(worker));
            var batch = new CeilingBatch(stream, worker, writers, CeilingBatch.RowsFor(context.Settings.CeilingBatch, context.Workload.ValueBytes), context.Workload.ValueBytes, distinct: true);
            while (!control.Stopping)
            {
                batch.Fill(ref clock, worker);
                await store.WriteBatchAsync(batch.Records, context.Cancellation).ConfigureAwait(false);
                Interlocked.Increment(ref batches);
                Interlocked.Add(ref rows, batch.Records.Count);
                stats.Rows += batch.Records.Count;
                stats.Writes += batch.Draws;
            }
        }

        var result = await LoadDriver.RunAsync(context, writers, Worker, new DriverHooks
        {
            MeanBatchRows = () => Volatile.Read(ref batches) == 0 ? null : (double)Volatile.Read(ref rows) / Volatile.Read(ref batches),
        }).ConfigureAwait(false);
        // Ceilings write only: the workload's reads are skipped.
        return result with { ReadsPerSecond = null };
    }
}
