using System.Net.Sockets;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.PostgreSql.Tests.TestKit;

/// <summary>The TestKit's in-memory stores against the PostgreSQL stores they imitate: the same calls, the same answers.</summary>
[Collection(PostgresCollection.Name)]
public sealed class InMemoryStoreParityTests(PostgresFixture db)
{
    private const long V = Records.BaseVersion;
    private static readonly DateTimeOffset Failed = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>Client-side errors of the user's own, as FailNext or FailWhen throw them: bare and wrapped.</summary>
    public static TheoryData<string, Exception> ClientErrors => new()
    {
        { "timeout", new TimeoutException() },
        { "io", new IOException() },
        { "socket", new SocketException() },
        { "cancelled", new OperationCanceledException() },
        { "task cancelled", new TaskCanceledException() },
        { "other", new InvalidOperationException() },
        { "timeout inside", new InvalidOperationException("wrapped", new TimeoutException()) },
        { "io inside", new ApplicationException("wrapped", new IOException()) },
        { "aggregate of timeout", new AggregateException(new TimeoutException()) },
        { "aggregate of other", new AggregateException(new InvalidOperationException()) },
        { "cancelled by a timeout", new OperationCanceledException("wrapped", new TimeoutException()) },
        { "cancellation inside", new InvalidOperationException("wrapped", new OperationCanceledException()) },
        { "other inside io", new IOException("wrapped", new InvalidOperationException()) },
    };

    [Theory]
    [MemberData(nameof(ClientErrors))]
    public async Task Classify_ClientSideError_AsThePostgreSqlStore(string name, Exception error)
    {
        await using var postgres = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv"), DeadLetterTable = PostgresFixture.NewTableName("wb_dl") },
            ByteArraySerializer.Instance);
        var memory = new InMemoryStore<string>();

        Assert.True(postgres.Classify(error) == memory.Classify(error), $"{name}: PostgreSQL {postgres.Classify(error)}, in memory {memory.Classify(error)}");
        Assert.True(
            postgres.DeadLetters!.Classify(error) == memory.DeadLetters.Classify(error),
            $"{name} (dead letters): PostgreSQL {postgres.DeadLetters.Classify(error)}, in memory {memory.DeadLetters.Classify(error)}");
    }

    [Fact]
    public async Task GetErrorCode_RefusalWrappedInAnotherException_FoundAsThePostgreSqlStoreFindsIt()
    {
        await using var postgres = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv") },
            ByteArraySerializer.Instance);
        var memory = new InMemoryStore<string>();
        Func<Exception>[] server = [() => new Npgsql.PostgresException("refused", "ERROR", "ERROR", "23514"), () => new SimulatedStoreException(StoreErrorKind.Permanent, "refused") { Code = "23514" }];
        Func<Exception, Exception>[] wrappings = [e => e, e => new InvalidOperationException("wrapped", e), e => new AggregateException(e), e => new AggregateException(new InvalidOperationException("wrapped", e))];

        foreach (var wrap in wrappings)
        {
            var (fromPostgres, fromMemory) = (wrap(server[0]()), wrap(server[1]()));
            Assert.Equal((postgres.Classify(fromPostgres), postgres.GetErrorCode(fromPostgres)), (memory.Classify(fromMemory), memory.GetErrorCode(fromMemory)));
        }
    }

    [Fact]
    public async Task GetKeyError_RefusesTheKeysThePostgreSqlStoreRefusesAndNoOther()
    {
        var postgres = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv") },
            ByteArraySerializer.Instance);
        await using (postgres)
        {
            await postgres.EnsureTableAsync();
            var memory = new InMemoryStore<string>();
            string[] refused = ["a\0b", "\0", "\uD800", "x\uDC00", "\uDC00\uD800", "\uD83D\uD83D\uDE00x"];
            string[] accepted = [string.Empty, " ", "\uD83D\uDE00", "\uFFFF", "\uFFFE", "e\u0301", "\u00E9", "A", "a", "\u200B", "\t\r\n"];

            foreach (var key in refused)
            {
                Assert.True(postgres.GetKeyError(key) is not null && memory.GetKeyError(key) is not null, $"{Convert.ToHexString(System.Text.Encoding.Unicode.GetBytes(key))} refused by both");
            }

            Assert.All(accepted, key => Assert.True(postgres.GetKeyError(key) is null && memory.GetKeyError(key) is null));
            var batch = accepted.Select((key, i) => Records.Upsert(key, [(byte)i], V)).ToList();
            await postgres.WriteBatchAsync(batch, CancellationToken.None);
            await memory.WriteBatchAsync(batch, CancellationToken.None);
            Assert.Equal(
                (await postgres.LoadManyAsync(accepted, CancellationToken.None)).Select(e => e is null ? "none" : Convert.ToHexString(e.Value)),
                (await memory.LoadManyAsync(accepted, CancellationToken.None)).Select(e => e is null ? "none" : Convert.ToHexString(e.Value)));
        }
    }

    public static TheoryData<PostgreSqlBatchForm> Forms => [PostgreSqlBatchForm.Unnest, PostgreSqlBatchForm.Copy];

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_VersionGuard_SameRowsAsThePostgreSqlStore(PostgreSqlBatchForm form)
    {
        var postgres = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv"), BatchForm = form },
            ByteArraySerializer.Instance);
        await using (postgres)
        {
            await postgres.EnsureTableAsync();
            var memory = new InMemoryStore<string>();
            IReadOnlyList<WriteRecord<string>>[] batches =
            [
                [Records.Upsert("tie", [1], V + 5), Records.Upsert("lower", [1], V + 5), Records.Upsert("equal", [1], V + 5), Records.Upsert("higher", [1], V + 5), Records.Upsert("revive", [1], V + 5)],
                [Records.Upsert("tie", [2], V + 5), Records.Delete("lower", V + 4), Records.Delete("equal", V + 5), Records.Delete("higher", V + 6), Records.Delete("missing", V + 1), Records.Delete("revive", V + 9)],
                [Records.Upsert("revive", [3], V + 2), Records.Upsert("missing", [4], V)],
            ];

            foreach (var batch in batches)
            {
                await postgres.WriteBatchAsync(batch, CancellationToken.None);
                await memory.WriteBatchAsync(batch, CancellationToken.None);
            }

            string[] keys = ["tie", "lower", "equal", "higher", "missing", "revive", "never"];
            var fromPostgres = await postgres.LoadManyAsync(keys, CancellationToken.None);
            var fromMemory = await memory.LoadManyAsync(keys, CancellationToken.None);
            for (int i = 0; i < keys.Length; i++)
            {
                Assert.Equal(Show(fromPostgres[i]), Show(fromMemory[i]));
                Assert.Equal(Show(await postgres.LoadAsync(keys[i], CancellationToken.None)), Show(await memory.LoadAsync(keys[i], CancellationToken.None)));
                Assert.Equal(await postgres.LoadVersionAsync(keys[i], CancellationToken.None), await ((IWriteBehindStore<string>)memory).LoadVersionAsync(keys[i], CancellationToken.None));
            }

            string[] repeated = ["tie", "never", "tie"];
            Assert.Equal((await postgres.LoadManyAsync(repeated, CancellationToken.None)).Select(Show), (await memory.LoadManyAsync(repeated, CancellationToken.None)).Select(Show));
            Assert.Equal("01@5", Show(fromMemory[0])); // the tie kept the first write
            Assert.Equal("03@2", Show(fromMemory[5])); // an older write after a delete comes back: there is no tombstone
        }

        static string Show(StoredEntry? entry) => entry is null ? "none" : $"{Convert.ToHexString(entry.Value)}@{entry.Version - V}";
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task WriteBatchAsync_RefusedRecord_NothingOfTheBatchAppliedInEitherStore(PostgreSqlBatchForm form)
    {
        var postgres = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv"), BatchForm = form },
            ByteArraySerializer.Instance);
        await using (postgres)
        {
            await postgres.EnsureTableAsync();
            await db.ExecuteAsync($"ALTER TABLE {string.Join('.', postgres.TableName.Split('.').Select(p => $"\"{p}\""))} ADD CHECK (key <> 'poison')");
            var memory = new InMemoryStore<string>();
            memory.PoisonKeys["poison"] = true;
            IReadOnlyList<WriteRecord<string>> seed = [Records.Upsert("gone", [1], V)];
            IReadOnlyList<WriteRecord<string>> batch = [Records.Upsert("a", [1], V + 1), Records.Delete("gone", V + 1), Records.Upsert("poison", [2], V + 1)];
            await postgres.WriteBatchAsync(seed, CancellationToken.None);
            await memory.WriteBatchAsync(seed, CancellationToken.None);

            var fromPostgres = await Record.ExceptionAsync(() => postgres.WriteBatchAsync(batch, CancellationToken.None).AsTask());
            var fromMemory = await Record.ExceptionAsync(() => memory.WriteBatchAsync(batch, CancellationToken.None).AsTask());

            Assert.Equal((StoreErrorKind.Permanent, "23514"), (postgres.Classify(fromPostgres!), postgres.GetErrorCode(fromPostgres!)));
            Assert.Equal((StoreErrorKind.Permanent, "23514"), (memory.Classify(fromMemory!), memory.GetErrorCode(fromMemory!)));
            string[] keys = ["a", "gone", "poison"];
            Assert.Equal(
                (await postgres.LoadManyAsync(keys, CancellationToken.None)).Select(e => e?.Version),
                (await memory.LoadManyAsync(keys, CancellationToken.None)).Select(e => e?.Version));
            Assert.Null(memory.Rows.GetValueOrDefault("a"));
        }
    }

    [Fact]
    public async Task DeadLetters_OneLetterPerKey_SameAnswersAsThePostgreSqlStore()
    {
        await using var postgres = new PostgreSqlStore<string, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv"), DeadLetterTable = PostgresFixture.NewTableName("wb_dl") },
            ByteArraySerializer.Instance);
        var memory = new InMemoryStore<string>();
        IDeadLetterStore<string>[] stores = [postgres.DeadLetters!, memory.DeadLetters];
        var answers = new List<string>[2];
        for (int s = 0; s < 2; s++)
        {
            var store = stores[s];
            var seen = answers[s] = [];
            await store.WriteAsync([Letter("k", 5, Failed), Letter("j", 1, Failed.AddSeconds(-1))], CancellationToken.None);
            var first = (await store.GetAsync("k", CancellationToken.None))!;
            await store.WriteAsync([Letter("k", 4, Failed.AddSeconds(1))], CancellationToken.None); // older: kept out
            seen.Add(Show(await store.GetAsync("k", CancellationToken.None)));
            await store.WriteAsync([Letter("k", 5, Failed.AddSeconds(2))], CancellationToken.None); // same version: replaces
            seen.Add(Show(await store.GetAsync("k", CancellationToken.None)));
            seen.Add($"delete the letter read before: {await store.DeleteAsync(first, CancellationToken.None)}");
            seen.Add($"delete another version: {await store.DeleteAsync(Letter("k", 6, Failed.AddSeconds(2)), CancellationToken.None)}");
            seen.Add(string.Join(", ", (await store.ListAsync(0, 10, CancellationToken.None)).Select(Show)));
            seen.Add(string.Join(", ", (await store.ListAsync(1, 1, CancellationToken.None)).Select(Show)));
            seen.Add($"count {await store.CountAsync(CancellationToken.None)}");
            seen.Add($"delete the current letter: {await store.DeleteAsync((await store.GetAsync("k", CancellationToken.None))!, CancellationToken.None)}");
            seen.Add($"delete it again: {await store.DeleteAsync(Letter("k", 5, Failed.AddSeconds(2)), CancellationToken.None)}");
            seen.Add(Show(await store.GetAsync("k", CancellationToken.None)));
        }

        Assert.Equal(answers[0], answers[1]);

        static DeadLetter<string> Letter(string key, long version, DateTimeOffset failedAt) =>
            new(key, WriteOperation.Upsert, [(byte)version], version, "refused", "23514", StoreErrorKind.Permanent, failedAt);

        static string Show(DeadLetter<string>? letter) =>
            letter is null ? "none" : $"{letter.Key}@{letter.Version} {letter.FailedAt.UtcDateTime:O} {Convert.ToHexString(letter.Value ?? [])}";
    }

    [Fact]
    public async Task DeadLetters_ListOfIntegerKeysFailedTogether_InThePostgreSqlStoreOrder()
    {
        await using var postgres = new PostgreSqlStore<int, byte[]>(
            new PostgreSqlStoreOptions { DataSource = db.DataSource, Table = PostgresFixture.NewTableName("kv"), DeadLetterTable = PostgresFixture.NewTableName("wb_dl") },
            ByteArraySerializer.Instance);
        var memory = new InMemoryStore<int>();
        DeadLetter<int>[] letters = [.. new[] { 9, 10, 100, -1, 2 }.Select(key => new DeadLetter<int>(key, WriteOperation.Upsert, [1], V, "refused", "23514", StoreErrorKind.Permanent, Failed))];

        await postgres.DeadLetters!.WriteAsync(letters, CancellationToken.None);
        await memory.DeadLetters.WriteAsync(letters, CancellationToken.None);
        var fromPostgres = (await postgres.DeadLetters.ListAsync(0, 10, CancellationToken.None)).Select(l => l.Key).ToList();
        var fromMemory = (await memory.DeadLetters.ListAsync(0, 10, CancellationToken.None)).Select(l => l.Key).ToList();

        Assert.Equal(fromPostgres, fromMemory);
    }
}
