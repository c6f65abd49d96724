using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Verification;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// What a user does without the library: every write is one upsert through Npgsql, acknowledged when it is
/// committed, on <c>Concurrency</c> connections (one per caller, each with its statement prepared: the best case
/// of write-through). The upsert carries the same version guard as the store's, so concurrent writes to a hot key
/// settle on the newest version; reads are one SELECT each.
/// </summary>
internal sealed class WriteThroughContender : IContender
{
    private const string Table = "bench_writethrough";

    private const string Upsert =
        $"INSERT INTO {Table} AS t (key, value, version, updated_at) VALUES ($1, $2, $3, now()) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, updated_at = excluded.updated_at " +
        "WHERE t.version < excluded.version";

    private const string Select = $"SELECT value FROM {Table} WHERE key = $1";

    public string Name => "write-through";

    public ContenderKind Kind => ContenderKind.WriteThrough;

    public string Description => "one prepared single-row upsert per write through Npgsql, one connection per caller";

    public string? Unavailable => null;

    public Task PrepareAsync(RunContext context) => context.Database.CreateTableAsync(Table, indexed: true, context.Cancellation);

    public async Task<RunResult> RunAsync(RunContext context)
    {
        var db = context.Database;
        await db.ResetAsync(Table, context.Cancellation).ConfigureAwait(false);
        var ledger = new AckLedger(context.Workload.KeyCount);
        // Versions as the cache makes them: microseconds, made unique by a shared counter.
        long clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

        async Task Worker(int worker, WorkerStats stats, RunControl control)
        {
            var stream = new KeyStream(context.Workload, context.Zipf, context.SeedFor(worker));
            var buffer = ValueStamp.NewBuffer(context.Workload.ValueBytes, stream.Random);
            await using var connection = await db.DataSource.OpenConnectionAsync(context.Cancellation).ConfigureAwait(false);
            await using var upsert = new NpgsqlCommand(Upsert, connection);
            var keyParameter = new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint };
            var valueParameter = new NpgsqlParameter<byte[]> { NpgsqlDbType = NpgsqlDbType.Bytea };
            var versionParameter = new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint };
            upsert.Parameters.Add(keyParameter);
            upsert.Parameters.Add(valueParameter);
            upsert.Parameters.Add(versionParameter);
            await upsert.PrepareAsync(context.Cancellation).ConfigureAwait(false);
            await using var select = new NpgsqlCommand(Select, connection);
            var readKey = new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint };
            select.Parameters.Add(readKey);
            await select.PrepareAsync(context.Cancellation).ConfigureAwait(false);
            long sequence = 0;
            while (!control.Stopping)
            {
                long key = stream.NextKey();
                if (stream.NextIsRead())
                {
                    long readStart = Stopwatch.GetTimestamp();
                    readKey.TypedValue = key;
                    await select.ExecuteScalarAsync(context.Cancellation).ConfigureAwait(false);
                    if (control.Measuring)
                    {
                        stats.ReadLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - readStart));
                    }

                    stats.Reads++;
                    continue;
                }

                long stamp = ValueStamp.Make(worker, ++sequence);
                ValueStamp.Write(buffer, stamp);
                long version = Interlocked.Increment(ref clock);
                keyParameter.TypedValue = key;
                valueParameter.TypedValue = buffer;
                versionParameter.TypedValue = version;
                long started = Stopwatch.GetTimestamp();
                await upsert.ExecuteNonQueryAsync(context.Cancellation).ConfigureAwait(false);
                if (control.Measuring)
                {
                    stats.WriteLatency.Record((long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - started));
                }

                ledger.Acknowledge(key, version, stamp);
                stats.Writes++;
                stats.Rows++;
            }
        }

        var result = await LoadDriver.RunAsync(context, context.Settings.Concurrency, Worker, new DriverHooks()).ConfigureAwait(false);
        var verification = Verifier.Verify(ledger, await db.SnapshotAsync(Table, context.Workload.KeyCount, context.Cancellation).ConfigureAwait(false));
        // Acknowledged at commit: the lag is zero by construction.
        return result with { LagP50Ms = 0, LagP99Ms = 0, Verified = verification.Passed, Verification = verification.ToString() };
    }
}
