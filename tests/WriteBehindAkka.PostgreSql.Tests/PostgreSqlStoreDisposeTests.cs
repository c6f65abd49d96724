using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

/// <summary>A store used after its disposal (disposed before the cache that writes through it) says so and what to do.</summary>
public sealed class PostgreSqlStoreDisposeTests
{
    private const string Expected =
        "The PostgreSqlStore of public.players is disposed. Dispose (or shut down) the caches that write through it first and the store after them: with 'await using', declare the store before the cache."
        + "\nObject name: 'PostgreSqlStore'.";

    public static TheoryData<string> Calls => ["WriteBatchAsync", "LoadAsync", "LoadVersionAsync", "EnsureTableAsync"];

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task Call_AfterDispose_ThrowsNamingTheTableAndTheOrder(string call)
    {
        // Nothing connects: the port is never listened on.
        var store = new PostgreSqlStore<long, string>(
            new PostgreSqlStoreOptions { ConnectionString = "Host=127.0.0.1;Port=1;Database=game", Table = "players" },
            new JsonValueSerializer<string>());
        await store.DisposeAsync();

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            switch (call)
            {
                case "WriteBatchAsync":
                    await store.WriteBatchAsync([new WriteRecord<long>(1, WriteOperation.Upsert, "\"v\""u8.ToArray(), 1)], CancellationToken.None);
                    break;
                case "LoadAsync":
                    await store.LoadAsync(1, CancellationToken.None);
                    break;
                case "LoadVersionAsync":
                    await store.LoadVersionAsync(1, CancellationToken.None);
                    break;
                default:
                    await store.EnsureTableAsync();
                    break;
            }
        });

        Assert.Equal(Expected.Replace("\n", Environment.NewLine, StringComparison.Ordinal), error.Message);
    }
}
