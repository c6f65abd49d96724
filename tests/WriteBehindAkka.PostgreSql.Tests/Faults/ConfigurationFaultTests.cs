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
        Assert.StartsWith("The store refuses every write because of how it is set up, not because of the data (42P01: relation \"", degraded.Description);
        Assert.True(flush.AllCommitted);
        Assert.Equal(500L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task NotNullColumnUnmapped_DefaultGivenLater_NothingDeadLetteredEverythingLands()
    {
        // The README's own table with a NOT NULL column the mapping leaves out: every row failed with 23502 and was
        // dead-lettered, and the cache said it was writing normally.
        var table = PostgresFixture.NewTableName("scores3");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int, region text NOT NULL, updated_at timestamptz)");
        var mapping = new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(table)
            .Key("player_id")
            .Column("score", s => s.Score, NpgsqlTypes.NpgsqlDbType.Integer)
            .UpdatedAtColumn("updated_at");
        var serializer = new JsonValueSerializer<PlayerScore>();
        await using var store = new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, DeadLetterTable = table + "_dl" }, serializer, mapping);
        await using var cache = new WriteBehindCache<long, PlayerScore>(store, Options(), serializer);
        for (long key = 0; key < 500; key++)
        {
            await cache.SetAsync(key, new PlayerScore(key, 1));
        }

        await FaultKit.WaitUntilAsync(() => cache.GetHealth().FailureKind == StoreErrorKind.Configuration && cache.GetHealth().Attempts() > 3, "the cache to report the unmapped column");
        var degraded = cache.GetHealth();
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN region SET DEFAULT 'eu'");
        var flush = await cache.FlushAsync().WaitAsync(FaultKit.Within);

        Assert.Equal(CacheHealth.Degraded, degraded.Status);
        Assert.Contains($"The table public.{table} has a NOT NULL column without a default that this store does not write: region.", degraded.Description, StringComparison.Ordinal);
        Assert.True(flush.AllCommitted);
        Assert.Equal(500L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\" WHERE region = 'eu'"));
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        Assert.Equal(0, cache.GetStatistics().FailedKeys);
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
