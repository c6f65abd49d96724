using Npgsql;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlStoreTableTests(PostgresFixture db)
{
    private async Task<Dictionary<string, (string Type, bool NotNull)>> ColumnsAsync(string table)
    {
        await using var command = db.DataSource.CreateCommand(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull FROM pg_attribute a " +
            "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"public.\"{table}\"" });
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new Dictionary<string, (string, bool)>();
        while (await reader.ReadAsync())
        {
            columns[reader.GetString(0)] = (reader.GetString(1), reader.GetBoolean(2));
        }

        return columns;
    }

    private async Task<string?> PrimaryKeyAsync(string table) =>
        await db.ScalarAsync<string>(
            $"SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) " +
            $"WHERE i.indrelid = 'public.\"{table}\"'::regclass AND i.indisprimary");

    [LocalClusterFact]
    public async Task EnsureTableAsync_TableExists_RoleThatMayNotCreateTables_SucceedsAndWrites()
    {
        var table = PostgresFixture.NewTableName("ensure_dml_only");
        await using (var owner = new PostgreSqlStore<long, byte[]>(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table }, ByteArraySerializer.Instance))
        {
            await owner.EnsureTableAsync();
        }

        var role = "wb_dml_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        await db.ExecuteAsync($"REVOKE CREATE ON SCHEMA public FROM {role}");
        await db.ExecuteAsync($"GRANT SELECT, INSERT, UPDATE, DELETE ON public.\"{table}\" TO {role}");
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = connection, Table = table, DeadLetterTable = null }, ByteArraySerializer.Instance);

        await store.EnsureTableAsync(); // looks before it creates: a DML-only role runs against an existing table
        await store.WriteBatchAsync([Records.Upsert(1L, [1, 2], Records.BaseVersion)], CancellationToken.None);

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM public.\"{table}\""));
    }

    [Fact]
    public async Task EnsureTableAsync_JsonSerializer_CreatesJsonbValueColumn()
    {
        var table = PostgresFixture.NewTableName("ensure_json");
        await using var store = new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table }, new JsonValueSerializer<PlayerScore>());

        await store.EnsureTableAsync();

        var columns = await ColumnsAsync(table);
        Assert.Equal(
            new Dictionary<string, (string, bool)>
            {
                ["key"] = ("bigint", true),
                ["value"] = ("jsonb", true),
                ["version"] = ("bigint", true),
                ["updated_at"] = ("timestamp with time zone", true),
            },
            columns);
        Assert.Equal("key", await PrimaryKeyAsync(table));
    }

    [Fact]
    public async Task EnsureTableAsync_BinarySerializerWithStringKey_CreatesByteaValueAndTextKey()
    {
        var table = PostgresFixture.NewTableName("ensure_bin");
        await using var store = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table }, ByteArraySerializer.Instance);

        await store.EnsureTableAsync();
        await store.EnsureTableAsync(); // a second call finds the table and checks it

        var columns = await ColumnsAsync(table);
        Assert.Equal(("text", true), columns["key"]);
        Assert.Equal(("bytea", true), columns["value"]);
    }

    [Fact]
    public async Task EnsureTableAsync_GuidAndIntKeys_CreateUuidAndIntegerKeys()
    {
        var guidTable = PostgresFixture.NewTableName("ensure_uuid");
        var intTable = PostgresFixture.NewTableName("ensure_int");
        await using var guidStore = new PostgreSqlStore<Guid, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = guidTable }, ByteArraySerializer.Instance);
        await using var intStore = new PostgreSqlStore<int, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = intTable }, ByteArraySerializer.Instance);

        await guidStore.EnsureTableAsync();
        await intStore.EnsureTableAsync();

        Assert.Equal("uuid", (await ColumnsAsync(guidTable))["key"].Type);
        Assert.Equal("integer", (await ColumnsAsync(intTable))["key"].Type);
    }

    [Fact]
    public async Task EnsureTableAsync_OtherSchema_CreatesSchemaAndTable()
    {
        var schema = PostgresFixture.NewTableName("schema");
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Schema = schema, Table = "entries" }, ByteArraySerializer.Instance);

        await store.EnsureTableAsync();
        await store.WriteBatchAsync([Records.Upsert(1L, [1, 2], Records.BaseVersion)], CancellationToken.None);

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".entries"));
        Assert.Equal($"{schema}.entries", store.TableName);
    }

    [LocalClusterFact]
    public async Task EnsureTableAsync_SchemaExists_RoleThatOwnsItButMayNotCreateSchemas_CreatesTableAndDeadLetters()
    {
        // The usual grant for an application: its own schema, and no CREATE on the database (which CREATE SCHEMA
        // needs, and checks before IF NOT EXISTS). Creating the tables in that schema must not ask for it.
        var role = "wb_own_" + Guid.NewGuid().ToString("N")[..8];
        var schema = PostgresFixture.NewTableName("app");
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        await db.ExecuteAsync($"CREATE SCHEMA \"{schema}\" AUTHORIZATION {role}");
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role }.ConnectionString;
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = connection, Schema = schema, Table = "entries", CreateTableIfMissing = true, DeadLetterSchema = schema },
            ByteArraySerializer.Instance);

        await store.WriteBatchAsync([Records.Upsert(1L, [1, 2], Records.BaseVersion)], CancellationToken.None);
        await store.DeadLetters!.WriteAsync(
            [new DeadLetter<long>(2L, WriteOperation.Upsert, [3], Records.BaseVersion, "refused", "23514", StoreErrorKind.Permanent, DateTimeOffset.UtcNow)],
            CancellationToken.None);

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".entries"));
        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".writebehind_dead_letters"));
    }

    [Fact]
    public async Task EnsureTableAsync_ReplicasCreatingTheSameTableAtOnce_AllSucceed()
    {
        // Concurrent CREATE SCHEMA / TABLE IF NOT EXISTS is not atomic: the loser fails with a duplicate in the
        // catalog (23505, a "refused row" to the classifier) unless it checks the table is there and carries on.
        for (int round = 0; round < 10; round++)
        {
            var schema = PostgresFixture.NewTableName("race");
            var stores = Enumerable.Range(0, 6).Select(_ => new PostgreSqlStore<long, byte[]>(
                new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Schema = schema, Table = "entries", DeadLetterSchema = schema, DeadLetterTable = "letters" },
                ByteArraySerializer.Instance)).ToList();
            try
            {
                // Half start with the store's table, half with the dead-letter table: the same table and two
                // tables of one new schema are both raced.
                using var start = new Barrier(stores.Count);
                await Task.WhenAll(stores.Select((store, i) => Task.Run(async () =>
                {
                    start.SignalAndWait();
                    if (i % 2 == 0)
                    {
                        await store.EnsureTableAsync();
                        await store.DeadLetters!.EnsureTableAsync();
                    }
                    else
                    {
                        await store.DeadLetters!.EnsureTableAsync();
                        await store.EnsureTableAsync();
                    }
                })));
            }
            finally
            {
                foreach (var store in stores)
                {
                    await store.DisposeAsync();
                }
            }

            Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".entries"));
        }
    }

    [Fact]
    public async Task DeadLetters_SchemaNameWithADot_CreatedUnderThatSchema()
    {
        var schema = PostgresFixture.NewTableName("dotted") + ".letters";
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = PostgresFixture.NewTableName("src"), DeadLetterSchema = schema, DeadLetterTable = "dl" },
            ByteArraySerializer.Instance);

        await store.DeadLetters!.WriteAsync(
            [new DeadLetter<long>(1L, WriteOperation.Upsert, [1], Records.BaseVersion, "refused", "23514", StoreErrorKind.Permanent, DateTimeOffset.UtcNow)],
            CancellationToken.None);

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{schema}\".dl"));
    }

    [Fact]
    public async Task EnsureTableAsync_ExistingTableWithByteaValueAndJsonSerializer_ThrowsNamingTheColumn()
    {
        var table = PostgresFixture.NewTableName("ensure_mismatch");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (key bigint PRIMARY KEY, value bytea NOT NULL, version bigint NOT NULL, updated_at timestamptz NOT NULL)");
        await using var store = new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table }, new JsonValueSerializer<PlayerScore>());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.EnsureTableAsync());

        Assert.Equal(
            $"The table public.{table} exists but does not match this store: column value is bytea, but this store writes jsonb. " +
            "Use another Table, or migrate or drop this one (a JSON serializer needs jsonb, a binary one bytea).",
            error.Message);
    }

    [Fact]
    public async Task WriteBatchAsync_CreateTableIfMissing_CreatesTableBeforeFirstWrite()
    {
        var table = PostgresFixture.NewTableName("lazy");
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table, CreateTableIfMissing = true }, ByteArraySerializer.Instance);

        await store.WriteBatchAsync([Records.Upsert(7L, [7], Records.BaseVersion)], CancellationToken.None);

        Assert.Equal(1L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{table}\""));
    }

    [Fact]
    public async Task WriteBatchAsync_TableMissingAndNotCreated_ThrowsUndefinedTableClassifiedConfiguration()
    {
        var table = PostgresFixture.NewTableName("missing");
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = table }, ByteArraySerializer.Instance);

        var error = await Assert.ThrowsAsync<PostgresException>(
            async () => await store.WriteBatchAsync([Records.Upsert(1L, [1], Records.BaseVersion)], CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.Equal(StoreErrorKind.Configuration, store.Classify(error));
        Assert.Equal("42P01", store.GetErrorCode(error));
    }
}
