using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.PostgreSql.Tests;

/// <summary>The store against a server that goes away: each test owns its cluster.</summary>
public sealed class PostgreSqlStoreFaultTests
{
    private static readonly TimeSpan RecoveryDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Retries the write as the pipeline would on transient errors, until it succeeds or the deadline passes.</summary>
    private static async Task WriteUntilSuccessAsync(PostgreSqlStore<long, byte[]> store, IReadOnlyList<WriteRecord<long>> batch)
    {
        var deadline = DateTime.UtcNow + RecoveryDeadline;
        while (true)
        {
            try
            {
                await store.WriteBatchAsync(batch, CancellationToken.None);
                return;
            }
            catch (Exception ex) when (store.Classify(ex) == StoreErrorKind.Transient && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    [LocalClusterFact]
    public async Task Classify_ServerStoppedThenStartedAgain_IsTransientAndRetrySucceeds()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = cluster.ConnectionString, CreateTableIfMissing = true }, ByteArraySerializer.Instance);
        await store.WriteBatchAsync([Records.Upsert(1L, [1], Records.BaseVersion + 1)], CancellationToken.None);

        await cluster.StopAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(
            async () => await store.WriteBatchAsync([Records.Upsert(2L, [2], Records.BaseVersion + 2)], CancellationToken.None));
        var classified = store.Classify(error);

        Assert.Equal(StoreErrorKind.Transient, classified);
        await cluster.StartAgainAsync();
        await WriteUntilSuccessAsync(store, [Records.Upsert(2L, [2], Records.BaseVersion + 2)]);
        Assert.Equal(Records.BaseVersion + 2, (await store.LoadAsync(2L, CancellationToken.None))!.Version);
    }

    [LocalClusterFact]
    public async Task Classify_ServerKilled_IsTransientAndCommittedRowsSurvive()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await using var store = new PostgreSqlStore<long, byte[]>(
            new PostgreSqlStoreOptions { ConnectionString = cluster.ConnectionString, CreateTableIfMissing = true, BatchForm = PostgreSqlBatchForm.Copy },
            ByteArraySerializer.Instance);
        await store.WriteBatchAsync(Enumerable.Range(0, 100).Select(i => Records.Upsert((long)i, [1], Records.BaseVersion + 1)).ToList(), CancellationToken.None);

        await cluster.KillAsync();
        var error = await Assert.ThrowsAnyAsync<Exception>(
            async () => await store.WriteBatchAsync([Records.Upsert(500L, [5], Records.BaseVersion + 2)], CancellationToken.None));

        Assert.Equal(StoreErrorKind.Transient, store.Classify(error));
        await cluster.StartAgainAsync();
        await WriteUntilSuccessAsync(store, [Records.Upsert(500L, [5], Records.BaseVersion + 2)]);
        for (var key = 0L; key < 100; key += 33)
        {
            Assert.Equal(Records.BaseVersion + 1, (await store.LoadAsync(key, CancellationToken.None))!.Version);
        }
    }
}
