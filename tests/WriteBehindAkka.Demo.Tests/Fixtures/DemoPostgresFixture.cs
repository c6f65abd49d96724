using Npgsql;
using WriteBehindAkka.LocalPostgres;

namespace WriteBehindAkka.Demo.Tests.Fixtures;

/// <summary>The server the demo instances write to: WRITEBEHIND_PG_CONNECTION's, or a throwaway cluster.</summary>
public sealed class DemoPostgresFixture : IAsyncLifetime
{
    private LocalPostgresCluster? _cluster;

    public string ConnectionString { get; private set; } = string.Empty;

    public async Task InitializeAsync()
    {
        var external = LocalPostgresCluster.ExternalConnectionString();
        if (external is null)
        {
            _cluster = await LocalPostgresCluster.StartAsync();
        }

        ConnectionString = external ?? _cluster!.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    public async Task<long> CountRowsAsync(string table)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand($"SELECT count(*) FROM \"{table}\"");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
