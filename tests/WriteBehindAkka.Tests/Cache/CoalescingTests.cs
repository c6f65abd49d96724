using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class CoalescingTests
{
    [Fact]
    public async Task Set_RewrittenWhileInFlight_OnlyLatestGoesAgainAfterFirstCompletes()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store);

        await cache.SetAsync("k", "v1");
        var first = await store.ExpectBatchAsync(Harness.Within);
        await cache.SetAsync("k", "v2");
        await cache.SetAsync("k", "v3");
        await cache.SetAsync("k", "v4");

        // While v1 is in flight nothing else of "k" may be.
        Assert.False(store.HasUnexpectedBatch());
        store.Resume();
        var second = await store.ExpectBatchAsync(Harness.Within);
        await cache.FlushAsync().Within();

        Assert.Equal("v1", Harness.Text(Assert.Single(first).Value));
        Assert.Equal("v4", Harness.Text(Assert.Single(second).Value));
        Assert.True(second[0].Version > first[0].Version);
        Assert.Equal(2, store.CommittedBatches.Count);
        Assert.Equal("v4", Harness.Text(store.Rows["k"].Value));
    }

    [Fact]
    public async Task Set_RewrittenWithinWriteDelay_StoreSeesOnlyLatestValue()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        var writeDelay = TimeSpan.FromSeconds(1);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, WriteDelay = writeDelay }), clock);

        for (int i = 1; i <= 5; i++)
        {
            await cache.SetAsync("k", $"v{i}");
        }

        await clock.WaitForTimerDueInAsync(writeDelay, Harness.Within);
        Assert.Equal(WriteState.Pending, (await cache.GetStatusAsync("k")).State);
        clock.Advance(writeDelay);
        var batch = await store.ExpectBatchAsync(Harness.Within);

        Assert.Equal("v5", Harness.Text(Assert.Single(batch).Value));
    }

    [Fact]
    public async Task FlushAsync_WithALongWriteDelay_WritesWhatItWaitsForAtOnce()
    {
        // The delay is for coalescing; a flush asks for what it covers to be written now, not in ten minutes.
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, WriteDelay = TimeSpan.FromMinutes(10) }), clock);
        await cache.SetAsync("early", "v");

        var flushed = await cache.FlushAsync().Within();
        await cache.SetAsync("late", "v"); // after the flush: waits out the delay as before

        Assert.True(flushed.AllCommitted);
        Assert.Equal(["early"], store.Rows.Keys);
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMinutes(10), Harness.Within);
        Assert.Equal(WriteState.Pending, (await cache.GetStatusAsync("late")).State);
    }

    [Fact]
    public async Task FlushAsync_WithALongWriteDelay_AKeyRewrittenWhileInFlightDoesNotWaitBehindLaterWrites()
    {
        // "k" is rewritten while its first write is in flight; the flush waits for the rewrite, which is queued
        // only when the first write lands, after "later" (written after the flush, so waiting out the delay).
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, WriteDelay = TimeSpan.FromMinutes(10) }), clock);
        store.Pause();
        await cache.SetAsync("k", "v1");
        var first = cache.FlushAsync();
        Assert.Equal("k", Assert.Single(await store.ExpectBatchAsync(Harness.Within)).Key);
        await cache.SetAsync("k", "v2");
        var second = cache.FlushAsync();
        await cache.SetAsync("later", "v");

        store.Resume();
        await first.Within();
        await second.Within();

        Assert.Equal("v2", Harness.Text(store.Rows["k"].Value));
        Assert.False(store.Rows.ContainsKey("later"));
    }

    [Fact]
    public async Task ShutdownAsync_WithAWriteDelayLongerThanItsDeadline_WritesEverything()
    {
        // WriteDelay 10 minutes, ShutdownTimeout 2 s: the last writes must not wait out the delay past the deadline.
        var store = new InMemoryStore<string>();
        var cache = Harness.Cache(store, Harness.Options(o => o with { WriteDelay = TimeSpan.FromMinutes(10), ShutdownTimeout = TimeSpan.FromSeconds(2) }));
        for (int i = 0; i < 100; i++)
        {
            Assert.True(cache.TrySet($"k{i}", "v"));
        }

        var report = await cache.ShutdownAsync().Within();

        Assert.True(report.Flushed, $"unflushed: {report.UnflushedEntries}");
        Assert.Equal(100, store.Rows.Count);
    }
}
