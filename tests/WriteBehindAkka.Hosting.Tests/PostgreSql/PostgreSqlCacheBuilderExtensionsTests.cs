using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using WriteBehindAkka.Hosting.PostgreSql;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Hosting.Tests.PostgreSql;

public sealed class PostgreSqlCacheBuilderExtensionsTests
{
    [Fact]
    public async Task UsePostgreSql_EnsureTable_CreatesTheTableAtStartAndDrainsIntoItOnStop()
    {
        var external = LocalPostgresCluster.ExternalConnectionString();
        await using var cluster = external is null ? await LocalPostgresCluster.StartAsync() : null;
        string connectionString = external ?? cluster!.ConnectionString;
        string table = $"hosting_{Guid.NewGuid():N}"[..24];
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<long, string>("scores", TestHost.Small)
            .UsePostgreSql(o => { o.ConnectionString = connectionString; o.Table = table; }, ensureTable: true);
        using var host = builder.Build();
        await host.StartAsync();
        var cache = host.Services.GetRequiredKeyedService<IWriteBehindCache<long, string>>("scores");
        for (long id = 1; id <= 20; id++)
        {
            await cache.SetAsync(id, $"player-{id}");
        }

        await host.StopAsync();

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var count = dataSource.CreateCommand($"SELECT count(*), max(value #>> '{{}}') FROM public.\"{table}\"");
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((20L, "player-9"), (reader.GetInt64(0), reader.GetString(1)));
    }

    [Fact]
    public async Task UsePostgreSql_NoConnectionString_FailsTheStartWithTheStoreMessage()
    {
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<long, string>().UsePostgreSql(_ => { });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync());

        Assert.Equal("The PostgreSqlStore settings are invalid:" + Environment.NewLine + "- Neither ConnectionString nor DataSource is set: set one of them.", error.Message);
    }

    [Fact]
    public async Task UsePostgreSql_TwoCachesOnTheDefaultTable_FailsTheStartNamingBoth()
    {
        // Neither names a table, so both would write public.writebehind_entries: key 1 of one would overwrite key 1
        // of the other, and each would read the other's value back as its own.
        const string connectionString = "Host=127.0.0.1;Port=5999;Database=game;Username=app";
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<long, string>("players", TestHost.Small).UsePostgreSql(connectionString);
        builder.Services.AddWriteBehindCache<long, int>("scores", TestHost.Small).UsePostgreSql(connectionString);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        string Message(string first, string second) =>
            $"The write-behind caches '{first}' and '{second}' both write the PostgreSQL table public.writebehind_entries (database 'game' on 127.0.0.1:5999): "
            + "rows of equal keys would overwrite each other, and each cache would read the other's values as its own. "
            + "Give each cache its own table: o.Table in UsePostgreSql(o => ...), PostgreSql { Table = ... } in its configuration section, or mapping.Table(...).";
        Assert.Contains(error.Message, new[] { Message("players", "scores"), Message("scores", "players") });
    }

    [Fact]
    public async Task UsePostgreSql_AMappingOnAnotherCachesTable_FailsTheStart()
    {
        const string connectionString = "Host=127.0.0.1;Port=5999;Database=game;Username=app";
        var mapping = new PostgreSqlTableMapping<long, string>().Table("scores").Key("id").Column("name", v => v, NpgsqlTypes.NpgsqlDbType.Text);
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<long, string>("mapped", TestHost.Small).UsePostgreSql(connectionString, mapping);
        builder.Services.AddWriteBehindCache<long, string>("plain", TestHost.Small).UsePostgreSql(o => { o.ConnectionString = connectionString; o.Table = "scores"; });
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("both write the PostgreSQL table public.scores (database 'game' on 127.0.0.1:5999)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UsePostgreSql_TwoCachesOnOwnTablesOrDatabases_Start()
    {
        const string connectionString = "Host=127.0.0.1;Port=5999;Database=game;Username=app";
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<long, string>("players", TestHost.Small).UsePostgreSql(o => { o.ConnectionString = connectionString; o.Table = "players"; });
        builder.Services.AddWriteBehindCache<long, string>("scores", TestHost.Small).UsePostgreSql(o => { o.ConnectionString = connectionString; o.Table = "scores"; });
        builder.Services.AddWriteBehindCache<long, string>("other", TestHost.Small).UsePostgreSql("Host=127.0.0.1;Port=5999;Database=other;Username=app");
        builder.Services.AddWriteBehindCache<long, string>("defaults", TestHost.Small).UsePostgreSql(connectionString);
        using var host = builder.Build();

        await host.StartAsync(); // nothing is written, so nothing connects

        Assert.Equal("Cache 'players' is running: 0 entries pending.", (await TestHost.HealthOf(host, "players")).Description);
        await host.StopAsync();
    }

    [Fact]
    public void UsePostgreSql_EnsureTableWithAMapping_ThrowsNamingTheFix()
    {
        var builder = new ServiceCollection().AddWriteBehindCache<long, string>();
        var mapping = new PostgreSqlTableMapping<long, string>().Table("scores").Key("id");

        var error = Assert.Throws<ArgumentException>(() => builder.UsePostgreSql("Host=127.0.0.1", mapping, ensureTable: true));

        Assert.Equal(
            "ensureTable creates the default key/value table only, but a mapping is given: create your own table with your migrations and pass ensureTable: false. (Parameter 'ensureTable')",
            error.Message);
    }
}
