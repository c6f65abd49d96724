using System.Diagnostics;
using Npgsql;
using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using Xunit.Abstractions;

namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// Producers far faster than a throttled server (every statement on the table sleeps first) for a bounded time:
/// the backlog never exceeds its bound plus the mailboxes, the GC heap stays bounded, writers are slowed
/// (Backpressure) or refused (Fail), and every accepted write lands. Each test owns its cluster.
/// </summary>
/// <remarks>The soak program (src/WriteBehindAkka.Soak) runs the same overload for as long as asked.</remarks>
public sealed class OverloadTests(ITestOutputHelper output)
{
    private const int Producers = 8;
    private const int ValueBytes = 100;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(5);

    [LocalClusterFact]
    public Task Overload_Backpressure_WritersSlowedToTheServerAndMemoryBounded() => RunAsync(OverflowStrategy.Backpressure);

    [LocalClusterFact]
    public Task Overload_Fail_ExcessWritesRefusedAndMemoryBounded() => RunAsync(OverflowStrategy.Fail);

    private async Task RunAsync(OverflowStrategy overflow)
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString);
        const string table = "wb_overload";
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = cluster.ConnectionString, Table = table }, ByteArraySerializer.Instance);
        await store.EnsureTableAsync();
        await using (var throttle = admin.CreateCommand(
            "CREATE FUNCTION wb_throttle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.02); RETURN NULL; END $$; " +
            $"CREATE TRIGGER wb_throttle BEFORE INSERT ON \"{table}\" FOR EACH STATEMENT EXECUTE FUNCTION wb_throttle()"))
        {
            await throttle.ExecuteNonQueryAsync();
        }

        var options = new WriteBehindOptions
        {
            ShardCount = 4,
            Parallelism = 2,
            MaxBatchSize = 200,
            MaxBatchDelay = TimeSpan.FromMilliseconds(5),
            MailboxCapacity = 256,
            MaxPendingEntries = 20_000,
            MaxPendingBytes = 1_500_000,
            MaxCachedEntries = 30_000,
            OverflowStrategy = overflow,
        };
        await using var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance);
        GC.Collect();
        long baseline = GC.GetTotalMemory(true);
        var accepted = new long[Producers];
        var refused = new long[Producers];
        var sampler = CacheSampler.Start(cache);
        var clock = Stopwatch.StartNew();

        // Each producer writes new keys of its own: nothing coalesces, so everything accepted must reach the server.
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            var value = new byte[ValueBytes];
            while (clock.Elapsed < Duration)
            {
                long key = (accepted[p] * Producers) + p;
                BitConverter.TryWriteBytes(value, key);
                try
                {
                    await cache.SetAsync(key, value);
                    accepted[p]++;
                }
                catch (CacheOverflowException)
                {
                    refused[p]++;
                    await Task.Yield();
                }
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(FaultKit.Within);
        var atEnd = cache.GetStatistics();
        long committedAtEnd = await RowCountAsync(admin, table);
        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);
        await sampler.DisposeAsync();

        long acceptedTotal = accepted.Sum();
        long refusedTotal = refused.Sum();
        long heapGrowth = sampler.MaxHeapBytes - baseline;
        long mailboxSlack = options.ShardCount * options.MailboxCapacity;
        output.WriteLine($"{overflow}: {acceptedTotal} accepted, {refusedTotal} refused in {clock.Elapsed.TotalSeconds:F1} s; {committedAtEnd} committed when producers stopped; max backlog {sampler.MaxPendingEntries} entries / {sampler.MaxPendingBytes} bytes; heap growth {heapGrowth / (1024 * 1024)} MiB over {sampler.Samples} samples.");
        Assert.True(flush.AllCommitted);
        Assert.Equal(acceptedTotal, await RowCountAsync(admin, table));
        Assert.InRange(sampler.MaxPendingEntries, 1, options.MaxPendingEntries + mailboxSlack);
        Assert.InRange(sampler.MaxPendingBytes, 1, options.MaxPendingBytes + (mailboxSlack * ValueBytes));
        Assert.True(sampler.MaxPendingEntries >= options.MaxPendingEntries || sampler.MaxPendingBytes >= options.MaxPendingBytes, "The producers never filled the backlog: the overload did not happen.");

        // Writers ran at the server's pace: what they got accepted is what was committed plus at most the backlog.
        Assert.InRange(acceptedTotal - committedAtEnd, 0, atEnd.PendingEntries + mailboxSlack);
        if (overflow == OverflowStrategy.Fail)
        {
            Assert.True(refusedTotal > acceptedTotal, $"{refusedTotal} refused, {acceptedTotal} accepted");
        }
        else
        {
            Assert.Equal(0, refusedTotal);
        }

        // 30,000 cached entries plus 20,000 pending ones of 100 bytes are a few tens of MiB; unbounded they would be gigabytes.
        Assert.InRange(heapGrowth, long.MinValue, 256L * 1024 * 1024);
    }

    private static async Task<long> RowCountAsync(NpgsqlDataSource admin, string table)
    {
        await using var command = admin.CreateCommand($"SELECT count(*) FROM \"{table}\"");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
