using System.Text;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Atomic updates of a key that must be loaded, when what the load leaves is evicted or expires before the update reads it again.</summary>
public sealed class UpdateLivelockTests
{
    private static byte[] Json(int value) => Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static int Increment(CacheLookup<int> current) => current.Found ? current.Value + 1 : 1;

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
}
