using Npgsql;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests.Faults;

/// <summary>
/// A missing table or a missing privilege is the set-up's fault, not the data's: the cache keeps every write, retries,
/// reports Degraded with the SQLSTATE, dead-letters nothing, and writes everything once an operator fixes it.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ConfigurationFaultTests(PostgresFixture db)
{
    private static WriteBehindOptions Options() => new()
    {
        ShardCount = 2,
        Parallelism = 2,
        MaxBatchSize = 100,
        MaxBatchDelay = TimeSpan.FromMilliseconds(5),
        Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(100), MaxRestarts = 2 },
    };

    [Fact]
    public async Task TableMissing_CreatedLater_NothingDeadLetteredEverythingLands()
    {
        var table = PostgresFixture.NewTableName("wb_later");
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = table, DeadLetterTable = table + "_dl" }, ByteArraySerializer.Instance);
        await using var cache = new WriteBehindCache<long, byte[]>(store, Options(), ByteArraySerializer.Instance);
        for (long key = 0; key < 500; key++)
        {
            await cache.SetAsync(key, BitConverter.GetBytes(key));
        }

        await FaultKit.WaitUntilAsync(() => cache.GetHealth().ErrorCode == "42P01" && cache.GetHealth().Attempts() > 3, "the cache to report the missing table");
        var degraded = cache.GetHealth();
        await store.EnsureTableAsync();
        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.Equal((CacheHealth.Degraded, StoreErrorKind.Configuration), (degraded.Status, degraded.FailureKind));
        Assert.StartsWith("The store refuses every write because of how it is set up, not because of the data (42P01: 42P01: relation \"", degraded.Description);
        Assert.True(flush.AllCommitted);
        Assert.Equal(500L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [LocalClusterFact]
    public async Task PrivilegeMissing_GrantedLater_NothingDeadLetteredEverythingLands()
    {
        var table = PostgresFixture.NewTableName("wb_grant");
        await using (var setup = new PostgreSqlStore<long, byte[]>(new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = table }, ByteArraySerializer.Instance))
        {
            await setup.EnsureTableAsync();
        }

        var role = "wb_role_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        await db.ExecuteAsync($"CREATE TABLE \"{table}_dl\" (source text NOT NULL, key text NOT NULL, operation text NOT NULL, value bytea, version bigint NOT NULL, error text NOT NULL, sqlstate text, error_kind text NOT NULL, failed_at timestamptz NOT NULL, PRIMARY KEY (source, key))");
        await db.ExecuteAsync($"GRANT ALL ON \"{table}_dl\" TO {role}");
        var connectionString = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = connectionString, Table = table, DeadLetterTable = table + "_dl" }, ByteArraySerializer.Instance);
        await using var cache = new WriteBehindCache<long, byte[]>(store, Options(), ByteArraySerializer.Instance);
        for (long key = 0; key < 500; key++)
        {
            await cache.SetAsync(key, BitConverter.GetBytes(key));
        }

        await FaultKit.WaitUntilAsync(() => cache.GetHealth().ErrorCode == "42501" && cache.GetHealth().Attempts() > 3, "the cache to report the missing privilege");
        await db.ExecuteAsync($"GRANT ALL ON \"{table}\" TO {role}");
        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.True(flush.AllCommitted);
        Assert.Equal(500L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
        Assert.Equal(0, await cache.CountDeadLettersAsync());
    }
}

/// <summary>Reads the attempt count a health report describes.</summary>
internal static class HealthReportExtensions
{
    public static int Attempts(this CacheHealthReport report)
    {
        var match = System.Text.RegularExpressions.Regex.Match(report.Description, @"; (\d+) failed attempts\)");
        return match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
