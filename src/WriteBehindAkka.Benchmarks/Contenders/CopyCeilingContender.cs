using NpgsqlTypes;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// What PostgreSQL can ingest at all: the workload's rows by binary COPY into a table with no index (no upsert, no
/// duplicate check), one transaction per <c>CeilingBatch</c> rows, <c>CeilingWriters</c> writers.
/// </summary>
internal sealed class CopyCeilingContender : IContender
{
    private const string Table = "bench_copy_raw";

    public string Name => "ceiling: COPY (no index)";

    public ContenderKind Kind => ContenderKind.Ceiling;

    public string Description => "binary COPY of the same rows into an unindexed table, big batches";

    public string? Unavailable => null;

    public Task PrepareAsync(RunContext context) => context.Database.CreateTableAsync(Table, indexed: false, context.Cancellation);

    public async Task<RunResult> RunAsync(RunContext context)
    {
        var db = context.Database;
        await db.ResetAsync(Table, context.Cancellation).ConfigureAwait(false);
        long clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
        int writers = context.Settings.CeilingWriters;

        async Task Worker(int worker, WorkerStats stats, RunControl control)
        {
            var stream = new KeyStream(context.Workload, context.Zipf, context.SeedFor(worker));
            var batch = new CeilingBatch(stream, worker, writers, CeilingBatch.RowsFor(context.Settings.CeilingBatch, context.Workload.ValueBytes), context.Workload.ValueBytes, distinct: false);
            await using var connection = await db.DataSource.OpenConnectionAsync(context.Cancellation).ConfigureAwait(false);
            while (!control.Stopping)
            {
                batch.Fill(ref clock, worker);
                var now = DateTime.UtcNow;
                await using (var importer = await connection.BeginBinaryImportAsync(
                    $"COPY {Table} (key, value, version, updated_at) FROM STDIN (FORMAT BINARY)", context.Cancellation).ConfigureAwait(false))
                {
                    foreach (var record in batch.Records)
                    {
                        await importer.StartRowAsync(context.Cancellation).ConfigureAwait(false);
                        await importer.WriteAsync(record.Key, NpgsqlDbType.Bigint, context.Cancellation).ConfigureAwait(false);
                        await importer.WriteAsync(record.Value, NpgsqlDbType.Bytea, context.Cancellation).ConfigureAwait(false);
                        await importer.WriteAsync(record.Version, NpgsqlDbType.Bigint, context.Cancellation).ConfigureAwait(false);
                        await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, context.Cancellation).ConfigureAwait(false);
                    }

                    await importer.CompleteAsync(context.Cancellation).ConfigureAwait(false);
                }

                stats.Rows += batch.Records.Count;
                stats.Writes += batch.Draws;
            }
        }

        var result = await LoadDriver.RunAsync(context, writers, Worker, new DriverHooks()).ConfigureAwait(false);
        // Ceilings write only: the workload's reads are skipped.
        return result with { MeanBatchRows = CeilingBatch.RowsFor(context.Settings.CeilingBatch, context.Workload.ValueBytes), ReadsPerSecond = null };
    }
}
