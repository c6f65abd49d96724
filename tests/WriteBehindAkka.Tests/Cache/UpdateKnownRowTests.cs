using WriteBehindAkka.TestKit;
using static WriteBehindAkka.Tests.Cache.Updates;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>The change buckets' known row, and ComputeAsync's result (found in the fourth review of atomic updates).</summary>
public sealed class UpdateKnownRowTests
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

    [Fact]
    public async Task UpdateAsync_FunctionReadsAnotherKeyWithTheSameHashCode_EntriesExpireAtOnce_Completes()
    {
        // As UpdateProgressTests' read of another key of the bucket, with two keys whose hash codes are equal (a long's is
        // its halves xor-ed: 1 and 1 << 32 both hash to 1): each one's load found the other's row and counted as a change.
        const long Key = 1, Other = 1L << 32;
        Assert.Equal(Key.GetHashCode(), Other.GetHashCode());
        var store = new InMemoryStore<long>();
        store.Seed(Key, Json(5), 1);
        store.Seed(Other, Json(9), 2);
        await using var cache = new WriteBehindCache<long, int>(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = TimeSpan.FromTicks(1) }), jitter: () => 0.0);
        await cache.UpdateAsync(-1, _ => 1).AsTask().Within(); // the shard keeps its change tables from here
        int calls = 0;

        var update = cache.UpdateAsync(Key, current =>
        {
            Assert.True(++calls <= MaxCalls, $"the update ran {calls} times");
            Assert.Equal(9, Wait(cache.GetAsync(Other))); // a read of another key: no change
            return current.Value + 1;
        }).AsTask();
        await Task.WhenAny(update, Task.Delay(Harness.Within));

        Assert.True(update.IsCompleted, $"the update never completed: {Volatile.Read(ref calls)} runs");
        Assert.Equal(6, (await update).Value);
    }

    [Fact]
    public async Task ComputeAsync_NotFoundWithAValue_DeletesTheKey_AndValueIsTheDefault()
    {
        // A function that returns Found false with a value still removes the key: the result must not say it holds that value.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = Counters(store);

        var result = await cache.ComputeAsync("k", _ => new CacheLookup<int>(false, 7)).AsTask().Within();

        Assert.Equal(default, await cache.TryGetAsync("k"));
        Assert.Equal((0, true), (result.Value, result.Changed));
    }
}
