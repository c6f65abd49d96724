using System.Text;
using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

/// <summary>
/// Every error the classifier must get right, produced for real by the server (or by Npgsql against it), through the
/// store's own write path: data errors are permanent, server and connection trouble transient, set-up faults
/// (missing table or privilege, read-only server, unknown role or database) configuration errors.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlErrorClassifierServerTests(PostgresFixture db)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private sealed record Row(long Id, string Name, decimal Amount, int? Score);

    private static PostgreSqlTableMapping<long, Row> Mapping(string table) =>
        new PostgreSqlTableMapping<long, Row>()
            .Table(table)
            .Key("id")
            .Column("name", r => r.Name, NpgsqlDbType.Varchar)
            .Column("amount", r => r.Amount, NpgsqlDbType.Numeric)
            .Column("score", r => r.Score, NpgsqlDbType.Integer)
            .VersionColumn("version");

    private async Task<string> CreateRowsTableAsync()
    {
        var table = PostgresFixture.NewTableName("classify");
        await db.ExecuteAsync(
            $"CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, name varchar(8) NOT NULL, amount numeric(5,2) NOT NULL, " +
            "score int NOT NULL CHECK (score >= 0), version bigint)");
        return table;
    }

    private static WriteRecord<long> RowRecord(Row row, IValueSerializer<Row> serializer, long version = Records.BaseVersion + 1) =>
        Records.Upsert(row.Id, serializer.Serialize(row), version);

    /// <summary>Writes one batch and returns what it threw, with the store's classification and code.</summary>
    private static async Task<(StoreErrorKind Kind, string? Code, Exception Error)> FailAsync<TValue>(PostgreSqlStore<long, TValue> store, params WriteRecord<long>[] batch)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await store.WriteBatchAsync(batch, CancellationToken.None));
        return (store.Classify(error), store.GetErrorCode(error), error);
    }

    private string With(Action<NpgsqlConnectionStringBuilder> change)
    {
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        change(builder);
        return builder.ConnectionString;
    }

    [Theory]
    [InlineData("check", "23514")]
    [InlineData("not-null", "23502")]
    [InlineData("too-long", "22001")]
    [InlineData("out-of-range", "22003")]
    public async Task DataError_RefusedRow_Permanent(string fault, string sqlState)
    {
        var table = await CreateRowsTableAsync();
        var serializer = new JsonValueSerializer<Row>();
        await using var store = new PostgreSqlStore<long, Row>(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString }, serializer, Mapping(table));
        var row = fault switch
        {
            "check" => new Row(1, "ok", 1m, -1),
            "not-null" => new Row(1, "ok", 1m, null),
            "too-long" => new Row(1, "much too long", 1m, 1),
            _ => new Row(1, "ok", 12345.67m, 1),
        };

        var (kind, code, _) = await FailAsync(store, RowRecord(row, serializer));

        Assert.Equal((StoreErrorKind.Permanent, sqlState), (kind, code));
    }

    [Fact]
    public async Task PartitionedTable_NoPartitionForTheRow_ConfigurationNotARefusedRow()
    {
        // 23514 like a CHECK, but no row is wrong: a partition is missing, and dead-lettering the writes would lose
        // what an operator's CREATE TABLE ... PARTITION OF fixes.
        var table = PostgresFixture.NewTableName("parted");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, name varchar(8) NOT NULL, amount numeric(5,2) NOT NULL, score int NOT NULL, version bigint) PARTITION BY RANGE (id)");
        await db.ExecuteAsync($"CREATE TABLE \"{table}_low\" PARTITION OF \"{table}\" FOR VALUES FROM (0) TO (100)");
        var serializer = new JsonValueSerializer<Row>();
        await using var store = new PostgreSqlStore<long, Row>(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString }, serializer, Mapping(table));

        var (kind, code, _) = await FailAsync(store, RowRecord(new Row(500, "ok", 1m, 1), serializer));

        Assert.Equal((StoreErrorKind.Configuration, "23514"), (kind, code));
        await db.ExecuteAsync($"CREATE TABLE \"{table}_high\" PARTITION OF \"{table}\" FOR VALUES FROM (100) TO (1000)");
        await store.WriteBatchAsync([RowRecord(new Row(500, "ok", 1m, 1), serializer)], CancellationToken.None);
    }

    [Fact]
    public async Task InvalidSessionSetting_FatalAtEveryConnection_ConfigurationNotARefusedRow()
    {
        // FATAL 22023 at connect: class 22 reads as a refused row, but no row causes it.
        var table = await CreateRowsTableAsync();
        var serializer = new JsonValueSerializer<Row>();
        await using var store = new PostgreSqlStore<long, Row>(
            new PostgreSqlStoreOptions { ConnectionString = With(b => b.Options = "-c statement_timeout=abc") }, serializer, Mapping(table));

        var (kind, code, _) = await FailAsync(store, RowRecord(new Row(1, "ok", 1m, 1), serializer));

        Assert.Equal((StoreErrorKind.Configuration, "22023"), (kind, code));
    }

    [Fact]
    public async Task DataError_InvalidJsonForJsonb_InvalidTextRepresentationPermanent()
    {
        await using var store = new PostgreSqlStore<long, string>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = PostgresFixture.NewTableName("classify_json"), CreateTableIfMissing = true },
            new JsonValueSerializer<string>());

        var (kind, code, _) = await FailAsync(store, Records.UpsertJson(1L, "{not json", Records.BaseVersion + 1));

        Assert.Equal((StoreErrorKind.Permanent, "22P02"), (kind, code));
    }

    [Fact]
    public async Task DataError_SerializerThrows_MappingErrorPermanent()
    {
        var table = await CreateRowsTableAsync();
        await using var store = new PostgreSqlStore<long, Row>(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString }, new JsonValueSerializer<Row>(), Mapping(table));

        var (kind, code, error) = await FailAsync(store, Records.Upsert(1L, Encoding.UTF8.GetBytes("not a row"), Records.BaseVersion + 1));

        Assert.IsType<PostgreSqlMappingException>(error);
        Assert.Equal((StoreErrorKind.Permanent, (string?)null), (kind, code));
    }

    [Fact]
    public async Task ConcurrentUpdate_SerializableIsolation_SerializationFailureTransient()
    {
        var table = await CreateDefaultTableWithRowAsync();
        var application = "wb_serialize_" + Guid.NewGuid().ToString("N")[..8];
        await using var store = ByteStore(table, With(b => { b.ApplicationName = application; b.Options = "-c default_transaction_isolation=serializable"; }));
        await using var blocker = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await ExecuteAsync(blocker, $"UPDATE \"{table}\" SET version = version + 1 WHERE key = 1");

        var write = FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));
        await WaitForLockWaitAsync(application);
        await transaction.CommitAsync();
        var (kind, code, _) = await write.WaitAsync(Within);

        Assert.Equal((StoreErrorKind.Transient, "40001"), (kind, code));
    }

    [Fact]
    public async Task LockCycle_DeadlockDetected_Transient()
    {
        var table = await CreateDefaultTableWithRowAsync(2);
        var application = "wb_deadlock_" + Guid.NewGuid().ToString("N")[..8];

        // The store checks for deadlocks after 100 ms and the other session after 30 s, so the store is the victim.
        await using var store = ByteStore(table, With(b => { b.ApplicationName = application; b.Options = "-c deadlock_timeout=100"; }));
        await using var other = await db.DataSource.OpenConnectionAsync();
        await ExecuteAsync(other, "SET deadlock_timeout = '30s'");
        await using var transaction = await other.BeginTransactionAsync();
        await ExecuteAsync(other, $"UPDATE \"{table}\" SET version = version + 1 WHERE key = 2");

        var write = FailAsync(store, Records.Upsert(1L, [9], Records.BaseVersion + 10), Records.Upsert(2L, [9], Records.BaseVersion + 10));
        await WaitForLockWaitAsync(application);
        var closesCycle = ExecuteAsync(other, $"UPDATE \"{table}\" SET version = version + 1 WHERE key = 1");
        var (kind, code, _) = await write.WaitAsync(Within);
        await closesCycle.WaitAsync(Within);
        await transaction.RollbackAsync();

        Assert.Equal((StoreErrorKind.Transient, "40P01"), (kind, code));
    }

    [Fact]
    public async Task LockHeld_StatementTimeout_QueryCanceledTransient()
    {
        var table = await CreateDefaultTableWithRowAsync();
        await using var store = ByteStore(table, With(b => b.Options = "-c statement_timeout=200"));
        await using var blocker = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await ExecuteAsync(blocker, $"SELECT 1 FROM \"{table}\" WHERE key = 1 FOR UPDATE");

        var (kind, code, error) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));
        await transaction.RollbackAsync();

        Assert.Equal((StoreErrorKind.Transient, "57014"), (kind, code));
        Assert.True(store.IsTimeout(error)); // repeated, it splits the batch
    }

    [Fact]
    public async Task LockHeld_ClientCommandTimeout_Transient()
    {
        var table = await CreateDefaultTableWithRowAsync();
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table, CommandTimeout = TimeSpan.FromSeconds(1) },
            ByteArraySerializer.Instance);
        await using var blocker = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await ExecuteAsync(blocker, $"SELECT 1 FROM \"{table}\" WHERE key = 1 FOR UPDATE");

        var (kind, _, error) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));
        await transaction.RollbackAsync();

        Assert.Equal(StoreErrorKind.Transient, kind);
        Assert.IsAssignableFrom<NpgsqlException>(error);
        Assert.True(store.IsTimeout(error)); // repeated, it splits the batch
    }

    [Fact]
    public async Task BackendTerminated_AdminShutdownTransient()
    {
        var table = await CreateDefaultTableWithRowAsync();
        var application = "wb_terminate_" + Guid.NewGuid().ToString("N")[..8];
        await using var store = ByteStore(table, With(b => b.ApplicationName = application));
        await using var blocker = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await ExecuteAsync(blocker, $"SELECT 1 FROM \"{table}\" WHERE key = 1 FOR UPDATE");

        var write = FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));
        await WaitForLockWaitAsync(application);
        await db.ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{application}'");
        var (kind, code, _) = await write.WaitAsync(Within);
        await transaction.RollbackAsync();

        Assert.Equal((StoreErrorKind.Transient, "57P01"), (kind, code));
    }

    [LocalClusterFact]
    public async Task RoleConnectionLimitReached_TooManyConnectionsTransient()
    {
        var table = await CreateDefaultTableWithRowAsync();
        var role = await CreateRoleAsync(table, "CONNECTION LIMIT 1", grant: true);
        var connectionString = With(b => b.Username = role);
        await using var holder = new NpgsqlConnection(connectionString + ";Pooling=false");
        await holder.OpenAsync();
        await using var store = ByteStore(table, connectionString);

        var (kind, code, _) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));

        Assert.Equal((StoreErrorKind.Transient, "53300"), (kind, code));
    }

    [Fact]
    public async Task PoolExhausted_ConnectionsHeld_Transient()
    {
        var table = await CreateDefaultTableWithRowAsync();
        await using var dataSource = NpgsqlDataSource.Create(With(b => { b.MaxPoolSize = 1; b.Timeout = 2; }));
        await using var store = new PostgreSqlStore<long, byte[]>(new PostgreSqlStoreOptions { DataSource = dataSource, Table = table }, ByteArraySerializer.Instance);
        await using var held = await dataSource.OpenConnectionAsync();

        var (kind, code, error) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));

        Assert.Equal((StoreErrorKind.Transient, (string?)null), (kind, code));
        Assert.Contains("pool", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TableMissing_UndefinedTableConfiguration()
    {
        await using var store = ByteStore(PostgresFixture.NewTableName("missing"), db.ConnectionString);

        var (kind, code, _) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));

        Assert.Equal((StoreErrorKind.Configuration, "42P01"), (kind, code));
    }

    [LocalClusterFact]
    public async Task PrivilegeMissing_InsufficientPrivilegeConfiguration()
    {
        var table = await CreateDefaultTableWithRowAsync();
        var role = await CreateRoleAsync(table, string.Empty, grant: false);
        await using var store = ByteStore(table, With(b => b.Username = role));

        var (kind, code, _) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));

        Assert.Equal((StoreErrorKind.Configuration, "42501"), (kind, code));
    }

    [Fact]
    public async Task ReadOnlyServer_ReadOnlyTransactionConfiguration()
    {
        var table = await CreateDefaultTableWithRowAsync();
        await using var store = ByteStore(table, With(b => b.Options = "-c default_transaction_read_only=on"));

        var (kind, code, _) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));

        Assert.Equal((StoreErrorKind.Configuration, "25006"), (kind, code));
    }

    [LocalClusterFact]
    public async Task PublishedTableWithoutReplicaIdentity_UpdatesAndDeletesRefused_ConfigurationNotTransient()
    {
        // A table added to a publication (logical replication, CDC) that has a unique key but no primary key has no
        // replica identity: every UPDATE and DELETE of it fails (55000) until an operator sets one, whatever the data.
        var table = PostgresFixture.NewTableName("classify_pub");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (key bigint NOT NULL UNIQUE, value bytea NOT NULL, version bigint NOT NULL, updated_at timestamptz NOT NULL)");
        await db.ExecuteAsync($"CREATE PUBLICATION \"{table}_pub\" FOR TABLE \"{table}\"");
        try
        {
            await using var store = ByteStore(table, db.ConnectionString);

            var (kind, code, error) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));
            var (deleteKind, deleteCode, _) = await FailAsync(store, Records.Delete(1L, Records.BaseVersion + 10));

            Assert.Equal((StoreErrorKind.Configuration, "55000"), (kind, code));
            Assert.Equal((StoreErrorKind.Configuration, "55000"), (deleteKind, deleteCode));
            Assert.Contains("replica identity", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await db.ExecuteAsync($"DROP PUBLICATION \"{table}_pub\"");
        }
    }

    [Theory]
    [InlineData("role", "28000")]
    [InlineData("database", "3D000")]
    public async Task UnknownRoleOrDatabase_Configuration(string what, string sqlState)
    {
        var missing = "wb_missing_" + Guid.NewGuid().ToString("N")[..8];
        await using var store = ByteStore("t", With(b =>
        {
            if (what == "role")
            {
                b.Username = missing;
            }
            else
            {
                b.Database = missing;
            }
        }));

        var (kind, code, _) = await FailAsync(store, Records.Upsert(1L, [2], Records.BaseVersion + 10));

        Assert.Equal((StoreErrorKind.Configuration, sqlState), (kind, code));
    }

    private static PostgreSqlStore<long, byte[]> ByteStore(string table, string connectionString) =>
        new(new PostgreSqlStoreOptions { ConnectionString = connectionString, Table = table }, ByteArraySerializer.Instance);

    private async Task<string> CreateDefaultTableWithRowAsync(int rows = 1)
    {
        var table = PostgresFixture.NewTableName("classify_kv");
        await using (var store = new PostgreSqlStore<long, byte[]>(new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = table }, ByteArraySerializer.Instance))
        {
            await store.EnsureTableAsync();
            await store.WriteBatchAsync(Enumerable.Range(1, rows).Select(k => Records.Upsert((long)k, [1], Records.BaseVersion)).ToList(), CancellationToken.None);
        }

        return table;
    }

    private async Task<string> CreateRoleAsync(string table, string attributes, bool grant)
    {
        var role = "wb_role_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN {attributes}");
        if (grant)
        {
            await db.ExecuteAsync($"GRANT ALL ON \"{table}\" TO {role}");
        }

        return role;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until a backend of the application waits on a lock (pg_stat_activity), polling the server.</summary>
    private async Task WaitForLockWaitAsync(string application)
    {
        using var budget = new CancellationTokenSource(Within);
        while (await db.ScalarAsync<long>($"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}' AND wait_event_type = 'Lock'") == 0)
        {
            await Task.Delay(10, budget.Token);
        }
    }
}
