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
