using System.Globalization;
using System.Text;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>What the atomic-update tests share: a cache of int counters over the test kit's store, and helpers.</summary>
internal static class Updates
{
    /// <summary>The most times a test lets an update's function run before it calls the update stuck.</summary>
    public const int MaxCalls = 20;

    public static WriteBehindCache<string, int> Counters(IWriteBehindStore<string> store, Func<WriteBehindOptions, WriteBehindOptions>? change = null) =>
        new(store, Harness.Options(change), jitter: () => 0.0);

    /// <summary>An int as the cache's JSON serializer writes it (to seed the store).</summary>
    public static byte[] Json(int value) => Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>The int the store holds for a key.</summary>
    public static int Stored(InMemoryStore<string> store, string key) =>
        int.Parse(Encoding.UTF8.GetString(store.Rows[key].Value!), CultureInfo.InvariantCulture);

    public static int Increment(CacheLookup<int> current) => current.Found ? current.Value + 1 : 1;

    /// <summary>Waits for a task inside an update's function (which is synchronous).</summary>
    public static T Wait<T>(ValueTask<T> task) => task.AsTask().GetAwaiter().GetResult();

    /// <summary>Waits for a task without a result inside an update's function.</summary>
    public static void Wait(ValueTask task) => task.AsTask().GetAwaiter().GetResult();

    /// <summary>A key other than <paramref name="key"/> in the same change bucket of the shard (4,096 buckets of the default hash).</summary>
    public static string SameBucket(string key, string prefix = "other")
    {
        int bucket = EqualityComparer<string>.Default.GetHashCode(key) & 4095;
        for (int i = 0; ; i++)
        {
            string other = $"{prefix}{i}";
            if ((EqualityComparer<string>.Default.GetHashCode(other) & 4095) == bucket)
            {
                return other;
            }
        }
    }
}
