using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.PostgreSql.Tests.Cache;

/// <summary>
/// PostgreSQL goes away mid-stream (a clean stop, or SIGKILL of the postmaster) and comes back: writes keep
/// being accepted up to the bound, then wait; once the server is back every acknowledged write lands at its
/// latest version, none lost, none overwritten by an older one. Each test owns its cluster.
/// </summary>
public sealed class CacheOutageTests
{
    private const int Keys = 2_000;
    private const long Bound = 3_000;
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(90);

    [LocalClusterFact]
    public Task Outage_ServerStoppedAndStarted_EveryAcknowledgedWriteLands() => RunOutageAsync(kill: false);

    [LocalClusterFact]
    public Task Outage_PostmasterKilledAndStarted_EveryAcknowledgedWriteLands() => RunOutageAsync(kill: true);

    private static async Task RunOutageAsync(bool kill)
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        var table = PostgresFixture.NewTableName("wb_outage");
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = cluster.ConnectionString + ";Timeout=3;Command Timeout=5", Table = table, CreateTableIfMissing = true },
            ByteArraySerializer.Instance);
        await store.EnsureTableAsync();
        var options = new WriteBehindOptions
        {
            ShardCount = 4,
            Parallelism = 2,
            MaxBatchSize = 200,
            MaxBatchDelay = TimeSpan.FromMilliseconds(5),
            MailboxCapacity = 64,
            MaxPendingEntries = Bound,
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) },
        };
        await using var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance);
        var acknowledged = new long[Keys];
        long sequence = 0;

        async Task WriteAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                long seq = ++sequence;
                long key = seq % Keys;
                await cache.SetAsync(key, BitConverter.GetBytes(seq));
                acknowledged[key] = seq;
            }
        }

        await WriteAsync(5_000);
        if (kill)
        {
            await cluster.KillAsync();
        }
        else
        {
            await cluster.StopAsync();
        }

        // The database is down: fill the backlog to its bound with keys that cannot be committed.
        var filling = Task.Run(async () =>
        {
            for (long extra = 0; extra < Bound + 500; extra++)
            {
                long seq = ++sequence;
                long key = Keys + extra;
                await cache.SetAsync(key, BitConverter.GetBytes(seq));
            }
        });
        using (var budget = new CancellationTokenSource(Within))
        {
            while (cache.GetStatistics().PendingEntries < Bound)
            {
                await Task.Delay(10, budget.Token);
            }
        }

        var atBound = cache.GetStatistics();
        bool toldWhileFull = cache.TrySet(-1, [1]);
        Assert.False(filling.IsCompleted);
        await cluster.StartAgainAsync();
        await filling.WaitAsync(Within);
        await WriteAsync(5_000);
        var flush = await cache.FlushAsync().WaitAsync(Within);

        Assert.False(toldWhileFull);
        Assert.InRange(atBound.PendingEntries, Bound, Bound + (options.ShardCount * options.MailboxCapacity));
        Assert.True(flush.AllCommitted);
        var rows = new Dictionary<long, long>();
        await using (var source = Npgsql.NpgsqlDataSource.Create(cluster.ConnectionString))
        await using (var command = source.CreateCommand($"SELECT key, value FROM \"{table}\" WHERE key < {Keys}"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetInt64(0)] = BitConverter.ToInt64(reader.GetFieldValue<byte[]>(1));
            }
        }

        var expected = acknowledged.Select((seq, key) => (Key: (long)key, Seq: seq)).Where(p => p.Seq != 0).ToDictionary(p => p.Key, p => p.Seq);
        Assert.Equal(expected.Count, rows.Count);
        Assert.All(expected, kv => Assert.Equal(kv.Value, rows[kv.Key]));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }
}
