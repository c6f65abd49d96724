using WriteBehindAkka.TestKit;
using static WriteBehindAkka.Tests.Cache.Updates;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// An update completes (found in three reviews): in a shard that drops each entry as it lands (over MaxCachedEntries
/// with only pending entries besides, or a TimeToLive of a tick), when the key is read between the update's read and
/// its write, when the key has no row, and when another key of its change bucket is read. Earlier designs ran for
/// ever in each of these; a test that fails says how many times the function ran.
/// </summary>
public sealed class UpdateProgressTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpdateAsync_UncachedKey_ShardOverItsBoundWithPendingWrites_Completes(bool stored)
    {
        // "a" stays pending (its write keeps failing transiently), so the shard is over MaxCachedEntries with nothing
        // else to evict: the entry the update's load leaves (if the row exists) is evicted as soon as it lands. A read
        // answers from the load itself; the update must not load the key for ever.
        var store = new InMemoryStore<string>();
        if (stored)
        {
            store.Seed("b", Json(41), 1);
        }

        store.FailWhen = _ => new SimulatedStoreException();
        var cache = new WriteBehindCache<string, int>(store, Harness.Options(o => o with { ShardCount = 1, MaxCachedEntries = 1 }), jitter: () => 0.0);
        try
        {
            await cache.SetAsync("a", 1);
            Assert.Equal(stored ? 41 : 0, await cache.GetAsync("b").AsTask().Within());

            var update = cache.UpdateAsync("b", Increment).AsTask();
            var first = await Task.WhenAny(update, Task.Delay(Harness.Within));

            Assert.True(first == update, $"the update never completed: {store.LoadsOf("b")} loads of 'b' so far");
            Assert.Equal(stored ? 42 : 1, (await update).Value);
        }
        finally
        {
            store.FailWhen = null;
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task UpdateAsync_UncachedKey_TimeToLiveShorterThanTheReRead_Completes()
    {
        // The loaded entry has expired by the time the update reads it again (a time to live of one tick): the read
        // drops it and loads again, for ever. GetAsync answers from the load.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(41), 1);
        var cache = new WriteBehindCache<string, int>(store, Harness.Options(o => o with { TimeToLive = TimeSpan.FromTicks(1) }), jitter: () => 0.0);
        try
        {
            Assert.Equal(41, await cache.GetAsync("k").AsTask().Within());

            var update = cache.UpdateAsync("k", Increment).AsTask();
            var first = await Task.WhenAny(update, Task.Delay(Harness.Within));

            Assert.True(first == update, $"the update never completed: {store.LoadsOf("k")} loads of 'k' so far");
            Assert.Equal(42, (await update).Value);
        }
        finally
        {
            await cache.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpdateAsync_KeyReadBetweenReadAndWrite_EntriesDroppedAtOnce_Completes(bool timeToLive)
    {
        // The read loads the row again (unchanged) and that entry is dropped too. The update's entry was dropped
        // untouched, and so was the reloaded one: the store still has what the function read, and its write must be
        // taken. (In an earlier design the reload made the shard forget the drop, and every attempt had a read in
        // between: the update ran for ever; a caller reading the key in a loop while the function runs did the same.)
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(41), 1);
        var options = timeToLive
            ? Harness.Options(o => o with { TimeToLive = TimeSpan.FromTicks(1) })
            : Harness.Options(o => o with { ShardCount = 1, MaxCachedEntries = 1 });
        var cache = new WriteBehindCache<string, int>(store, options, jitter: () => 0.0);
        try
        {
            if (!timeToLive)
            {
                // "a" stays pending (its writes fail transiently): nothing else to evict.
                store.FailWhen = batch => batch.Any(record => record.Key == "a") ? new SimulatedStoreException() : null;
                await cache.SetAsync("a", 1);
            }

            int calls = 0;
            var update = cache.UpdateAsync("k", current =>
            {
                Interlocked.Increment(ref calls);
                Assert.Equal(41, Wait(cache.GetAsync("k"))); // a read of the key, unchanged
                return current.Value + 1;
            }).AsTask();
            var first = await Task.WhenAny(update, Task.Delay(Harness.Within));

            Assert.True(first == update, $"the update never completed: {Volatile.Read(ref calls)} attempts, {store.LoadsOf("k")} loads of 'k' so far");
            Assert.Equal((42, 1), ((await update).Value, (await update).Attempts));
        }
        finally
        {
            store.FailWhen = null;
            await cache.DisposeAsync();
        }
    }

    [Fact]
    public async Task UpdateAsync_KeyWithoutRowReadBetweenReadAndWrite_AfterADropInItsBucket_Completes()
    {
        // A key without a row is never cached, so every read of it loads; each such load found "no row" (version 0)
        // where the bucket remembered the version of the last entry dropped, and counted as a change: an update whose
        // function reads its key (or a caller polling the key) made the update run for ever.
        var store = new InMemoryStore<string>();
        await using var cache = new WriteBehindCache<string, int>(store, Harness.Options(o => o with { ShardCount = 1 }), jitter: () => 0.0);
        await cache.UpdateAsync("gone", _ => 1).AsTask().Within(); // the shard's first update
        await cache.DeleteAsync("gone").AsTask().Within();
        await cache.FlushAsync().Within();
        Assert.False(store.Rows.ContainsKey("gone"));
        Assert.True(await cache.EvictAsync("gone").AsTask().Within()); // the tombstone is dropped

        int calls = 0;
        var result = await cache.UpdateAsync("gone", current =>
        {
            Assert.True(++calls <= MaxCalls, $"the update ran {calls} times");
            Assert.Equal(0, Wait(cache.GetAsync("gone"))); // a read of the key: no row, unchanged
            return current.Found ? current.Value + 1 : 7;
        }).AsTask().Within();

        Assert.Equal((7, 1), (result.Value, result.Attempts));
    }

    [Fact]
    public async Task UpdateAsync_FunctionReadsAnotherKeyWithoutRowInItsBucket_Completes()
    {
        // The same with a key of another row that shares the bucket: at most one needless retry, not an endless one.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = new WriteBehindCache<string, int>(store, Harness.Options(o => o with { ShardCount = 1 }), jitter: () => 0.0);
        string other = SameBucket("k");
        await cache.UpdateAsync("k", current => current.Value).AsTask().Within(); // the shard's first update (no write)
        Assert.True(await cache.EvictAsync("k").AsTask().Within()); // a drop in the bucket
        Assert.Equal(5, await cache.GetAsync("k").AsTask().Within()); // cached again

        int calls = 0;
        var result = await cache.UpdateAsync("k", current =>
        {
            Assert.True(++calls <= MaxCalls, $"the update ran {calls} times");
            Assert.Equal(0, Wait(cache.GetAsync(other)));
            return current.Value + 1;
        }).AsTask().Within();

        Assert.Equal(6, result.Value);
        Assert.True(result.Attempts <= 2, $"{result.Attempts} attempts");
    }

    [Fact]
    public async Task UpdateAsync_RowDeletedElsewhere_KeyReadBetweenReadAndWrite_EntriesExpireAtOnce_Completes()
    {
        // The row the bucket knew for "k" (an expired entry's) was deleted elsewhere: the first load that finds none is a
        // change, and from then on "no row" is what the bucket knows. Were it not recorded (no entry is made for a key
        // without a row, so no drop records it), every later load of "k" would be a change, and an update whose
        // function reads "k" would run for ever.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = new WriteBehindCache<string, int>(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = TimeSpan.FromTicks(1) }), jitter: () => 0.0);
        await cache.UpdateAsync("warm", _ => 1).AsTask().Within(); // the shard keeps its change tables from here
        Assert.Equal(5, await cache.GetAsync("k").AsTask().Within()); // loaded; expires at once
        Assert.True(store.Unseed("k")); // another process
        int calls = 0;

        var result = await cache.UpdateAsync("k", current =>
        {
            Assert.True(++calls <= MaxCalls, $"the update ran {calls} times");
            Assert.Equal(0, Wait(cache.GetAsync("k"))); // no row: a read, no change
            return current.Found ? current.Value + 1 : 1;
        }).AsTask().Within();

        Assert.Equal(1, result.Value);
    }

    [Fact]
    public async Task UpdateAsync_FunctionReadsAnotherKeyOfItsBucket_EntriesExpireAtOnce_Completes()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        string other = SameBucket("k");
        store.Seed(other, Json(9), 2);
        await using var cache = new WriteBehindCache<string, int>(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = TimeSpan.FromTicks(1) }), jitter: () => 0.0);
        int calls = 0;

        var result = await cache.UpdateAsync("k", current =>
        {
            Assert.True(++calls <= 20, $"the update ran {calls} times");
            Assert.Equal(9, Wait(cache.GetAsync(other))); // a read of another key: no change
            return current.Value + 1;
        }).AsTask().Within();

        Assert.Equal(6, result.Value);
    }
}
