using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class BatchingTests
{
    [Fact]
    public async Task Set_BatchSizeReached_StoreGetsOneBatchOfThatSizeWithoutWaitingForTime()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        var delay = TimeSpan.FromHours(1);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 3, MaxBatchDelay = delay }), clock);

        for (int i = 1; i <= 4; i++)
        {
            await cache.SetAsync($"k{i}", $"v{i}");
        }

        var batch = await store.ExpectBatchAsync(Harness.Within);
        await clock.WaitForTimerDueInAsync(delay, Harness.Within);

        Assert.Equal(["k1", "k2", "k3"], batch.Select(r => r.Key));
        Assert.False(store.HasUnexpectedBatch());
    }

    [Fact]
    public async Task Set_FewerThanBatchSize_EmittedWhenBatchDelayPasses()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        var delay = TimeSpan.FromMilliseconds(50);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 100, MaxBatchDelay = delay }), clock);

        await cache.SetAsync("k", "v");
        await clock.WaitForTimerDueInAsync(delay, Harness.Within);
        clock.Advance(delay - TimeSpan.FromMilliseconds(1));

        Assert.False(store.HasUnexpectedBatch());
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var batch = await store.ExpectBatchAsync(Harness.Within);

        var record = Assert.Single(batch);
        Assert.Equal(("k", WriteOperation.Upsert, "v"), (record.Key, record.Operation, Harness.Text(record.Value)));
    }

    [Fact]
    public async Task Delete_PendingKey_StoreGetsOneDeleteAndRowIsGone()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();

        await cache.DeleteAsync("k", WriteConsistency.Committed).AsTask().Within();

        Assert.False(store.Rows.ContainsKey("k"));
        Assert.Equal(WriteOperation.Delete, store.CommittedBatches.Last().Single().Operation);
        Assert.False((await cache.TryGetAsync("k")).Found);
    }
}
