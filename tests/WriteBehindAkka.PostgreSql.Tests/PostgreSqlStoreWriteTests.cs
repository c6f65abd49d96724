using System.Text;
using System.Text.Json;
using Npgsql;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

/// <summary>The default key/value table, written in both batch forms.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlStoreWriteTests(PostgresFixture db)
{
    private const long V1 = Records.BaseVersion + 1;
    private const long V2 = Records.BaseVersion + 2;
    private const long V3 = Records.BaseVersion + 3;

    public static TheoryData<PostgreSqlBatchForm> Forms => [PostgreSqlBatchForm.Unnest, PostgreSqlBatchForm.Copy];

    private async Task<PostgreSqlStore<TKey, byte[]>> BinaryStoreAsync<TKey>(PostgreSqlBatchForm form)
        where TKey : notnull
    {
        var store = new PostgreSqlStore<TKey, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = PostgresFixture.NewTableName("kv"), BatchForm = form },
            ByteArraySerializer.Instance);
        await store.EnsureTableAsync();
        return store;
    }

    private async Task<Dictionary<long, (string Value, long Version, DateTime UpdatedAt)>> RowsAsync(PostgreSqlStore<long, byte[]> store)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT key, value, version, updated_at FROM {Quote(store.TableName)}");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<long, (string, long, DateTime)>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetInt64(0)] = (Hex(reader.GetFieldValue<byte[]>(1)), reader.GetInt64(2), reader.GetDateTime(3));
        }

        return rows;
    }

    /// <summary>Values as hex, so that tuples holding them compare by content.</summary>
    private static string Hex(params byte[] bytes) => Convert.ToHexString(bytes);

    private static string Quote(string schemaDotTable) => string.Join('.', schemaDotTable.Split('.').Select(p => $"\"{p}\""));

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_NewerUpsert_ReplacesValueVersionAndUpdatedAt(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<long>(form);

        await store.WriteBatchAsync([Records.Upsert(1L, [1], V1), Records.Upsert(2L, [2], V1)], CancellationToken.None);
        await store.WriteBatchAsync([Records.Upsert(1L, [10, 11], V2)], CancellationToken.None);

        var rows = await RowsAsync(store);
        Assert.Equal(2, rows.Count);
        Assert.Equal((Hex(10, 11), V2, Versioning.ToTimestamp(V2).UtcDateTime), rows[1L]);
        Assert.Equal((Hex(2), V1, Versioning.ToTimestamp(V1).UtcDateTime), (rows[2L].Value, rows[2L].Version, rows[2L].UpdatedAt));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_OlderUpsertReplayedAfterNewer_IsIgnored(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<long>(form);
        await store.WriteBatchAsync([Records.Upsert(1L, [2], V2)], CancellationToken.None);

        await store.WriteBatchAsync([Records.Upsert(1L, [1], V1)], CancellationToken.None);
        await store.WriteBatchAsync([Records.Upsert(1L, [2], V2)], CancellationToken.None); // the same batch again

        var row = (await RowsAsync(store))[1L];
        Assert.Equal(Hex(2), row.Value);
        Assert.Equal(V2, row.Version);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_DeleteWithNewerVersion_RemovesRow(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<long>(form);
        await store.WriteBatchAsync([Records.Upsert(1L, [1], V1)], CancellationToken.None);

        await store.WriteBatchAsync([Records.Delete(1L, V2)], CancellationToken.None);

        Assert.Empty(await RowsAsync(store));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_DeleteWithOlderOrEqualVersion_KeepsRow(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<long>(form);
        await store.WriteBatchAsync([Records.Upsert(1L, [1], V2), Records.Upsert(2L, [2], V2)], CancellationToken.None);

        await store.WriteBatchAsync([Records.Delete(1L, V1), Records.Delete(2L, V2)], CancellationToken.None);

        Assert.Equal([1L, 2L], (await RowsAsync(store)).Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_MixedUpsertsAndDeletes_AppliesEachByItsVersion(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<long>(form);
        await store.WriteBatchAsync([Records.Upsert(1L, [1], V1), Records.Upsert(2L, [2], V1), Records.Upsert(3L, [3], V3)], CancellationToken.None);

        await store.WriteBatchAsync(
            [Records.Upsert(1L, [11], V2), Records.Delete(2L, V2), Records.Delete(3L, V2), Records.Upsert(4L, [4], V2), Records.Delete(5L, V2)],
            CancellationToken.None);

        var rows = await RowsAsync(store);
        Assert.Equal([1L, 3L, 4L], rows.Keys.Order());
        Assert.Equal((Hex(11), V2), (rows[1L].Value, rows[1L].Version));
        Assert.Equal((Hex(3), V3), (rows[3L].Value, rows[3L].Version));
        Assert.Equal((Hex(4), V2), (rows[4L].Value, rows[4L].Version));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_LargeMixedBatch_WritesEveryRow(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<long>(form);
        await store.WriteBatchAsync(Enumerable.Range(0, 5000).Select(i => Records.Upsert((long)i, BitConverter.GetBytes(i), V1)).ToList(), CancellationToken.None);

        await store.WriteBatchAsync(
            Enumerable.Range(0, 5000).Select(i => i % 2 == 0 ? Records.Delete((long)i, V2) : Records.Upsert((long)i, BitConverter.GetBytes(-i), V2)).ToList(),
            CancellationToken.None);

        var rows = await RowsAsync(store);
        Assert.Equal(2500, rows.Count);
        Assert.All(rows, r => Assert.Equal((Hex(BitConverter.GetBytes(-(int)r.Key)), V2), (r.Value.Value, r.Value.Version)));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_StringKeys_RoundTripThroughLoad(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<string>(form);

        await store.WriteBatchAsync([Records.Upsert("alpha", [1], V1), Records.Upsert("Ünïcødé 🔑", [2], V1), Records.Upsert("gone", [3], V1)], CancellationToken.None);
        await store.WriteBatchAsync([Records.Delete("gone", V2)], CancellationToken.None);

        await AssertLoadsAsync(store, "Ünïcødé 🔑", [2], V1);
        await AssertLoadsAsync(store, "alpha", [1], V1);
        Assert.Null(await store.LoadAsync("gone", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_GuidKeys_RoundTripThroughLoad(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<Guid>(form);
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());

        await store.WriteBatchAsync([Records.Upsert(a, [1], V1), Records.Upsert(b, [2], V1)], CancellationToken.None);
        await store.WriteBatchAsync([Records.Upsert(b, [3], V2)], CancellationToken.None);

        await AssertLoadsAsync(store, a, [1], V1);
        await AssertLoadsAsync(store, b, [3], V2);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_IntKeys_RoundTripThroughLoad(PostgreSqlBatchForm form)
    {
        await using var store = await BinaryStoreAsync<int>(form);

        await store.WriteBatchAsync([Records.Upsert(int.MaxValue, [1], V1), Records.Upsert(-5, [2], V1)], CancellationToken.None);

        await AssertLoadsAsync(store, int.MaxValue, [1], V1);
        await AssertLoadsAsync(store, -5, [2], V1);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_JsonValues_StoredAsJsonbAndLoadedBack(PostgreSqlBatchForm form)
    {
        var serializer = new JsonValueSerializer<PlayerScore>();
        await using var store = new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = PostgresFixture.NewTableName("json"), BatchForm = form },
            serializer);
        await store.EnsureTableAsync();

        await store.WriteBatchAsync([Records.Upsert(42L, serializer.Serialize(new PlayerScore(42, 1000)), V1)], CancellationToken.None);

        var loaded = await store.LoadAsync(42L, CancellationToken.None);
        Assert.NotNull(loaded);
        Assert.Equal(new PlayerScore(42, 1000), serializer.Deserialize(loaded.Value));
        Assert.Equal(V1, loaded.Version);
        Assert.Equal(1000, await db.ScalarAsync<int>($"SELECT (value->>'score')::int FROM \"{store.TableName.Split('.')[1]}\" WHERE key = 42"));
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_InvalidJsonInBatch_WritesNothingAndIsPermanent(PostgreSqlBatchForm form)
    {
        await using var store = new PostgreSqlStore<long, PlayerScore>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = PostgresFixture.NewTableName("badjson"), BatchForm = form },
            new JsonValueSerializer<PlayerScore>());
        await store.EnsureTableAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(async () => await store.WriteBatchAsync(
            [Records.UpsertJson(1L, """{"playerId":1,"score":1}""", V1), Records.UpsertJson(2L, "{not json", V1)],
            CancellationToken.None));

        Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, error.SqlState);
        Assert.Equal(StoreErrorKind.Permanent, store.Classify(error));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM \"{store.TableName.Split('.')[1]}\""));
    }

    [Fact]
    public async Task LoadManyAsync_ReadsEveryKeyInOneQuery_RowsInTheOrderOfTheKeys_NullForAMiss()
    {
        await using var store = await BinaryStoreAsync<long>(PostgreSqlBatchForm.Unnest);
        await store.WriteBatchAsync([Records.Upsert(1L, [1], V1), Records.Upsert(2L, [2, 2], V2), Records.Upsert(3L, [3], V3)], CancellationToken.None);

        var rows = await store.LoadManyAsync([3L, 404L, 1L], CancellationToken.None);

        Assert.Equal(3, rows.Count);
        Assert.Equal((Hex(3), V3), (Hex(rows[0]!.Value), rows[0]!.Version));
        Assert.Null(rows[1]);
        Assert.Equal((Hex(1), V1), (Hex(rows[2]!.Value), rows[2]!.Version));
    }

    [Fact]
    public async Task LoadManyAsync_TextAndGuidKeys_MatchAsTheOneKeyLoadDoes()
    {
        await using var text = await BinaryStoreAsync<string>(PostgreSqlBatchForm.Unnest);
        await text.WriteBatchAsync([Records.Upsert("a", [1], V1), Records.Upsert("Ä b", [2], V1)], CancellationToken.None);
        var byText = await text.LoadManyAsync(["Ä b", "A", "a"], CancellationToken.None);
        Assert.Equal([Hex(2), null, Hex(1)], byText.Select(row => row is null ? null : Hex(row.Value)));

        await using var guids = await BinaryStoreAsync<Guid>(PostgreSqlBatchForm.Unnest);
        var id = Guid.NewGuid();
        await guids.WriteBatchAsync([Records.Upsert(id, [9], V1)], CancellationToken.None);
        var byGuid = await guids.LoadManyAsync([Guid.NewGuid(), id], CancellationToken.None);
        Assert.Null(byGuid[0]);
        Assert.Equal(Hex(9), Hex(byGuid[1]!.Value));
    }

    [Fact]
    public async Task LoadAsync_Miss_ReturnsNull()
    {
        await using var store = await BinaryStoreAsync<long>(PostgreSqlBatchForm.Unnest);

        Assert.Null(await store.LoadAsync(12345L, CancellationToken.None));
    }

    [Fact]
    public async Task WriteBatchAsync_ConcurrentWritersOnDisjointKeys_WriteEveryRow()
    {
        await using var store = await BinaryStoreAsync<long>(PostgreSqlBatchForm.Unnest);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => store.WriteBatchAsync(
            Enumerable.Range(0, 1000).Select(i => Records.Upsert((long)((w * 1000) + i), Encoding.UTF8.GetBytes("x"), V1)).ToList(),
            CancellationToken.None).AsTask()));

        Assert.Equal(4000, (await RowsAsync(store)).Count);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public Task WriteBatchAsync_ConcurrentProcessesOnOverlappingKeys_NeverDeadlock(PostgreSqlBatchForm form) =>
        AssertNoDeadlocksAsync(form, key => (long)key);

    [Theory]
    [MemberData(nameof(Forms))]
    public Task WriteBatchAsync_ConcurrentProcessesOnOverlappingTextKeys_NeverDeadlock(PostgreSqlBatchForm form) =>
        AssertNoDeadlocksAsync(form, key => "user-" + key);

    private async Task AssertNoDeadlocksAsync<TKey>(PostgreSqlBatchForm form, Func<int, TKey> keyOf)
        where TKey : notnull
    {
        // Two replicas of a service write the same table; their batches hold overlapping keys in whatever order the
        // cache gathered them. Rows locked in two orders made PostgreSQL abort one batch of a cycle (40P01) after
        // deadlock_timeout (a second each, then a retry): about one batch in ten here. Locked in one order, none.
        await using var first = await BinaryStoreAsync<TKey>(form);
        await using var second = new PostgreSqlStore<TKey, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = db.ConnectionString, Table = first.TableName.Split('.')[1], BatchForm = form, DeadLetterTable = null },
            ByteArraySerializer.Instance);
        long version = V1;
        var deadlocks = 0;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 40; i++)
            {
                var batch = Enumerable.Range(0, 100).OrderBy(_ => random.Next()).Take(30)
                    .Select(key => Records.Upsert(keyOf(key), [1], Interlocked.Increment(ref version))).ToList();
                try
                {
                    await (writer % 2 == 0 ? first : second).WriteBatchAsync(batch, CancellationToken.None);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected)
                {
                    Interlocked.Increment(ref deadlocks);
                }
            }
        })));

        Assert.Equal(0, deadlocks);
    }

    private static async Task AssertLoadsAsync<TKey>(PostgreSqlStore<TKey, byte[]> store, TKey key, byte[] value, long version)
        where TKey : notnull
    {
        var entry = await store.LoadAsync(key, CancellationToken.None);
        Assert.NotNull(entry);
        Assert.Equal(value, entry.Value);
        Assert.Equal(version, entry.Version);
    }
}
