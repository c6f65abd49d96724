using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.Benchmarks.Verification;
using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>
/// The one PostgreSQL every contender writes to: the server named by <c>WRITEBEHIND_PG_CONNECTION</c>, or a
/// throwaway local cluster started here with fsync on. Makes and resets the benchmark tables and reads them back
/// for verification.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly LocalPostgresCluster? _cluster;

    private BenchDatabase(string connectionString, LocalPostgresCluster? cluster)
    {
        ConnectionString = connectionString;
        _cluster = cluster;
        DataSource = NpgsqlDataSource.Create(connectionString);
        ServerCpu = new ServerCpuProbe(cluster?.PostmasterPid);
    }

    public string ConnectionString { get; }

    /// <summary>For the harness's own statements (DDL, truncation, verification); contenders make their own.</summary>
    public NpgsqlDataSource DataSource { get; }

    public ServerCpuProbe ServerCpu { get; }

    /// <summary>Where the server came from, for the report.</summary>
    public string Origin => _cluster is null
        ? $"external ({LocalPostgresCluster.ExternalConnectionVariable})"
        : $"throwaway local cluster on port {_cluster.Port} (fsync on)";

    public static async Task<BenchDatabase> OpenAsync(string sharedBuffers, int maxConnections, CancellationToken cancellationToken)
    {
        var external = LocalPostgresCluster.ExternalConnectionString();
        if (external is not null)
        {
            return new BenchDatabase(external, null);
        }

        var cluster = await LocalPostgresCluster.StartAsync(
            new LocalPostgresOptions { Fsync = true, SharedBuffers = sharedBuffers, MaxConnections = maxConnections },
            cancellationToken).ConfigureAwait(false);
        var builder = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { MaxPoolSize = 100, IncludeErrorDetail = true };
        return new BenchDatabase(builder.ConnectionString, cluster);
    }

    /// <summary>The server's version and the settings that matter for the figures.</summary>
    public async Task<IReadOnlyDictionary<string, string>> DescribeAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var setting in new[] { "server_version", "fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "max_wal_size", "wal_level" })
        {
            await using var command = DataSource.CreateCommand($"SHOW {setting}");
            result[setting] = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        }

        return result;
    }

    /// <summary>A store of byte values over one of the benchmark's tables (the caller disposes it).</summary>
    public PostgreSqlStore<long, byte[]> Store(string table, PostgreSqlBatchForm form = PostgreSqlBatchForm.Unnest) =>
        new(new PostgreSqlStoreOptions { ConnectionString = ConnectionString, Table = table, BatchForm = form }, ByteArraySerializer.Instance);

    /// <summary>Creates a key/value table like the store's default one, with (<paramref name="indexed"/>) or without its primary key.</summary>
    public async Task CreateTableAsync(string table, bool indexed, CancellationToken cancellationToken)
    {
        var sql = string.Create(
            CultureInfo.InvariantCulture,
            $"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (key bigint{(indexed ? " PRIMARY KEY" : string.Empty)} NOT NULL, value bytea NOT NULL, version bigint NOT NULL, updated_at timestamptz NOT NULL)");
        await ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Empties a table and checkpoints, so that every repetition starts from the same state.</summary>
    public async Task ResetAsync(string table, CancellationToken cancellationToken)
    {
        await ExecuteAsync($"TRUNCATE {table}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync("CHECKPOINT", cancellationToken).ConfigureAwait(false);
    }

    public async Task DropAsync(string table, CancellationToken cancellationToken) =>
        await ExecuteAsync($"DROP TABLE IF EXISTS {table}", cancellationToken).ConfigureAwait(false);

    /// <summary>Reads every row's key, version and value stamp (binary COPY out).</summary>
    public async Task<TableSnapshot> SnapshotAsync(string table, int keyCount, CancellationToken cancellationToken)
    {
        var snapshot = new TableSnapshot(keyCount);
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var export = await connection.BeginBinaryExportAsync(
            $"COPY (SELECT key, version, substring(value from 1 for 8) FROM {table}) TO STDOUT (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        while (await export.StartRowAsync(cancellationToken).ConfigureAwait(false) >= 0)
        {
            long key = await export.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            long version = await export.ReadAsync<long>(NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            byte[] head = await export.ReadAsync<byte[]>(NpgsqlDbType.Bytea, cancellationToken).ConfigureAwait(false);
            snapshot.Add(key, version, ValueStamp.Read(head));
        }

        return snapshot;
    }

    public async Task<long> CountAsync(string table, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand($"SELECT count(*) FROM {table}");
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(sql);
        command.CommandTimeout = 600;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync().ConfigureAwait(false);
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
