using System.Text;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Loads against the shard's change buckets (Shard.Updates.cs): a load that finds the row last known in the bucket is no
/// change (found in review; a cache that never updates keeping no change tables is UpdateTests').
/// </summary>
public sealed class UpdateLoadMarkTests
{
    private const int MaxCalls = 20;

    private static byte[] Json(int value) => Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static T Wait<T>(ValueTask<T> task) => task.AsTask().GetAwaiter().GetResult();

    /// <summary>A key other than <paramref name="key"/> in the same change bucket of the shard (4,096 buckets of the default hash).</summary>
    private static string SameBucket(string key)
    {
        int bucket = EqualityComparer<string>.Default.GetHashCode(key) & 4095;
        for (int i = 0; ; i++)
        {
            string other = $"absent{i}";
            if ((EqualityComparer<string>.Default.GetHashCode(other) & 4095) == bucket)
            {
                return other;
            }
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
}
