using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests;

/// <summary>Builds caches over the test kit's store and clock.</summary>
internal static class Harness
{
    /// <summary>The real-time budget for awaiting something that should happen at once.</summary>
    public static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    /// <summary>Small, deterministic settings: one writer, batches of one (emitted at once), no jitter.</summary>
    public static WriteBehindOptions Options(Func<WriteBehindOptions, WriteBehindOptions>? change = null)
    {
        var options = new WriteBehindOptions
        {
            ShardCount = 2,
            Parallelism = 1,
            MaxBatchSize = 1,
            MaxBatchDelay = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromSeconds(30),
            Restart = new RestartSettings { MinBackoff = TimeSpan.FromMilliseconds(100), MaxBackoff = TimeSpan.FromSeconds(1), RandomFactor = 0 },
        };
        return change is null ? options : change(options);
    }

    public static WriteBehindCache<string, string> Cache(
        WriteBehindAkka.Storage.IWriteBehindStore<string> store,
        WriteBehindOptions? options = null,
        TimeProvider? time = null)
    {
        options ??= Options();
        if (time is ManualTimeProvider && options.ShutdownTimeout == Options().ShutdownTimeout)
        {
            // The manual clock only moves when a test moves it; a failed test must not hang in DisposeAsync.
            options = options with { ShutdownTimeout = TimeSpan.Zero };
        }

        return new(store, options, timeProvider: time, jitter: () => 0.0);
    }

    public static string Text(ReadOnlyMemory<byte> json) => System.Text.Json.JsonSerializer.Deserialize<string>(json.Span)!;

    /// <summary>Checks a bulk write's answer: its level, and a version for each of its writes.</summary>
    public static void AssertBulk(int writes, WriteConsistency consistency, BulkWriteResult result)
    {
        Assert.Equal(consistency, result.Consistency);
        Assert.Equal(writes, result.Writes);
        Assert.All(result.Versions, version => Assert.True(version > 0, "every write has a version"));
    }

    /// <summary>Waits until the shutdown's final flush has reached (and sealed) every shard of <paramref name="cache"/>.</summary>
    public static async Task WaitUntilSealedAsync<TKey, TValue>(WriteBehindCache<TKey, TValue> cache)
        where TKey : notnull
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!cache.ShardsSealed)
        {
            Assert.True(waited.Elapsed < Within, "the final flush never reached the shards");
            await Task.Delay(5);
        }
    }

}

/// <summary>Awaits with the harness's real-time budget, so a hang fails the test instead of stalling the run.</summary>
internal static class TaskBudgetExtensions
{
    public static async Task<T> Within<T>(this Task<T> task) => await task.WaitAsync(Harness.Within);

    public static async Task Within(this Task task) => await task.WaitAsync(Harness.Within);
}
