using Npgsql;
using WriteBehindAkka.LocalPostgres;

namespace WriteBehindAkka.PostgreSql.Tests.Fixtures;

/// <summary>
/// One PostgreSQL server for the whole test assembly: the one named by WRITEBEHIND_PG_CONNECTION, or a throwaway
/// cluster. Tests that stop or kill a server start their own cluster instead (see <see cref="LocalClusterFactAttribute"/>).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private LocalPostgresCluster? _cluster;

    public string ConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var external = LocalPostgresCluster.ExternalConnectionString();
        if (external is null)
        {
            _cluster = await LocalPostgresCluster.StartAsync();
            ConnectionString = _cluster.ConnectionString;
        }
        else
        {
            ConnectionString = external;
        }

        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Returns a table name no other test uses.</summary>
    public static string NewTableName(string prefix) => $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 63)];

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }
}
