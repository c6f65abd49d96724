using Npgsql;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlDeadLetterStoreTests(PostgresFixture db)
{
    private static readonly DateTimeOffset Failed = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private PostgreSqlStore<TKey, byte[]> Store<TKey>(string deadLetterTable, string? table = null)
        where TKey : notnull =>
        new(new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = table ?? PostgresFixture.NewTableName("wb_src"), DeadLetterTable = deadLetterTable }, ByteArraySerializer.Instance);

    private static DeadLetter<TKey> Letter<TKey>(TKey key, long version, DateTimeOffset? failedAt = null, WriteOperation operation = WriteOperation.Upsert)
        where TKey : notnull =>
        new(key, operation, operation == WriteOperation.Delete ? null : [1, 2, 3], version, "new row violates check constraint \"c\"\0!\uD800x", "23514", StoreErrorKind.Permanent, failedAt ?? Failed);

    [Fact]
    public async Task WriteAsync_TableMissing_CreatedAndEveryFieldRoundTrips()
    {
        var deadLetterTable = PostgresFixture.NewTableName("wb_dl");
        await using var store = Store<long>(deadLetterTable);
        var letters = store.DeadLetters!;

        await letters.WriteAsync([Letter(7L, 100), Letter(8L, 200, operation: WriteOperation.Delete)], CancellationToken.None);
        var seven = await letters.GetAsync(7L, CancellationToken.None);
        var eight = await letters.GetAsync(8L, CancellationToken.None);

        Assert.Equal("public." + deadLetterTable, letters.TableName);
        Assert.Equal(store.TableName, letters.Source);
        Assert.Equal(
            (7L, WriteOperation.Upsert, 100L, "new row violates check constraint \"c\"\uFFFD!\uFFFDx", "23514", StoreErrorKind.Permanent, Failed),
            (seven!.Key, seven.Operation, seven.Version, seven.Error, seven.ErrorCode, seven.ErrorKind, seven.FailedAt));
        Assert.Equal([1, 2, 3], seven.Value);
        Assert.Equal((WriteOperation.Delete, (byte[]?)null), (eight!.Operation, eight.Value));
        Assert.Equal(2, await letters.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task WriteAsync_OlderVersion_KeepsNewerAndSameVersionReplaces()
    {
        await using var store = Store<string>(PostgresFixture.NewTableName("wb_dl"));
        var letters = store.DeadLetters!;

        await letters.WriteAsync([Letter("k", 200)], CancellationToken.None);
        await letters.WriteAsync([Letter("k", 100, Failed.AddSeconds(1))], CancellationToken.None);
        var afterOlder = await letters.GetAsync("k", CancellationToken.None);
        await letters.WriteAsync([Letter("k", 200, Failed.AddSeconds(2))], CancellationToken.None);
        var afterSame = await letters.GetAsync("k", CancellationToken.None);

        Assert.Equal((200L, Failed), (afterOlder!.Version, afterOlder.FailedAt));
        Assert.Equal((200L, Failed.AddSeconds(2)), (afterSame!.Version, afterSame.FailedAt));
    }

    [Fact]
    public async Task DeleteAsync_OnlyTheVeryLetterRead()
    {
        await using var store = Store<Guid>(PostgresFixture.NewTableName("wb_dl"));
        var letters = store.DeadLetters!;
        var key = Guid.NewGuid();
        await letters.WriteAsync([Letter(key, 1)], CancellationToken.None);
        var read = (await letters.GetAsync(key, CancellationToken.None))!;
        await letters.WriteAsync([Letter(key, 1, Failed.AddTicks(10))], CancellationToken.None);

        bool stale = await letters.DeleteAsync(read, CancellationToken.None);
        bool current = await letters.DeleteAsync((await letters.GetAsync(key, CancellationToken.None))!, CancellationToken.None);

        Assert.Equal((false, true), (stale, current));
        Assert.Null(await letters.GetAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task ListAsync_SharedTable_EachSourceSeesItsOwnLettersInFailureOrder()
    {
        var deadLetterTable = PostgresFixture.NewTableName("wb_dl");
        await using var first = Store<int>(deadLetterTable);
        await using var second = Store<int>(deadLetterTable);
        await first.DeadLetters!.WriteAsync([Letter(3, 1, Failed.AddSeconds(3)), Letter(1, 1, Failed.AddSeconds(1)), Letter(2, 1, Failed.AddSeconds(2))], CancellationToken.None);
        await second.DeadLetters!.WriteAsync([Letter(9, 1)], CancellationToken.None);

        var page1 = await first.DeadLetters.ListAsync(0, 2, CancellationToken.None);
        var page2 = await first.DeadLetters.ListAsync(2, 2, CancellationToken.None);

        Assert.Equal([1, 2], page1.Select(l => l.Key));
        Assert.Equal([3], page2.Select(l => l.Key));
        Assert.Equal(9, Assert.Single(await second.DeadLetters.ListAsync(0, 10, CancellationToken.None)).Key);
    }

    [Fact]
    public async Task ListAsync_SharedTable_TablesWhoseNamesJoinAlikeAcrossADot_EachSeesItsOwnLetters()
    {
        // "s.x"."t" and "s"."x.t" are two tables; written plainly as schema.table both were s.x.t, so each store
        // listed, counted, retried (into its own cache, at the other's version) and discarded the other's letters.
        var deadLetterTable = PostgresFixture.NewTableName("wb_dl");
        var schema = PostgresFixture.NewTableName("dots");
        await using var first = new PostgreSqlStore<int, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Schema = schema + ".x", Table = "t", DeadLetterTable = deadLetterTable }, ByteArraySerializer.Instance);
        await using var second = new PostgreSqlStore<int, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Schema = schema, Table = "x.t", DeadLetterTable = deadLetterTable }, ByteArraySerializer.Instance);
        await using var plain = new PostgreSqlStore<int, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Schema = schema, Table = "t", DeadLetterTable = deadLetterTable }, ByteArraySerializer.Instance);

        await first.DeadLetters!.WriteAsync([Letter(1, 1)], CancellationToken.None);

        Assert.Equal(0, await second.DeadLetters!.CountAsync(CancellationToken.None));
        Assert.Null(await second.DeadLetters.GetAsync(1, CancellationToken.None));
        Assert.Equal(1, await first.DeadLetters.CountAsync(CancellationToken.None));
        Assert.Equal($"\"{schema}.x\".\"t\"", first.TableName); // quoted only where a plain name would be ambiguous
        Assert.Equal($"\"{schema}\".\"x.t\"", second.TableName);
        Assert.Equal($"{schema}.t", plain.TableName);
    }

    [Fact]
    public async Task DeadLetterTableNull_StoreKeepsNone()
    {
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, DeadLetterTable = null }, ByteArraySerializer.Instance);

        Assert.Null(store.DeadLetters);
        Assert.Null(((IWriteBehindStore<long>)store).DeadLetters);
    }

    [Fact]
    public void Constructor_InvalidDeadLetterNames_ListedWithTheOtherProblems()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = "Host=127.0.0.1", DeadLetterSchema = " ", DeadLetterTable = new string('d', 64) },
            ByteArraySerializer.Instance));

        Assert.Equal(
            string.Join(Environment.NewLine, [
                "The PostgreSqlStore settings are invalid:",
                "- DeadLetterSchema is empty: give the name of the deadletterschema as it is in the database.",
                $"- DeadLetterTable '{new string('d', 64)}' is longer than 63 bytes, and PostgreSQL cuts longer names: use a shorter name.",
            ]),
            error.Message);
    }

    [LocalClusterFact]
    public async Task WriteAsync_NoPrivilegeToCreateTable_ConfigurationErrorSoTheCacheRetries()
    {
        var role = "wb_role_" + Guid.NewGuid().ToString("N")[..8];
        await db.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        await db.ExecuteAsync($"REVOKE CREATE ON SCHEMA public FROM {role}");
        var builder = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = role };
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = builder.ConnectionString, DeadLetterTable = PostgresFixture.NewTableName("wb_dl") }, ByteArraySerializer.Instance);

        var error = await Assert.ThrowsAsync<PostgresException>(async () => await store.DeadLetters!.WriteAsync([Letter(1L, 1)], CancellationToken.None));

        Assert.Equal(("42501", StoreErrorKind.Configuration), (error.SqlState, store.DeadLetters!.Classify(error)));
    }
}
