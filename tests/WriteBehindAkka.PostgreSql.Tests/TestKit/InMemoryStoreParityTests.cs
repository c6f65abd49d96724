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
