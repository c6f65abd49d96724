using System.Text;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Atomic updates in a shard that drops each entry as soon as it lands (over MaxCachedEntries with only pending
/// entries besides, or a TimeToLive of a tick), when the key is read again between the update's read and its write.
/// </summary>
public sealed class UpdateReadBetweenTests
{
    private static byte[] Json(int value) => Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

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
                Assert.Equal(41, cache.GetAsync("k").AsTask().GetAwaiter().GetResult()); // a read of the key, unchanged
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
}
