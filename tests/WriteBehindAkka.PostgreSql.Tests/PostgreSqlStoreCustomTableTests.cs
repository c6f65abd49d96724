using Npgsql;
using NpgsqlTypes;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

/// <summary>A user's own table, <c>player_scores(player_id bigint primary key, score int, updated_at timestamptz)</c>.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlStoreCustomTableTests(PostgresFixture db)
{
    private const long V1 = Records.BaseVersion + 1;
    private const long V2 = Records.BaseVersion + 2;
    private const long V3 = Records.BaseVersion + 3;

    private readonly JsonValueSerializer<PlayerScore> _serializer = new();

    public static TheoryData<PostgreSqlBatchForm> Forms => [PostgreSqlBatchForm.Unnest, PostgreSqlBatchForm.Copy];

    private async Task<string> CreatePlayerScoresAsync(string extraColumns = "")
    {
        var table = PostgresFixture.NewTableName("player_scores");
        await db.ExecuteAsync(
            $"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int CHECK (score >= 0), updated_at timestamptz{extraColumns})");
        return table;
    }

    private static PostgreSqlTableMapping<long, PlayerScore> Mapping(string table) =>
        new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(table)
            .Key("player_id")
            .Column("score", p => p.Score, NpgsqlDbType.Integer)
            .UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(row.GetInt64(row.GetOrdinal("player_id")), row.GetInt32(row.GetOrdinal("score"))));

    private PostgreSqlStore<long, PlayerScore> Store(PostgreSqlTableMapping<long, PlayerScore> mapping, PostgreSqlBatchForm form = PostgreSqlBatchForm.Unnest) =>
        new(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, BatchForm = form }, _serializer, mapping);

    private WriteRecord<long> Score(long player, int score, long version) =>
        Records.Upsert(player, _serializer.Serialize(new PlayerScore(player, score)), version);

    private async Task<Dictionary<long, (int? Score, DateTime? UpdatedAt)>> RowsAsync(string table)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT player_id, score, updated_at FROM \"{table}\"");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<long, (int?, DateTime?)>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetInt64(0)] = (reader.IsDBNull(1) ? null : reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetDateTime(2));
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_PlayerScoresGuardedByUpdatedAt_KeepsNewestAndLoadsThroughFromRow(PostgreSqlBatchForm form)
    {
        var table = await CreatePlayerScoresAsync();
        await using var store = Store(Mapping(table), form);

        await store.WriteBatchAsync([Score(1, 10, V1), Score(2, 20, V1), Score(3, 30, V1)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 11, V2), Records.Delete(2L, V2), Records.Delete(3L, V1 - 1)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 9, V1)], CancellationToken.None); // older: ignored

        var rows = await RowsAsync(table);
        Assert.Equal([1L, 3L], rows.Keys.Order());
        Assert.Equal((11, Versioning.ToTimestamp(V2).UtcDateTime), rows[1L]);
        Assert.Equal((30, Versioning.ToTimestamp(V1).UtcDateTime), rows[3L]);

        var loaded = await store.LoadAsync(1L, CancellationToken.None);
        Assert.NotNull(loaded);
        Assert.Equal(new PlayerScore(1, 11), _serializer.Deserialize(loaded.Value));
        Assert.Equal(V2, loaded.Version);
        Assert.Null(await store.LoadAsync(2L, CancellationToken.None));

        // Many keys in one query: the same rows, through the same FromRow and guard.
        var many = await store.LoadManyAsync([3L, 2L, 1L], CancellationToken.None);
        Assert.Equal(new PlayerScore(3, 30), _serializer.Deserialize(many[0]!.Value));
        Assert.Null(many[1]);
        Assert.Equal((new PlayerScore(1, 11), V2), (_serializer.Deserialize(many[2]!.Value), many[2]!.Version));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_VersionColumnMapped_GuardsOnVersion(PostgreSqlBatchForm form)
    {
        var table = await CreatePlayerScoresAsync(", version bigint");
        await using var store = Store(Mapping(table).VersionColumn("version"), form);

        await store.WriteBatchAsync([Score(1, 10, V2), Score(2, 20, V2)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 5, V1), Records.Delete(2L, V1), Score(3, 30, V3)], CancellationToken.None);

        Assert.Equal(V2, await db.ScalarAsync<long>($"SELECT version FROM \"{table}\" WHERE player_id = 1"));
        Assert.Equal([(1L, 10), (2L, 20), (3L, 30)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)).Order());
        Assert.Equal(V2, (await store.LoadAsync(1L, CancellationToken.None))!.Version);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_StoredGuardIsNull_RowCountsAsOlder(PostgreSqlBatchForm form)
    {
        var table = await CreatePlayerScoresAsync();
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES (1, 1, NULL), (2, 2, NULL)");
        await using var store = Store(Mapping(table), form);

        await store.WriteBatchAsync([Score(1, 100, V1), Records.Delete(2L, V1)], CancellationToken.None);

        Assert.Equal([(1L, 100)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_NoGuardMapped_AppliesOlderWrites(PostgreSqlBatchForm form)
    {
        var table = PostgresFixture.NewTableName("noguard");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int)");
        var mapping = new PostgreSqlTableMapping<long, PlayerScore>().Table(table).Key("player_id").Column("score", p => p.Score, NpgsqlDbType.Integer);
        await using var store = Store(mapping, form);

        await store.WriteBatchAsync([Score(1, 10, V2), Score(2, 20, V2)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 5, V1), Records.Delete(2L, V1)], CancellationToken.None);

        Assert.Equal([(1L, 5)], (await ScoresWithoutGuardAsync(table)).Order());
    }

    private async Task<List<(long, int)>> ScoresWithoutGuardAsync(string table)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT player_id, score FROM \"{table}\"");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(long, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt32(1)));
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_OneRecordViolatesCheck_WritesNothingAndIsPermanent(PostgreSqlBatchForm form)
    {
        var table = await CreatePlayerScoresAsync();
        await using var store = Store(Mapping(table), form);
        await store.WriteBatchAsync([Score(1, 10, V1), Score(2, 20, V1)], CancellationToken.None);

        var error = await Assert.ThrowsAsync<PostgresException>(async () => await store.WriteBatchAsync(
            [Score(1, 11, V2), Records.Delete(2L, V2), Score(3, 30, V2), Score(4, -1, V2)],
            CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.Equal(StoreErrorKind.Permanent, store.Classify(error));
        Assert.Equal([(1L, 10), (2L, 20)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)).Order());
    }

    [Fact]
    public async Task WriteBatchAsync_CopyIntoColumnOfAnotherType_FailsAsConfigurationNamingTheColumnUntilItIsMigrated()
    {
        var table = PostgresFixture.NewTableName("wrongtype");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score bigint, updated_at timestamptz)");
        await using var store = Store(Mapping(table), PostgreSqlBatchForm.Copy);

        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));

        Assert.Equal(StoreErrorKind.Configuration, store.Classify(error));
        Assert.Equal(
            $"The table public.{table} does not match what the COPY batch form sends: column score is bigint, but this store sends integer. " +
            "Binary COPY does no conversion: give each mapped column the NpgsqlDbType of its column, change the column, or use BatchForm Unnest, which converts.",
            error.Message);
        Assert.Empty(await RowsAsync(table));

        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN score TYPE int");
        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);
        Assert.Equal([(1L, 10)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)));
    }

    public static TheoryData<PostgreSqlBatchForm, string, bool, string> GuardColumnsThatLoseOrder => new()
    {
        // Two writes 0.5 ms apart round to one millisecond: the newer is "not newer" and silently not applied.
        { PostgreSqlBatchForm.Unnest, "updated_at timestamptz(3)", false, "the updated-at column updated_at is timestamp(3) with time zone, which rounds versions" },
        { PostgreSqlBatchForm.Copy, "updated_at timestamptz(3)", false, "the updated-at column updated_at is timestamp(3) with time zone, which rounds versions" },
        { PostgreSqlBatchForm.Unnest, "updated_at timestamp", false, "the updated-at column updated_at is timestamp without time zone: a version converted into it takes the session's time zone" },
        { PostgreSqlBatchForm.Copy, "updated_at timestamp", false, "the updated-at column updated_at is timestamp without time zone: a version converted into it takes the session's time zone" },
        { PostgreSqlBatchForm.Unnest, "updated_at {domain}", false, "the updated-at column updated_at is " },
        // A 1.7e15 version overflows an integer (22003): every write would be dead-lettered as refused data.
        { PostgreSqlBatchForm.Unnest, "updated_at timestamptz, version integer", true, "the version column version is integer, but versions are microsecond timestamps" },
        { PostgreSqlBatchForm.Copy, "updated_at timestamptz, version integer", true, "the version column version is integer, but versions are microsecond timestamps" },
        { PostgreSqlBatchForm.Unnest, "updated_at timestamptz, version numeric(12,0)", true, "the version column version is numeric(12,0), but versions are microsecond timestamps" },
    };

    [Theory]
    [MemberData(nameof(GuardColumnsThatLoseOrder))]
    public async Task WriteBatchAsync_GuardColumnCannotHoldVersionsExactly_FailsAsConfigurationUntilMigrated(PostgreSqlBatchForm form, string guardColumns, bool versionColumn, string expected)
    {
        var table = PostgresFixture.NewTableName("guard");
        var domain = table + "_ms";
        await db.ExecuteAsync($"CREATE DOMAIN \"{domain}\" AS timestamptz(3)");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int, {guardColumns.Replace("{domain}", $"\"{domain}\"", StringComparison.Ordinal)})");
        var mapping = versionColumn ? Mapping(table).VersionColumn("version") : Mapping(table);
        await using var store = Store(mapping, form);
        var later = V1 + 500; // 0.5 ms after V1

        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));

        Assert.Equal(StoreErrorKind.Configuration, store.Classify(error));
        Assert.StartsWith($"The table public.{table} cannot guard against older writes: {expected}", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("Change the column, or map another one (a bigint VersionColumn guards exactly).", error.Message, StringComparison.Ordinal);
        Assert.Empty(await RowsAsync(table));

        // Migrated, the same store checks again and keeps the order of writes 0.5 ms apart.
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN {(versionColumn ? "version TYPE bigint" : "updated_at TYPE timestamptz(6)")}");
        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 20, later)], CancellationToken.None);
        Assert.Equal([(1L, 20)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_GuardColumnMissingThenAddedThatCannotHoldVersions_FailsAsConfiguration(PostgreSqlBatchForm form)
    {
        // The application starts before the migration that adds the guard column: the first batch fails for the
        // missing column (42703). The column then appears as timestamptz(3), which would drop the newer of two
        // writes within one millisecond: the store checks it then, as it does for a table that appears later.
        var table = PostgresFixture.NewTableName("guard_late");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int)");
        await using var store = Store(Mapping(table), form);
        var missing = await Assert.ThrowsAsync<PostgresException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));
        Assert.Equal("42703", missing.SqlState);

        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ADD COLUMN updated_at timestamptz(3)");
        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));

        Assert.StartsWith($"The table public.{table} cannot guard against older writes: the updated-at column updated_at is timestamp(3) with time zone", error.Message, StringComparison.Ordinal);
        Assert.Empty(await RowsAsync(table));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_NotNullColumnUnmapped_FailsAsConfigurationNamingItUntilItHasADefault(PostgreSqlBatchForm form)
    {
        // The README's table with one more column: every insert failed with 23502, a refused row, and every record
        // was dead-lettered one by one while the cache reported itself healthy.
        var table = PostgresFixture.NewTableName("unmapped");
        var domain = table + "_code";
        await db.ExecuteAsync($"CREATE DOMAIN \"{domain}\" AS text NOT NULL");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int, region text NOT NULL, code \"{domain}\", updated_at timestamptz)");
        await using var store = Store(Mapping(table), form);

        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));

        Assert.Equal(StoreErrorKind.Configuration, store.Classify(error));
        Assert.Equal(
            $"The table public.{table} has NOT NULL columns without a default that this store does not write: region, code. " +
            "Every insert would be refused (23502) and every record dead-lettered: map them (mapping.Column(...)), " +
            "or give them a default (ALTER TABLE ... ALTER COLUMN ... SET DEFAULT ...) or drop NOT NULL.",
            error.Message);
        Assert.Empty(await RowsAsync(table));

        // Given defaults (the domain's own for code), the same store checks again and writes.
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN region SET DEFAULT 'eu'");
        await db.ExecuteAsync($"ALTER DOMAIN \"{domain}\" SET DEFAULT 'x'");
        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);
        Assert.Equal("eu/x", await db.ScalarAsync<string>($"SELECT region || '/' || code FROM \"{table}\" WHERE player_id = 1"));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_NotNullColumnsThePostgreSqlFills_AreNotRequired(PostgreSqlBatchForm form)
    {
        var table = PostgresFixture.NewTableName("filled");
        await db.ExecuteAsync(
            $"CREATE TABLE \"{table}\" (id bigint GENERATED ALWAYS AS IDENTITY, player_id bigint PRIMARY KEY, score int NOT NULL, " +
            "created_at timestamptz NOT NULL DEFAULT now(), doubled int NOT NULL GENERATED ALWAYS AS (score * 2) STORED, updated_at timestamptz NOT NULL)");
        await using var store = Store(Mapping(table), form);

        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);

        Assert.Equal(20, await db.ScalarAsync<int>($"SELECT doubled FROM \"{table}\" WHERE player_id = 1"));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_NotNullColumnFilledByABeforeInsertTrigger_IsNotRequired(PostgreSqlBatchForm form)
    {
        // NOT NULL is checked after BEFORE triggers: an audit or tenant trigger may fill the column the mapping leaves out.
        var table = await CreatePlayerScoresAsync(", tenant text NOT NULL");
        await db.ExecuteAsync(
            $"CREATE FUNCTION \"{table}_tenant\"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.tenant := 'acme'; RETURN NEW; END $$; " +
            $"CREATE TRIGGER fill_tenant BEFORE INSERT ON \"{table}\" FOR EACH ROW EXECUTE FUNCTION \"{table}_tenant\"()");
        await using var store = Store(Mapping(table), form);

        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);

        Assert.Equal("acme", await db.ScalarAsync<string>($"SELECT tenant FROM \"{table}\" WHERE player_id = 1"));
    }

    [Fact]
    public async Task LoadAsync_TableWithAnUnmappedNotNullColumn_StillReads()
    {
        // The insert check is for writes: a read of an existing row needs none of it.
        var table = await CreatePlayerScoresAsync(", region text NOT NULL");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" (player_id, score, updated_at, region) VALUES (1, 10, now(), 'eu')");
        await using var store = Store(Mapping(table));

        var loaded = await store.LoadAsync(1L, CancellationToken.None);

        Assert.NotNull(loaded);
        await Assert.ThrowsAsync<PostgreSqlConfigurationException>(() => store.WriteBatchAsync([Score(2, 20, V1)], CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task LoadAsync_CopyFormOverAColumnCopyCannotWriteInto_StillReads()
    {
        // The COPY types check is for writes: a read (SELECT *, which converts) of a started store went on, and so
        // must the first read of a store started over such a table (it threw the writes' configuration error).
        var table = await CreatePlayerScoresAsync();
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN score TYPE bigint");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" (player_id, score, updated_at) VALUES (1, 10, now())");
        await using var store = Store(Mapping(table), PostgreSqlBatchForm.Copy);

        var loaded = await store.LoadAsync(1L, CancellationToken.None);

        Assert.Equal(new PlayerScore(1, 10), _serializer.Deserialize(loaded!.Value));
        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(() => store.WriteBatchAsync([Score(2, 20, V1)], CancellationToken.None).AsTask());
        Assert.Contains("column score is bigint, but this store sends integer", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("numeric")]
    [InlineData("numeric(20,0)")]
    [InlineData("numeric(18,2)")]
    public async Task WriteBatchAsync_NumericVersionColumn_IsExactAndAccepted(string type)
    {
        var table = await CreatePlayerScoresAsync(", version " + type);
        await using var store = Store(Mapping(table).VersionColumn("version"), PostgreSqlBatchForm.Unnest);

        await store.WriteBatchAsync([Score(1, 10, V2)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 5, V1)], CancellationToken.None);

        Assert.Equal([(1L, 10)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)));
    }

    [Theory]
    [InlineData("bigint")] // an integer sent into it is cut short: 08P01, retried for ever as a connection fault
    [InlineData("smallint")] // too long for it: 22P03, dead-lettered as a refused row
    public async Task WriteBatchAsync_CopyColumnTypeChangedWhileRunning_FailsAsConfigurationNamingTheColumn(string newType)
    {
        var table = await CreatePlayerScoresAsync();
        await using var store = Store(Mapping(table), PostgreSqlBatchForm.Copy);
        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);

        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN score TYPE {newType}");
        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(async () => await store.WriteBatchAsync([Score(2, 20, V2)], CancellationToken.None));

        Assert.Equal(StoreErrorKind.Configuration, store.Classify(error));
        Assert.Contains($"column score is {newType}, but this store sends integer", error.Message, StringComparison.Ordinal);
        Assert.Equal(newType == "bigint" ? "08P01" : "22P03", store.GetErrorCode(error)); // the server's word, for the health report
        Assert.NotNull(await store.LoadAsync(1L, CancellationToken.None)); // reads, which convert, go on
        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN score TYPE int");
        await store.WriteBatchAsync([Score(2, 20, V2)], CancellationToken.None);
        Assert.Equal([(1L, 10), (2L, 20)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)).Order());
    }

    [Fact]
    public async Task WriteBatchAsync_CopyWithoutSessionReset_ColumnWidenedWhileRunning_TakesTheWiderValues()
    {
        // With No Reset On Close the session's staging table outlives batches. It was made as a copy of the table's
        // columns, typmods included: after ALTER COLUMN ... TYPE varchar(20) a 10-character name was refused by the
        // staging table's varchar(5) (22001, dead-lettered), and after numeric(8,2) became numeric(8,4) a value was
        // silently rounded to 2 places on its way through it.
        var table = await CreatePlayerScoresAsync(", name varchar(5), amount numeric(8,2)");
        var mapping = Mapping(table)
            .Column("name", p => new string('n', p.Score), NpgsqlDbType.Text)
            .Column("amount", p => p.Score / 10000m, NpgsqlDbType.Numeric);
        var connection = new NpgsqlConnectionStringBuilder(db.ConnectionString) { NoResetOnClose = true, MaxPoolSize = 1 }.ConnectionString;
        await using var store = new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { ConnectionString = connection, BatchForm = PostgreSqlBatchForm.Copy }, _serializer, mapping);
        await store.WriteBatchAsync([Score(1, 5, V1)], CancellationToken.None);

        await db.ExecuteAsync($"ALTER TABLE \"{table}\" ALTER COLUMN name TYPE varchar(20), ALTER COLUMN amount TYPE numeric(8,4)");
        await store.WriteBatchAsync([Score(2, 10, V1)], CancellationToken.None);

        Assert.Equal("nnnnnnnnnn", await db.ScalarAsync<string>($"SELECT name FROM \"{table}\" WHERE player_id = 2"));
        Assert.Equal(0.0010m, await db.ScalarAsync<decimal>($"SELECT amount FROM \"{table}\" WHERE player_id = 2"));

        // The table's own typmods still apply, at the merge: a name too long for it is a refused row.
        var tooLong = await Assert.ThrowsAsync<PostgresException>(async () => await store.WriteBatchAsync([Score(3, 21, V1)], CancellationToken.None));
        Assert.Equal(("22001", StoreErrorKind.Permanent), (tooLong.SqlState, store.Classify(tooLong)));
    }

    [Fact]
    public async Task WriteBatchAsync_CopyTableCreatedAfterTheFirstBatch_IsCheckedWhenItAppears()
    {
        // The application starts before the migration: the first batch fails for the missing table; the table
        // then appears with a column COPY cannot write, and the next batch names it instead of failing as 08P01.
        var table = PostgresFixture.NewTableName("latecomer");
        await using var store = Store(Mapping(table), PostgreSqlBatchForm.Copy);
        var missing = await Assert.ThrowsAsync<PostgresException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));
        Assert.Equal("42P01", missing.SqlState);

        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score bigint, updated_at timestamptz)");
        var error = await Assert.ThrowsAsync<PostgreSqlConfigurationException>(async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));

        Assert.Contains("column score is bigint, but this store sends integer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteBatchAsync_CopyIntoBinaryCoercibleColumnsAndDomains_Writes()
    {
        var table = PostgresFixture.NewTableName("coercible");
        var domain = table + "_score";
        var enumType = table + "_tier";
        await db.ExecuteAsync($"CREATE DOMAIN \"{domain}_base\" AS int CHECK (VALUE >= 0)");
        await db.ExecuteAsync($"CREATE DOMAIN \"{domain}\" AS \"{domain}_base\" CHECK (VALUE < 1000000)"); // a domain over a domain
        await db.ExecuteAsync($"CREATE TYPE \"{enumType}\" AS ENUM ('bronze', 'gold')");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score \"{domain}\", name varchar(20), tier \"{enumType}\", updated_at timestamptz)");
        var mapping = Mapping(table)
            .Column("name", p => "p" + p.PlayerId, NpgsqlDbType.Text)
            .Column("tier", p => p.Score >= 10 ? "gold" : "bronze", NpgsqlDbType.Text);
        await using var store = Store(mapping, PostgreSqlBatchForm.Copy);

        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);

        Assert.Equal("p1", await db.ScalarAsync<string>($"SELECT name FROM \"{table}\" WHERE player_id = 1"));
        Assert.Equal("gold", await db.ScalarAsync<string>($"SELECT tier::text FROM \"{table}\" WHERE player_id = 1"));
        Assert.Equal([(1L, 10)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_DeleteFromATableWithANotNullDomainColumn_IsApplied(PostgreSqlBatchForm form)
    {
        // A staged delete carried NULL in every mapped column, which a NOT NULL domain refuses even in the staging
        // table (23502, a refused row): the delete was dead-lettered and the row stayed.
        var table = PostgresFixture.NewTableName("strict");
        var domain = table + "_score";
        await db.ExecuteAsync($"CREATE DOMAIN \"{domain}\" AS int NOT NULL CHECK (VALUE >= 0)");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score \"{domain}\", updated_at timestamptz)");
        await using var store = Store(Mapping(table), form);
        await store.WriteBatchAsync([Score(1, 10, V1), Score(2, 20, V1)], CancellationToken.None);

        await store.WriteBatchAsync([Records.Delete(1L, V2), Score(3, 30, V2)], CancellationToken.None);
        await store.WriteBatchAsync([Records.Delete(2L, V2)], CancellationToken.None);

        Assert.Equal([(3L, 30)], (await RowsAsync(table)).Select(r => (r.Key, r.Value.Score ?? -1)));
    }

    [Fact]
    public void Constructor_ArrayColumnWithTheUnnestForm_ThrowsNamingTheColumnAndTheCopyForm()
    {
        // The unnest form sends each column as one array of the batch's values: an array column would be an array
        // of arrays, which Npgsql cannot send as one (and unnest would flatten). Every record failed on its own as
        // a refused row and was dead-lettered.
        var mapping = Mapping("t").Column("tags", p => new[] { "p" + p.PlayerId }, NpgsqlDbType.Array | NpgsqlDbType.Text);

        var error = Assert.Throws<ArgumentException>(() => Store(mapping, PostgreSqlBatchForm.Unnest));

        Assert.Contains(
            "- In the mapping: the column 'tags' is an array (Array | Text), which the Unnest batch form cannot send " +
            "(it sends each column as one array of the batch's values): use BatchForm = PostgreSqlBatchForm.Copy.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteBatchAsync_ArrayColumnWithTheCopyForm_WritesAndLoadsIt()
    {
        var table = await CreatePlayerScoresAsync(", tags text[]");
        var mapping = Mapping(table).Column("tags", p => p.Score == 0 ? null : new[] { "p" + p.PlayerId, "s" + p.Score }, NpgsqlDbType.Array | NpgsqlDbType.Text);
        await using var store = Store(mapping, PostgreSqlBatchForm.Copy);

        await store.WriteBatchAsync([Score(1, 10, V1), Score(2, 0, V1)], CancellationToken.None);
        await store.WriteBatchAsync([Score(1, 11, V2), Records.Delete(2L, V2)], CancellationToken.None);

        Assert.Equal("1:{p1,s11}", await db.ScalarAsync<string>($"SELECT string_agg(player_id || ':' || coalesce(tags::text, 'null'), ',') FROM \"{table}\""));
    }

    [Fact]
    public async Task WriteBatchAsync_UnnestIntoWiderColumn_ConvertsAndWrites()
    {
        var table = PostgresFixture.NewTableName("wider");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score bigint, updated_at timestamptz)");
        await using var store = Store(Mapping(table), PostgreSqlBatchForm.Unnest);

        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);

        Assert.Equal(10L, await db.ScalarAsync<long>($"SELECT score FROM \"{table}\" WHERE player_id = 1"));
    }

    [Fact]
    public async Task WriteBatchAsync_GetterThrows_ThrowsMappingExceptionClassifiedPermanent()
    {
        var table = await CreatePlayerScoresAsync();
        var mapping = Mapping(table).Column("bonus", p => p.Score > 5 ? throw new ArgumentOutOfRangeException(nameof(p), "too high") : 0, NpgsqlDbType.Integer);
        await using var store = Store(mapping);

        var error = await Assert.ThrowsAsync<PostgreSqlMappingException>(
            async () => await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None));

        Assert.StartsWith($"The getter of column 'bonus' of public.{table} threw for key '1' (version {V1}): too high", error.Message, StringComparison.Ordinal);
        Assert.IsType<ArgumentOutOfRangeException>(error.InnerException);
        Assert.Equal(StoreErrorKind.Permanent, store.Classify(error));
    }

    [Fact]
    public async Task WriteBatchAsync_BytesTheSerializerCannotRead_ThrowsMappingExceptionClassifiedPermanent()
    {
        var table = await CreatePlayerScoresAsync();
        await using var store = Store(Mapping(table));

        var error = await Assert.ThrowsAsync<PostgreSqlMappingException>(
            async () => await store.WriteBatchAsync([Records.UpsertJson(1L, "{broken", V1)], CancellationToken.None));

        Assert.StartsWith($"The value of key '1' (version {V1}) could not be deserialized to write it to public.{table}:", error.Message, StringComparison.Ordinal);
        Assert.Equal(StoreErrorKind.Permanent, store.Classify(error));
        Assert.Empty(await RowsAsync(table));
    }

    [Fact]
    public async Task LoadVersionAsync_CustomTableWithoutFromRow_ReadsTheGuardColumnAlone()
    {
        var table = await CreatePlayerScoresAsync();
        var mapping = new PostgreSqlTableMapping<long, PlayerScore>().Table(table).Key("player_id").Column("score", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at");
        await using var store = Store(mapping);
        await store.WriteBatchAsync([Score(1, 10, V2)], CancellationToken.None);
        await db.ExecuteAsync($"INSERT INTO \"{table}\" (player_id, score) VALUES (2, 20)");

        Assert.Equal(
            ((long?)V2, (long?)0, (long?)null),
            (await store.LoadVersionAsync(1L, CancellationToken.None), await store.LoadVersionAsync(2L, CancellationToken.None), await store.LoadVersionAsync(3L, CancellationToken.None)));
    }

    [Fact]
    public async Task LoadAsync_CustomTableWithoutFromRow_ThrowsTellingToCallFromRow()
    {
        var table = await CreatePlayerScoresAsync();
        var mapping = new PostgreSqlTableMapping<long, PlayerScore>().Table(table).Key("player_id").Column("score", p => p.Score, NpgsqlDbType.Integer);
        await using var store = Store(mapping);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.LoadAsync(1L, CancellationToken.None));

        Assert.StartsWith($"Read-through from public.{table} needs to know how to build a PlayerScore from a row: call mapping.FromRow(", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureTableAsync_CustomTable_ThrowsTellingToUseMigrations()
    {
        var table = await CreatePlayerScoresAsync();
        await using var store = Store(Mapping(table));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.EnsureTableAsync());

        Assert.Equal(
            $"EnsureTableAsync creates the default key/value table only, but this store writes the custom table public.{table}: create that table with your own migrations.",
            error.Message);
    }

    [Fact]
    public async Task Constructor_MappingChangedAfterwards_KeepsTheMappingItWasGiven()
    {
        var table = await CreatePlayerScoresAsync();
        var mapping = Mapping(table);
        await using var store = Store(mapping);

        mapping.Table("elsewhere").Column("missing", _ => 1, NpgsqlDbType.Integer);
        await store.WriteBatchAsync([Score(1, 10, V1)], CancellationToken.None);

        Assert.Equal($"public.{table}", store.TableName);
        Assert.Single(await RowsAsync(table));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_TimestamptzColumnFromAnInstantWithAnOffsetOrLocalKind_StoresThatInstant(PostgreSqlBatchForm form)
    {
        // DateTimeOffset.Now away from UTC, or a DateTime that System.Text.Json read back as Local: each names one
        // instant, which timestamptz holds. Npgsql refuses both (only UTC), and every such record was dead-lettered.
        var table = PostgresFixture.NewTableName("visits");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (id bigint PRIMARY KEY, seen timestamptz, seen_local timestamptz, version bigint)");
        var serializer = new JsonValueSerializer<Visit>();
        var mapping = new PostgreSqlTableMapping<long, Visit>()
            .Table(table)
            .Key("id")
            .Column("seen", v => v.Seen, NpgsqlDbType.TimestampTz)
            .Column("seen_local", v => v.SeenLocal, NpgsqlDbType.TimestampTz)
            .VersionColumn("version");
        await using var store = new PostgreSqlStore<long, Visit>(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, BatchForm = form }, serializer, mapping);
        var seen = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(2));
        var seenLocal = new DateTime(2026, 3, 1, 8, 30, 0, DateTimeKind.Utc).ToLocalTime();

        await store.WriteBatchAsync([Records.Upsert(1L, serializer.Serialize(new Visit(1, seen, seenLocal)), V1)], CancellationToken.None);

        await using var command = db.DataSource.CreateCommand($"SELECT seen, seen_local FROM \"{table}\" WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(
            (new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc), new DateTime(2026, 3, 1, 8, 30, 0, DateTimeKind.Utc)),
            (reader.GetDateTime(0), reader.GetDateTime(1)));
    }
}

/// <summary>A value with instants, for timestamptz columns.</summary>
public sealed record Visit(long Id, DateTimeOffset Seen, DateTime SeenLocal);
