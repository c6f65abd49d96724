using Npgsql;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// Statements time out (another connection holds the rows' locks past <c>statement_timeout</c>), and the connection
/// pool is exhausted (connections held): the cache retries, reports Degraded, and once the fault ends every write
/// lands at its latest version, nothing dead-lettered.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LockAndPoolFaultTests(PostgresFixture db)
{
    private const int Keys = 1_000;

    private static WriteBehindOptions Options() => new()
    {
        ShardCount = 4,
        Parallelism = 2,
        MaxBatchSize = 200,
        MaxBatchDelay = TimeSpan.FromMilliseconds(5),
        Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100) },
    };

    [Fact]
    public async Task LocksHeldPastStatementTimeout_RetriedUntilReleased_EverythingLands()
    {
        var table = PostgresFixture.NewTableName("wb_timeout");
        var connectionString = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Options = "-c statement_timeout=150" }.ConnectionString;
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = connectionString, Table = table, DeadLetterTable = table + "_dl" }, ByteArraySerializer.Instance);
        await store.EnsureTableAsync();
        await using var cache = new WriteBehindCache<long, byte[]>(store, Options(), ByteArraySerializer.Instance);
        var acks = await WriteAllAsync(cache, 1);
        await cache.FlushAsync().WaitAsync(FaultKit.Within);

        await using (var holder = await db.DataSource.OpenConnectionAsync())
        await using (var transaction = await holder.BeginTransactionAsync())
        {
            await using (var lockRows = new NpgsqlCommand($"SELECT count(*) FROM (SELECT 1 FROM \"{table}\" WHERE key % 10 = 0 FOR UPDATE) l", holder, transaction))
            {
                await lockRows.ExecuteScalarAsync();
            }

            acks = await WriteAllAsync(cache, 2);
            await FaultKit.WaitUntilAsync(() => cache.GetHealth().ErrorCode == "57014" && cache.GetHealth().Attempts() >= 3, "statement timeouts to be retried");
            await transaction.RollbackAsync();
        }

        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.True(flush.AllCommitted);
        await AssertLandedAsync(table, acks);
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task PoolExhaustedByHeldConnections_RetriedUntilReleased_EverythingLands()
    {
        var table = PostgresFixture.NewTableName("wb_pool");
        await using (var setup = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = table, DeadLetterTable = table + "_dl" }, ByteArraySerializer.Instance))
        {
            await setup.EnsureTableAsync();
            await setup.DeadLetters!.EnsureTableAsync();
        }

        // Timeout is both the connect timeout and the longest wait for a pooled connection.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 2, Timeout = 2 }.ConnectionString);
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { DataSource = dataSource, Table = table, DeadLetterTable = table + "_dl" }, ByteArraySerializer.Instance);
        await using var cache = new WriteBehindCache<long, byte[]>(store, Options(), ByteArraySerializer.Instance);

        Dictionary<long, (long Seq, long Version)> acks;
        await using (var first = await dataSource.OpenConnectionAsync())
        await using (var second = await dataSource.OpenConnectionAsync())
        {
            acks = await WriteAllAsync(cache, 1);
            await FaultKit.WaitUntilAsync(
                () => cache.GetHealth() is { FailureKind: StoreErrorKind.Transient } health && health.LastError!.Contains("pool", StringComparison.OrdinalIgnoreCase) && health.Attempts() >= 2,
                "the exhausted pool to be retried");
        }

        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.True(flush.AllCommitted);
        await AssertLandedAsync(table, acks);
        Assert.Equal(0, await cache.CountDeadLettersAsync());
    }

    private static async Task<Dictionary<long, (long Seq, long Version)>> WriteAllAsync(WriteBehindCache<long, byte[]> cache, long round)
    {
        var acks = new Dictionary<long, (long, long)>();
        for (long key = 0; key < Keys; key++)
        {
            long seq = (round * Keys) + key;
            var result = await cache.SetAsync(key, BitConverter.GetBytes(seq), WriteConsistency.Accepted);
            acks[key] = (seq, result.Version);
        }

        return acks;
    }

    private async Task AssertLandedAsync(string table, Dictionary<long, (long Seq, long Version)> acks)
    {
        var rows = await FaultKit.ReadRowsAsync(db.DataSource, table);
        Assert.Equal(acks.Count, rows.Count);
        Assert.All(acks, kv => Assert.Equal(kv.Value, rows[kv.Key]));
    }
}
