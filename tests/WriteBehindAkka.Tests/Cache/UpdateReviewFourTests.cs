using WriteBehindAkka.TestKit;
using static WriteBehindAkka.Tests.Cache.Updates;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Found in the fourth review of atomic updates (the change buckets' known row, ComputeAsync).</summary>
public sealed class UpdateReviewFourTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UpdateAsync_KeyWithoutRow_RowAddedElsewhereAndLoaded_ThenEvicted_RunsAgain(bool shardUpdatedBefore)
    {
        // The update loads its key and finds no row; another process then adds one, a read loads it (a row other than
        // the one the shard read for the update: a change), and the entry is evicted for room. The update must not
        // write its "from nothing" value over that row. The shard's first update must do as any later one does.
        var store = new InMemoryStore<string>();
        store.Seed("other", Json(0), 1);
        await using var cache = Counters(store, o => o with { ShardCount = 1, MaxCachedEntries = 1 });
        if (shardUpdatedBefore)
        {
            await cache.UpdateAsync("warm", _ => 1, WriteConsistency.Committed).AsTask().Within();
        }

        var seen = new List<CacheLookup<int>>();
        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current);
            if (seen.Count == 1)
            {
                store.Seed("k", Json(50), 2); // another process
                Assert.Equal(50, Wait(cache.GetAsync("k"))); // a load finds the new row
                Assert.Equal(0, Wait(cache.GetAsync("other"))); // evicts "k" for room
                Assert.Equal(KeyStatus.NotCached, Wait(cache.GetStatusAsync("k")));
            }

            return Increment(current);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal([default, new CacheLookup<int>(true, 50)], seen);
        Assert.Equal(51, result.Value);
        Assert.Equal(51, Stored(store, "k"));
    }
}
