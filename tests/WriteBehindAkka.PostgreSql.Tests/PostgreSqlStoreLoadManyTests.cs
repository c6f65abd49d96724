using NpgsqlTypes;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

/// <summary><c>LoadManyAsync</c> answers each key as <c>LoadAsync</c> answers it, whatever the table looks like.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlStoreLoadManyTests(PostgresFixture db)
{
    private readonly JsonValueSerializer<PlayerScore> _serializer = new();

    private PostgreSqlStore<TKey, PlayerScore> Store<TKey>(PostgreSqlTableMapping<TKey, PlayerScore> mapping)
        where TKey : notnull =>
        new(new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString }, _serializer, mapping);

    private async Task AssertSameAsOneKeyLoadsAsync<TKey>(PostgreSqlStore<TKey, PlayerScore> store, IReadOnlyList<TKey> keys)
        where TKey : notnull
    {
        var many = await store.LoadManyAsync(keys, CancellationToken.None);
        Assert.Equal(keys.Count, many.Count);
        for (int i = 0; i < keys.Count; i++)
        {
            var one = await store.LoadAsync(keys[i], CancellationToken.None);
            Assert.Equal(
                one is null ? "(none)" : $"{_serializer.Deserialize(one.Value)} @{one.Version}",
                many[i] is null ? "(none)" : $"{_serializer.Deserialize(many[i]!.Value)} @{many[i]!.Version}");
        }
    }

    [Fact]
    public async Task LoadManyAsync_CustomTableWithColumnsNamedIAndK_FromRowReadsTheTablesColumns()
    {
        var table = PostgresFixture.NewTableName("scores_ik");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, i int, k int, updated_at timestamptz)");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES (1, 10, 100, now()), (2, 20, 200, now())");
        await using var store = Store(new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(table).Key("player_id").Column("i", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(row.GetInt64(row.GetOrdinal("player_id")), row.GetInt32(row.GetOrdinal("i")) + row.GetInt32(row.GetOrdinal("k")))));

        await AssertSameAsOneKeyLoadsAsync(store, [2L, 3L, 1L]);
    }

    [Fact]
    public async Task LoadManyAsync_ColumnNamedUpperCaseI_FromRowReadingItInLowerCase_ReadsTheColumn()
    {
        var table = PostgresFixture.NewTableName("scores_upper");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, \"I\" int, updated_at timestamptz)");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES (1, 10, now()), (2, 20, now())");
        await using var store = Store(new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(table).Key("player_id").Column("I", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(row.GetInt64(row.GetOrdinal("player_id")), row.GetInt32(row.GetOrdinal("i")))));

        await AssertSameAsOneKeyLoadsAsync(store, [2L, 3L, 1L]);
    }

    [Fact]
    public async Task LoadManyAsync_FromRowReadingEveryColumn_SeesTheTablesColumnsOnly()
    {
        var table = PostgresFixture.NewTableName("scores_all");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int, updated_at timestamptz)");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES (1, 10, now()), (2, 20, now())");
        await using var store = Store(new PostgreSqlTableMapping<long, PlayerScore>()
            .Table(table).Key("player_id").Column("score", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at")
            .FromRow(row =>
            {
                // A generic reader: every column of the row, by name.
                var values = Enumerable.Range(0, row.FieldCount).ToDictionary(row.GetName, row.GetValue);
                Assert.Equal(3, values.Count);
                return new PlayerScore((long)values["player_id"], (int)values["score"]);
            }));

        await AssertSameAsOneKeyLoadsAsync(store, [2L, 1L]);
    }

    [Fact]
    public async Task LoadManyAsync_IntKeysAgainstABigintColumn_MatchAsTheOneKeyLoad()
    {
        var table = PostgresFixture.NewTableName("scores_int");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (player_id bigint PRIMARY KEY, score int, updated_at timestamptz)");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES (1, 10, now()), (2147483647, 20, now()), (-5, 30, now())");
        await using var store = Store(new PostgreSqlTableMapping<int, PlayerScore>()
            .Table(table).Key("player_id").Column("score", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(row.GetInt64(row.GetOrdinal("player_id")), row.GetInt32(row.GetOrdinal("score")))));

        await AssertSameAsOneKeyLoadsAsync(store, [int.MaxValue, 7, -5, 1]);
    }

    [Theory]
    [InlineData("char(8)")]
    [InlineData("varchar(8)")]
    [InlineData("text COLLATE \"C\"")]
    [InlineData("text COLLATE \"und-x-icu\"")]
    public async Task LoadManyAsync_TextKeyColumns_CaseTrailingSpacesAndUnicodeMatchAsTheOneKeyLoad(string keyType)
    {
        var table = PostgresFixture.NewTableName("scores_text");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (name {keyType} PRIMARY KEY, score int, updated_at timestamptz)");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES ('abc', 1, now()), ('ABC', 2, now()), ('x  ', 3, now()), ('é', 4, now()), ('e' || chr(769), 5, now())");
        await using var store = Store(new PostgreSqlTableMapping<string, PlayerScore>()
            .Table(table).Key("name").Column("score", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(0, row.GetInt32(row.GetOrdinal("score")))));

        await AssertSameAsOneKeyLoadsAsync(store, ["abc", "ABC", "Abc", "x", "x  ", "x ", "é", "e\u0301", "abc "]);
    }

    [Fact]
    public async Task LoadManyAsync_NondeterministicCollation_MatchesAsTheOneKeyLoad()
    {
        await db.ExecuteAsync("CREATE COLLATION IF NOT EXISTS wb_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
        var table = PostgresFixture.NewTableName("scores_ci");
        await db.ExecuteAsync($"CREATE TABLE \"{table}\" (name text COLLATE wb_ci PRIMARY KEY, score int, updated_at timestamptz)");
        await db.ExecuteAsync($"INSERT INTO \"{table}\" VALUES ('abc', 1, now()), ('x', 3, now())");
        await using var store = Store(new PostgreSqlTableMapping<string, PlayerScore>()
            .Table(table).Key("name").Column("score", p => p.Score, NpgsqlDbType.Integer).UpdatedAtColumn("updated_at")
            .FromRow(row => new PlayerScore(0, row.GetInt32(row.GetOrdinal("score")))));

        await AssertSameAsOneKeyLoadsAsync(store, ["abc", "ABC", "Abc", "X", "y"]);
    }

    [Fact]
    public async Task LoadManyAsync_FiftyThousandKeys_EachRowInItsKeysPlace()
    {
        var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = PostgresFixture.NewTableName("kv_big") },
            ByteArraySerializer.Instance);
        await using var _ = store;
        await store.EnsureTableAsync();
        await store.WriteBatchAsync([.. Enumerable.Range(0, 30_000).Select(i => Records.Upsert((long)i * 2, BitConverter.GetBytes(i), Records.BaseVersion + 1))], CancellationToken.None);

        var keys = Enumerable.Range(0, 50_000).Select(i => (long)(50_000 - i)).ToArray();
        var rows = await store.LoadManyAsync(keys, CancellationToken.None);

        for (int i = 0; i < keys.Length; i++)
        {
            long key = keys[i];
            if (key % 2 == 0 && key < 60_000)
            {
                Assert.Equal((int)(key / 2), BitConverter.ToInt32(rows[i]!.Value));
            }
            else
            {
                Assert.Null(rows[i]);
            }
        }
    }
}
