using Npgsql;
using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using Xunit.Abstractions;

namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// The server is stopped, killed (SIGKILL of the postmaster) and started again, and the cache's backends are
/// terminated, while producers keep writing (one write in 8 a delete): every acknowledged write lands at its latest
/// value and version, every key whose latest acknowledged write deleted it has no row,
/// no row is ever applied at a stale version (an audit trigger records every applied version), the backlog
/// stays within its bound, and health reports Degraded during each outage. The test owns its cluster.
/// </summary>
public sealed class ServerChaosTests(ITestOutputHelper output)
{
    private const int Keys = 4_000;
    private const int Producers = 4;
    private const string Application = "wb_chaos";

    [LocalClusterFact]
    public async Task ServerStoppedKilledAndBackendsTerminated_WhileWritesGoOn_NothingLostNothingStale()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString + ";Pooling=false");
        const string table = "wb_chaos";
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = $"{cluster.ConnectionString};Timeout=3;Command Timeout=5;Application Name={Application}", Table = table },
            ByteArraySerializer.Instance);
        await store.EnsureTableAsync();
        await FaultKit.InstallAuditAsync(admin, table);
        var options = new WriteBehindOptions
        {
            ShardCount = 4,
            Parallelism = 2,
            MaxBatchSize = 500,
            MaxBatchDelay = TimeSpan.FromMilliseconds(5),
            MailboxCapacity = 64,
            MaxPendingEntries = 2_000,
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) },
        };
        await using var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance);
        var acks = new AckLog(Keys);
        using var stop = new CancellationTokenSource();
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() => ProduceAsync(cache, acks, p, stop.Token))).ToArray();
        var sampler = CacheSampler.Start(cache);
        var survived = new List<string>();

        async Task WritesGoOnAsync(long count)
        {
            long target = acks.Acknowledged + count;
            await FaultKit.WaitUntilAsync(() => acks.Acknowledged >= target, $"{count} more acknowledged writes");
        }

        async Task OutageAsync(string name, Func<Task> fault)
        {
            await fault();
            await FaultKit.WaitUntilAsync(
                () => cache.GetHealth().Status == CacheHealth.Degraded && cache.GetStatistics().PendingEntries >= options.MaxPendingEntries,
                $"the backlog to reach its bound during '{name}'");
            await cluster.StartAgainAsync();
            await WritesGoOnAsync(3_000);
            survived.Add(name);
        }

        await WritesGoOnAsync(3_000);
        await OutageAsync("server stopped", () => cluster.StopAsync());
        await OutageAsync("postmaster killed", () => cluster.KillAsync());
        for (int i = 0; i < 5; i++)
        {
            await using var terminate = admin.CreateCommand($"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{Application}'");
            var terminated = (long)(await terminate.ExecuteScalarAsync())!;
            await WritesGoOnAsync(1_000);
            survived.Add($"{terminated} backends terminated");
        }

        await stop.CancelAsync();
        await Task.WhenAll(producers).WaitAsync(FaultKit.Within);
        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);
        await sampler.DisposeAsync();

        var expected = acks.Expected();
        var rows = await FaultKit.ReadRowsAsync(admin, table);
        var (stale, applied) = await FaultKit.ReadAuditAsync(admin, table);
        output.WriteLine($"Survived: {string.Join(", ", survived)}. Acknowledged {acks.Acknowledged} writes ({acks.Deletes} deletes) to {expected.Count + acks.DeletedKeys} keys, {acks.DeletedKeys} of them deleted last; {applied} row versions applied; max backlog {sampler.MaxPendingEntries}; health seen: {string.Join(", ", sampler.HealthSeen)}.");
        Assert.True(flush.AllCommitted);
        Assert.True(acks.DeletedKeys > 0, "no key ended deleted: the test would not see a lost delete");
        // Every expected row at its latest write, and no other row: a key deleted last has none.
        Assert.Equal(expected.Count, rows.Count);
        Assert.All(expected, kv => Assert.Equal(kv.Value, rows[kv.Key]));
        Assert.Equal(0, stale);
        Assert.InRange(sampler.MaxPendingEntries, options.MaxPendingEntries, options.MaxPendingEntries + (options.ShardCount * options.MailboxCapacity));
        Assert.True(sampler.Saw("Degraded/Transient/"), string.Join(", ", sampler.HealthSeen));
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }

    /// <summary>Writes random keys of its own (key % Producers == producer) until stopped, one write in 8 a delete; records each acknowledged write.</summary>
    private static async Task ProduceAsync(WriteBehindCache<long, byte[]> cache, AckLog acks, int producer, CancellationToken stop)
    {
        var random = new Random(producer);
        while (!stop.IsCancellationRequested)
        {
            long key = producer + (Producers * (long)random.Next(Keys / Producers));
            long seq = acks.NextSequence();

            // No token: a write is either refused before it is accepted, or its version is known.
            bool delete = random.Next(8) == 0;
            var result = delete
                ? await cache.DeleteAsync(key, WriteConsistency.Accepted)
                : await cache.SetAsync(key, BitConverter.GetBytes(seq), WriteConsistency.Accepted);
            acks.Acknowledge(key, seq, result.Version, delete);
        }
    }
}
