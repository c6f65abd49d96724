using System.Text;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>MaxIdle: a clean entry not read for that long is dropped and loaded again; each read restarts its time.</summary>
public sealed class MaxIdleTests
{
    private static readonly TimeSpan Idle = TimeSpan.FromMinutes(2);

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes($"\"{text}\"");

    private static WriteBehindCache<string, string> Cache(InMemoryStore<string> store, ManualTimeProvider clock, Func<WriteBehindOptions, WriteBehindOptions>? change = null) =>
        Harness.Cache(store, Harness.Options(o => (change ?? (x => x))(o with { ShardCount = 1, MaxIdle = Idle })), clock);

    [Fact]
    public async Task EachRead_RestartsTheIdleTime_AnEntryNotReadForMaxIdle_IsLoadedAgain()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        var written = await cache.SetAsync("k", "mine", WriteConsistency.Committed).AsTask().Within();
        store.Seed("k", Json("theirs"), written.Version + 1); // another process updates the row

        for (int i = 0; i < 5; i++)
        {
            clock.Advance(Idle - TimeSpan.FromSeconds(1)); // 5 x 1:59 after the commit: read within each idle time
            Assert.Equal("mine", await cache.GetAsync("k"));
        }

        Assert.Equal(0, store.LoadsOf("k"));
        clock.Advance(Idle);
        Assert.Equal("theirs", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task NotRead_TheIdleTimeRunsFromTheCommit()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();

        clock.Advance(Idle - TimeSpan.FromSeconds(1));
        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("k")).State); // a status is not a read
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task AKeyThatIsRead_StaysInMemory_TheOnesNotReadAreDroppedWithoutAnyRead()
    {
        // "hot" is committed first, so it sits ahead of "cold" in the shard's queue: its reads must not hold "cold" up.
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("hot", "v", WriteConsistency.Committed).AsTask().Within();
        await cache.SetAsync("cold", "v", WriteConsistency.Committed).AsTask().Within();

        for (int i = 0; i < 4; i++)
        {
            clock.Advance(Idle / 2);
            Assert.Equal("v", await cache.GetAsync("hot"));
        }

        var until = DateTime.UtcNow + Harness.Within;
        while (await cache.GetStatusAsync("cold") != KeyStatus.NotCached && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("cold"));
        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("hot")).State);
        Assert.Equal(1, cache.GetStatistics().CachedEntries);
        Assert.Equal(0, store.LoadsOf("hot"));
    }

    [Fact]
    public async Task AKeyReadOften_CanHoldUpTheDropOfAKeyQueuedBehindIt_ByAboutOneMaxIdle_NotItsReload()
    {
        // "hot" is read at 1 s (its second place, ahead of "cold") and then every 10 s; its first place is skipped only
        // when "x", ahead of it, goes (120 s). Then its second place is at the front, not expired (read at 112 s),
        // and "cold" (idle from 122 s) waits behind it until 232 s: memory comes back late, about one MaxIdle at
        // most, as the README says; a read of "cold" after 122 s loads it again all the same.
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("x", "v", WriteConsistency.Committed).AsTask().Within();
        await cache.SetAsync("hot", "v", WriteConsistency.Committed).AsTask().Within();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("v", await cache.GetAsync("hot"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await cache.SetAsync("cold", "v", WriteConsistency.Committed).AsTask().Within();
        for (int seconds = 12; seconds <= 112; seconds += 10)
        {
            clock.Advance(TimeSpan.FromSeconds(10)); // no timer due before 120 s ("x"'s idle time)
            Assert.Equal("v", await cache.GetAsync("hot"));
        }

        clock.Advance(TimeSpan.FromSeconds(8)); // 120 s: "x" goes, "hot"'s first place is skipped
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(112), Harness.Within); // "hot"'s second place: 232 s
        clock.Advance(TimeSpan.FromSeconds(2)); // 122 s
        Assert.Equal("v", await cache.GetAsync("hot"));
        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("cold")).State); // idle, still in memory

        clock.Advance(TimeSpan.FromSeconds(110)); // 232 s
        var until = DateTime.UtcNow + Harness.Within;
        while (await cache.GetStatusAsync("cold") != KeyStatus.NotCached && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("cold")); // 122 s + less than one MaxIdle
        Assert.Equal(0, store.LoadsOf("hot"));
    }

    [Fact]
    public async Task WithATimeToLive_TheEntryGoesAtWhicheverComesFirst()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock, o => o with { TimeToLive = TimeSpan.FromMinutes(5) });
        await cache.SetAsync("read", "v", WriteConsistency.Committed).AsTask().Within();
        await cache.SetAsync("idle", "v", WriteConsistency.Committed).AsTask().Within();

        for (int i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(1)); // "read" is read every minute; "idle" is not read
            Assert.Equal("v", await cache.GetAsync("read"));
        }

        Assert.Equal(0, store.LoadsOf("read"));
        Assert.Equal("v", await cache.GetAsync("idle")); // 4 minutes without a read: idled out after 2
        Assert.Equal(1, store.LoadsOf("idle"));

        clock.Advance(TimeSpan.FromMinutes(1)); // 5 minutes after its commit: its time to live is out, reads or not
        Assert.Equal("v", await cache.GetAsync("read"));
        Assert.Equal(1, store.LoadsOf("read"));
    }

    [Fact]
    public async Task WithATimeToLiveOver24Days_AKeyReadEvery12Hours_StaysPastThe24thDay()
    {
        // The last read is kept in four bytes after the clean-since time: 2^31 ms is 24.8 days, and a time to live
        // may be 49. A read on day 25 must not count as made on day 24.8 (idled out on day 25.8 though read since).
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock, o => o with { TimeToLive = TimeSpan.FromDays(40), MaxIdle = TimeSpan.FromDays(1) });
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();

        for (int i = 0; i < 60; i++)
        {
            clock.Advance(TimeSpan.FromHours(12)); // day 30 at the end
            Assert.Equal("v", await cache.GetAsync("k"));
            Assert.Equal(0, store.LoadsOf("k"));
        }

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMilliseconds(2)); // not read for a day (the note rounds up)
        Assert.Equal("v", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task APendingWrite_NeverIdlesOut_ItsIdleTimeStartsAtItsCommit()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json("stored"), 1);
        store.Pause();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("k", "mine");

        clock.Advance(Idle * 3); // the store is down: the write is the only copy
        Assert.Equal("mine", await cache.GetAsync("k").AsTask().Within());
        Assert.Equal(0, store.LoadsOf("k"));

        store.Resume();
        await cache.FlushAsync().Within();
        clock.Advance(Idle - TimeSpan.FromSeconds(1));
        Assert.Equal("mine", await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task WithABoundOnEntries_AKeyReadOftenStaysWhileColdKeysPassThrough_AndIdlesOutOnceNoLongerRead()
    {
        var store = new InMemoryStore<string>();
        store.Seed("hot", Json("stored"), 1);
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock, o => o with { MaxCachedEntries = 8 });
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal("stored", await cache.GetAsync("hot"));
            await cache.SetAsync($"cold{i}", "v", WriteConsistency.Committed).AsTask().Within();
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(1, store.LoadsOf("hot"));
        Assert.True(cache.GetStatistics().CachedEntries <= 8);

        clock.Advance(Idle);
        Assert.Equal("stored", await cache.GetAsync("hot"));
        Assert.Equal(2, store.LoadsOf("hot"));
    }

    [Theory]
    [InlineData(-1.0, "MaxIdle is -00:00:01; use 0 for no idle expiry or a positive duration.")]
    [InlineData(100 * 86400.0, "MaxIdle is 100.00:00:00; it must be at most")]
    public void Invalid_IsRefusedNamingTheSetting(double seconds, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => OptionsValidator.ThrowIfInvalid(new WriteBehindOptions { MaxIdle = TimeSpan.FromSeconds(seconds) }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
