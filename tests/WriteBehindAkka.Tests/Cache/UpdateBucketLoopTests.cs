using System.Text;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// Two keys that share a change bucket, in a shard that drops each entry as it lands (found in review). The bucket
/// remembers the row of one key; when it held the other key's, a load of the update's key and of the other key in turn
/// were each "a row other than the one the bucket knows", a change of the bucket, at every attempt. A bucket now knows
/// whose row it holds, and a load of a key whose row it does not know is no change.
/// </summary>
public sealed class UpdateBucketLoopTests
{
    private static byte[] Json(int value) => Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static string SameBucket(string key)
    {
        int bucket = EqualityComparer<string>.Default.GetHashCode(key) & 4095;
        for (int i = 0; ; i++)
        {
            string other = $"other{i}";
            if ((EqualityComparer<string>.Default.GetHashCode(other) & 4095) == bucket)
            {
                return other;
            }
        }
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
            Assert.Equal(9, cache.GetAsync(other).AsTask().GetAwaiter().GetResult()); // a read of another key: no change
            return current.Value + 1;
        }).AsTask().Within();

        Assert.Equal(6, result.Value);
    }
}
