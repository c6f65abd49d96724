using System.Text;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>TimeToLive: a clean entry is read again from the store once it outlived it; a pending write never expires.</summary>
public sealed class TimeToLiveTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes($"\"{text}\"");

    private static WriteBehindCache<string, string> Cache(InMemoryStore<string> store, ManualTimeProvider clock, Func<WriteBehindOptions, WriteBehindOptions>? change = null) =>
        Harness.Cache(store, Harness.Options(o => (change ?? (x => x))(o with { ShardCount = 1, TimeToLive = Ttl })), clock);

    [Fact]
    public async Task Read_AfterTheTimeToLive_LoadsTheRowAnotherProcessChanged()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        var written = await cache.SetAsync("k", "mine", WriteConsistency.Committed).AsTask().Within();
        store.Seed("k", Json("theirs"), written.Version + 1); // another process updates the row

        clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal("mine", await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("theirs", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
        Assert.Equal("theirs", await cache.GetAsync("k")); // cached again, for another time to live
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task PendingWrite_NeverExpires_ItsTimeStartsAtItsCommit()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json("stored"), 1);
        store.Pause();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("k", "mine");

        clock.Advance(Ttl * 3); // the store is down: the write is the only copy
        Assert.Equal("mine", await cache.GetAsync("k").AsTask().Within());
        Assert.Equal(0, store.LoadsOf("k"));

        store.Resume();
        await cache.FlushAsync().Within();
        clock.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal("mine", await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("mine", await cache.GetAsync("k")); // reloaded: the store has the committed write
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task WrittenAgain_TheTimeRunsFromTheLatestCommit()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("k", "1", WriteConsistency.Committed).AsTask().Within();
        clock.Advance(Ttl / 2);
        await cache.SetAsync("k", "2", WriteConsistency.Committed).AsTask().Within();

        clock.Advance(Ttl / 2 + TimeSpan.FromSeconds(1)); // past the first commit's time to live, not the second's
        Assert.Equal("2", await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));
        clock.Advance(Ttl / 2);
        Assert.Equal("2", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task LoadedRow_ExpiresToo_AndGetManyLoadsTheExpiredKeysAgainInOneCall()
    {
        var store = new InMemoryStore<string>();
        store.Seed("a", Json("a1"), 1);
        store.Seed("b", Json("b1"), 1);
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        Assert.Equal(2, (await cache.GetManyAsync(["a", "b"]).AsTask().Within()).Count);
        Assert.Equal(1, store.LoadManyCalls);
        store.Seed("a", Json("a2"), 2);
        store.Seed("b", Json("b2"), 2);

        clock.Advance(Ttl);
        var values = await cache.GetManyAsync(["a", "b"]).AsTask().Within();

        Assert.Equal("a2", values["a"]);
        Assert.Equal("b2", values["b"]);
        Assert.Equal(2, store.LoadManyCalls);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ALoadedRow_LivesItsTimeToLiveFromWhenTheLoadReadIt_NotFromWhenTheLoadReturned(bool many)
    {
        // A load slower than part of the time to live: the row it brings is as old as the load. Counted from its return,
        // another process's later change stayed hidden for the time to live plus the load's duration.
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("v1"), 1);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = Ttl }), clock);
        Task<string?> Read() => many
            ? cache.GetManyAsync(["k"]).AsTask().ContinueWith(t => t.Result.GetValueOrDefault("k"), TaskScheduler.Default)
            : cache.GetAsync("k").AsTask();

        var first = Read();
        var load = await store.NextLoadAsync(); // read v1 at 0
        store.Inner.Seed("k", Json("v2"), 2); // another process changes the row just after
        clock.Advance(TimeSpan.FromMinutes(3));
        load.Release();
        Assert.Equal("v1", await first.Within());

        clock.Advance(Ttl - TimeSpan.FromMinutes(3) - TimeSpan.FromSeconds(1)); // a second short of the row's time to live
        Assert.Equal("v1", await Read().Within());
        Assert.Equal(1, Volatile.Read(ref store.Loads));

        clock.Advance(TimeSpan.FromSeconds(1)); // the row read at 0 is a time to live old: read again
        store.Ungated = true;
        Assert.Equal("v2", await Read().Within());
        Assert.Equal(2, Volatile.Read(ref store.Loads));
    }

    [Fact]
    public async Task ASlowlyLoadedRow_WithMaxIdle_IdlesFromItsReaders_NotFromTheLoadsStart()
    {
        // The load's readers read the row when it lands: its idle time starts then, even when the time to live runs from the load's start.
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("v1"), 1);
        var clock = new ManualTimeProvider();
        var idle = TimeSpan.FromMinutes(2);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = Ttl, MaxIdle = idle }), clock);

        var first = cache.GetAsync("k").AsTask();
        var load = await store.NextLoadAsync();
        clock.Advance(TimeSpan.FromMinutes(1.5));
        load.Release();
        Assert.Equal("v1", await first.Within());

        clock.Advance(idle - TimeSpan.FromSeconds(1)); // 3.5 minutes after the load began, under 2 after its readers
        Assert.Equal("v1", await cache.GetAsync("k").AsTask().Within());
        Assert.Equal(1, Volatile.Read(ref store.Loads));
    }

    [Fact]
    public async Task ExpiredEntries_AreDroppedFromMemory_WithoutAnyRead()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("a", "v", WriteConsistency.Committed).AsTask().Within();
        await cache.SetAsync("b", "v", WriteConsistency.Committed).AsTask().Within();
        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("a")).State);
        Assert.Equal(2, cache.GetStatistics().CachedEntries);

        await clock.WaitForTimerDueInAsync(Ttl, Harness.Within); // the cache waits on the clock for the first expiry
        clock.Advance(Ttl);

        var until = DateTime.UtcNow + Harness.Within;
        while ((await cache.GetStatusAsync("a") != KeyStatus.NotCached || await cache.GetStatusAsync("b") != KeyStatus.NotCached) && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("a"));
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("b"));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
        Assert.Equal(0, cache.GetStatistics().CachedEntries);
    }

    [Fact]
    public async Task AfterABurstOfKeysExpired_AnIdleShardGivesBackTheRoomItHeldThem()
    {
        const int Keys = 20_000;
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock, o => o with { MaxBatchSize = 1_000 });
        await cache.SetManyAsync(Enumerable.Range(0, Keys).Select(i => KeyValuePair.Create($"k{i}", "v"))).AsTask().Within();
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.True(cache.ShardCapacity.Table >= Keys);
        Assert.True(cache.ShardCapacity.EvictionQueue >= Keys);

        await clock.WaitForTimerDueInAsync(Ttl, Harness.Within);
        clock.Advance(Ttl);
        var until = DateTime.UtcNow + Harness.Within;
        while (await cache.GetStatusAsync($"k{Keys - 1}") != KeyStatus.NotCached && DateTime.UtcNow < until)
        {
            await Task.Delay(10); // the sweep runs on the shard's loop once the timer fired
        }

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k0"));
        Assert.True(cache.ShardCapacity.Table < 1_000, $"the entry table kept room for {cache.ShardCapacity.Table} entries");
        Assert.True(cache.ShardCapacity.EvictionQueue < 1_000, $"the expiry queue kept room for {cache.ShardCapacity.EvictionQueue} entries");
    }

    [Fact]
    public async Task NextExpiryUnderAMillisecondAway_TheShardWaitsForIt_RatherThanTickingOnTheSpot()
    {
        // The system's timers count whole milliseconds: one set to fire in 0.5 ms fires at once. A shard that set
        // its timer for the next expiry 0.5 ms away would tick, find nothing due, set it again, and so on until the
        // time came (here, with the clock standing still, for ever).
        var store = new InMemoryStore<string>();
        var manual = new ManualTimeProvider();
        var clock = new MillisecondTimers(manual);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = Ttl, ShutdownTimeout = TimeSpan.Zero }), clock);
        await cache.SetAsync("a", "v", WriteConsistency.Committed).AsTask().Within();
        manual.Advance(TimeSpan.FromMilliseconds(0.5));
        await cache.SetAsync("b", "v", WriteConsistency.Committed).AsTask().Within();
        await manual.WaitForTimerDueInAsync(Ttl - TimeSpan.FromMilliseconds(0.5), Harness.Within);

        manual.Advance(Ttl - TimeSpan.FromMilliseconds(0.5)); // to "a"'s expiry; "b"'s is 0.5 ms on

        await manual.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(1), Harness.Within);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("a"));
        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("b")).State);
        manual.Advance(TimeSpan.FromMilliseconds(1));
        var until = DateTime.UtcNow + Harness.Within;
        while (await cache.GetStatusAsync("b") != KeyStatus.NotCached && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("b"));
    }

    [Fact]
    public async Task DeadLetteredWrite_ExpiresAsACleanEntry_TheReadAnswersTheStoredRow()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json("stored"), 1);
        store.PoisonKeys["k"] = true;
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("k", "refused");
        Assert.Equal(1, (await cache.FlushAsync().Within()).FailedWrites);
        Assert.Equal(1, cache.GetStatistics().FailedKeys);
        Assert.Equal("refused", await cache.GetAsync("k"));

        clock.Advance(Ttl);

        Assert.Equal("stored", await cache.GetAsync("k"));
        Assert.Equal(0, cache.GetStatistics().FailedKeys);
        Assert.Single(store.DeadLetters.Letters);
    }

    [Fact]
    public async Task AKeyRefusedAgainAndAgain_DoesNotKeepTheOtherExpiredEntriesInMemory()
    {
        // "p" is refused (dead-lettered) first, so it heads the expiry queue; refused again before it expires, its
        // time restarts without a new commit. "b" expires 5 minutes in and must be dropped then, not held for as
        // long as "p" keeps being refused.
        var store = new InMemoryStore<string>();
        store.PoisonKeys["p"] = true;
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock);
        await cache.SetAsync("p", "refused");
        Assert.Equal(1, (await cache.FlushAsync().Within()).FailedWrites);
        await cache.SetAsync("b", "v", WriteConsistency.Committed).AsTask().Within();
        await clock.WaitForTimerDueInAsync(Ttl, Harness.Within);

        var untilRefused = TimeSpan.FromMinutes(4);
        for (int round = 1; round <= 3; round++)
        {
            clock.Advance(untilRefused);
            await cache.SetAsync("p", $"refused again {round}");
            Assert.Equal(1, (await cache.FlushAsync().Within()).FailedWrites);
            clock.Advance(TimeSpan.FromMinutes(1)); // to the timer, set for "p"'s previous expiry
            await clock.WaitForTimerDueInAsync(TimeSpan.FromMinutes(4), Harness.Within); // swept; set for "p" again
            untilRefused = TimeSpan.FromMinutes(3);
        }

        // 13 minutes in: "b" outlived its time to live 8 minutes ago.
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("b"));
        Assert.Equal(WriteState.Failed, (await cache.GetStatusAsync("p")).State);
        Assert.Equal("v", await cache.GetAsync("b")); // loaded again
        Assert.Equal(1, store.LoadsOf("b"));
    }

    [Fact]
    public async Task WithoutReadThrough_AnExpiredKeyReadsAsAbsent()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock, o => o with { ReadThrough = false });
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();

        clock.Advance(Ttl);

        Assert.False((await cache.TryGetAsync("k")).Found);
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task Zero_KeepsEntries()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Cache(store, clock, o => o with { TimeToLive = TimeSpan.Zero });
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();

        clock.Advance(TimeSpan.FromDays(30));

        Assert.Equal("v", await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Theory]
    [InlineData(-1.0, "TimeToLive is -00:00:01; use 0 for no expiry or a positive duration.")]
    [InlineData(100 * 86400.0, "TimeToLive is 100.00:00:00; it must be at most")]
    public void Invalid_IsRefusedNamingTheSetting(double seconds, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => OptionsValidator.ThrowIfInvalid(new WriteBehindOptions { TimeToLive = TimeSpan.FromSeconds(seconds) }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ShorterThanTheClocksTick_ExpiresAfterOneTick_RatherThanNever()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, TimeToLive = TimeSpan.FromMilliseconds(100) }), new SecondTicks(clock));
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();

        clock.Advance(TimeSpan.FromSeconds(1)); // one tick of a clock that counts whole seconds

        Assert.Equal("v", await cache.GetAsync("k").AsTask().Within());
        Assert.Equal(1, store.LoadsOf("k"));
    }

    /// <summary>The manual clock read through timestamps of whole seconds (a provider with a coarse tick).</summary>
    private sealed class SecondTicks(ManualTimeProvider inner) : TimeProvider
    {
        public override long TimestampFrequency => 1;

        public override long GetTimestamp() => inner.GetTimestamp() / inner.TimestampFrequency;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>The manual clock, with timers that take whole milliseconds as the system's do (a due time is truncated to them).</summary>
    private sealed class MillisecondTimers(ManualTimeProvider inner) : TimeProvider
    {
        public override long TimestampFrequency => inner.TimestampFrequency;

        public override long GetTimestamp() => inner.GetTimestamp();

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new Timer(inner.CreateTimer(callback, state, Whole(dueTime), Whole(period)));

        private static TimeSpan Whole(TimeSpan time) =>
            time == Timeout.InfiniteTimeSpan ? time : TimeSpan.FromMilliseconds(Math.Floor(time.TotalMilliseconds));

        private sealed class Timer(ITimer inner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(Whole(dueTime), Whole(period));

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}

/// <summary>EvictAsync: the application drops a clean entry so that the next read loads the stored row.</summary>
public sealed class EvictTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes($"\"{text}\"");

    [Fact]
    public async Task Evict_ACleanEntry_TheNextReadLoadsTheRowAnotherProcessChanged()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        var written = await cache.SetAsync("k", "mine", WriteConsistency.Committed).AsTask().Within();
        store.Seed("k", Json("theirs"), written.Version + 1);
        Assert.Equal("mine", await cache.GetAsync("k"));

        Assert.True(await cache.EvictAsync("k"));

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k"));
        Assert.Equal("theirs", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
        Assert.True(store.Rows.ContainsKey("k"), "the store is not touched");
    }

    [Fact]
    public async Task Evict_AKeyWithAWriteNotCommitted_KeepsIt()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json("stored"), 1);
        store.Pause();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "mine");

        Assert.False(await cache.EvictAsync("k"));
        Assert.Equal("mine", await cache.GetAsync("k").AsTask().Within());

        store.Resume();
        await cache.FlushAsync().Within();
        Assert.Equal("mine", Harness.Text(store.Rows["k"].Value));
        Assert.True(await cache.EvictAsync("k"));
        Assert.False(await cache.EvictAsync("k"), "not cached any more");
        Assert.False(await cache.EvictAsync("never-written"));
    }

    [Fact]
    public async Task EvictAll_DropsEveryCleanEntry_AndKeepsThePendingOnes()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 4, Parallelism = 2 }));
        for (int i = 0; i < 20; i++)
        {
            await cache.SetAsync($"k{i}", "v1");
        }

        await cache.FlushAsync().Within();
        store.Pause();
        await cache.SetAsync("k0", "v2"); // pending: kept
        await cache.SetAsync("new", "v"); // pending: kept

        Assert.Equal(21, cache.GetStatistics().CachedEntries);
        Assert.Equal(19, await cache.EvictAllAsync().AsTask().Within());
        Assert.Equal(2, cache.GetStatistics().CachedEntries); // the two pending ones

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k1"));
        Assert.Equal("v2", await cache.GetAsync("k0").AsTask().Within());
        Assert.Equal("v", await cache.GetAsync("new").AsTask().Within());
        store.Resume();
        Assert.Equal("v1", await cache.GetAsync("k19").AsTask().Within()); // loaded again
        Assert.Equal(1, store.LoadsOf("k19"));
        await cache.FlushAsync().Within();
        Assert.Equal("v2", Harness.Text(store.Rows["k0"].Value));
    }

    [Fact]
    public async Task Evict_WhileALoadOfTheKeyRuns_TheLoadedRowIsNotCached_TheNextReadLoadsAgain()
    {
        var store = new SlowLoadStore();
        store.Inner.Seed("k", Json("old"), 1);
        await using var reading = new WriteBehindCache<string, string>(store, Harness.Options(), jitter: () => 0.0);
        var read = reading.GetAsync("k").AsTask();
        await store.Loaded.Task.Within(); // the load has read "old"
        store.Inner.Seed("k", Json("new"), 2); // another process changes the row, then says so

        Assert.False(await reading.EvictAsync("k").AsTask().Within(), "nothing cached to drop yet");
        store.Release.TrySetResult();

        Assert.Equal("new", await read.Within()); // the load that ran across the eviction is made again
        Assert.Equal("new", await reading.GetAsync("k").AsTask().Within());
    }

    [Fact]
    public async Task EvictAll_WhileALoadRuns_TheLoadedRowIsNotCached_TheNextReadLoadsAgain()
    {
        var store = new SlowLoadStore();
        store.Inner.Seed("k", Json("old"), 1);
        await using var reading = new WriteBehindCache<string, string>(store, Harness.Options(), jitter: () => 0.0);
        var read = reading.GetAsync("k").AsTask();
        await store.Loaded.Task.Within();
        store.Inner.Seed("k", Json("new"), 2);

        Assert.Equal(0, await reading.EvictAllAsync().AsTask().Within());
        store.Release.TrySetResult();

        Assert.Equal("new", await read.Within());
        Assert.Equal("new", await reading.GetAsync("k").AsTask().Within());
    }

    [Fact]
    public async Task EvictAll_DuringEveryLoad_AReaderIsStillAnswered_ByTheFirstLoadThatBeganAfterItsEviction()
    {
        // A job that evicts all now and then, with loads as slow as its period: before, each load the eviction ran
        // across was made again, and again, and the reader waited for ever.
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("v1"), 1);
        await using var reading = new WriteBehindCache<string, string>(store, Harness.Options(), jitter: () => 0.0);
        var read = reading.GetAsync("k").AsTask();

        var first = await store.NextLoadAsync();
        await reading.EvictAllAsync().AsTask().Within(); // across the first load: it is made again
        store.Inner.Seed("k", Json("v2"), 2);
        first.Release();

        var second = await store.NextLoadAsync(); // began after the eviction
        await reading.EvictAllAsync().AsTask().Within(); // and another one across it
        second.Release();

        Assert.Equal("v2", await read.Within()); // the reader took the row of the load begun after its eviction
        Assert.Equal(KeyStatus.NotCached, await reading.GetStatusAsync("k")); // not cached: an eviction ran across it

        store.Inner.Seed("k", Json("v3"), 3);
        var next = reading.GetAsync("k").AsTask();
        var third = await store.NextLoadAsync(); // the next read loads again
        third.Release();
        Assert.Equal("v3", await next.Within());
    }

    [Fact]
    public async Task Evict_DuringAReload_AReaderWhoJoinedAfterTheFirstEviction_WaitsForALoadBegunAfterTheSecond()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("v1"), 1);
        await using var reading = new WriteBehindCache<string, string>(store, Harness.Options(), jitter: () => 0.0);
        var early = reading.GetAsync("k").AsTask();

        var first = await store.NextLoadAsync();
        Assert.False(await reading.EvictAsync("k").AsTask().Within());
        first.Release();

        var second = await store.NextLoadAsync();
        var late = reading.GetAsync("k").AsTask(); // joins the reload
        store.Inner.Seed("k", Json("v2"), 2);
        Assert.False(await reading.EvictAsync("k").AsTask().Within()); // told of v2 after the reload read v1
        second.Release();

        Assert.Equal("v1", await early.Within()); // its read ran across the second eviction: either row is right
        var third = await store.NextLoadAsync();
        Assert.False(late.IsCompleted, "the late reader joined before the eviction of v1: it waits for a load begun after it");
        third.Release();
        Assert.Equal("v2", await late.Within());
        Assert.Equal("v2", await reading.GetAsync("k").AsTask().Within()); // cached now
        Assert.Equal(3, Volatile.Read(ref store.Loads));
    }

    [Fact]
    public async Task Evict_WithATokenAlreadyCancelled_DropsNothing()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "v", WriteConsistency.Committed).AsTask().Within();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.EvictAsync("k", cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.EvictAllAsync(cancelled.Token).AsTask());

        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("k")).State);
    }

    [Fact]
    public async Task Evict_AfterShutdown_IsRefused()
    {
        var cache = Harness.Cache(new InMemoryStore<string>());
        await cache.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.EvictAsync("k").AsTask());
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.EvictAllAsync().AsTask());
    }
}

/// <summary>The <c>writebehind.entries.removed</c> counter: clean entries dropped, by reason.</summary>
public sealed class EntriesRemovedMetricTests : IDisposable
{
    private readonly string _name = "entries-removed-" + Guid.NewGuid().ToString("N");
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<string?> _reasons = new();

    public EntriesRemovedMetricTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WriteBehindAkka.Diagnostics.WriteBehindMetrics.MeterName && instrument.Name == "writebehind.entries.removed")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? cache = null, reason = null;
            foreach (var tag in tags)
            {
                cache = tag.Key == "writebehind.cache" ? tag.Value as string : cache;
                reason = tag.Key == "writebehind.reason" ? tag.Value as string : reason;
            }

            if (cache == _name)
            {
                for (long i = 0; i < value; i++)
                {
                    _reasons.Enqueue(reason);
                }
            }
        });
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Harness.Within;
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task EvictedAndExpiredEntries_AreCountedByReason()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        var options = Harness.Options(o => o with { ShardCount = 1, MaxCachedEntries = 2, TimeToLive = TimeSpan.FromMinutes(1), ShutdownTimeout = TimeSpan.Zero });
        await using var cache = new WriteBehindCache<string, string>(store, options, timeProvider: clock, jitter: () => 0.0, name: _name);
        foreach (var key in new[] { "a", "b", "c" })
        {
            await cache.SetAsync(key, "v", WriteConsistency.Committed).AsTask().Within(); // "a" is evicted when "c" lands
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        await cache.GetAsync("b").AsTask().Within(); // expired: dropped, then loaded again
        Assert.True(await cache.EvictAsync("b")); // loaded again just now: dropped on request
        await WaitUntilAsync(() => _reasons.Count(r => r == "expired") == 2); // "c", by the shard's expiry timer

        Assert.Equal(["evicted", "expired", "expired", "requested"], _reasons.Order());
    }
}

/// <summary>The <c>writebehind.entries.cached</c> gauge: entries held in memory, pending and clean.</summary>
public sealed class EntriesCachedMetricTests
{
    [Fact]
    public async Task TheGauge_CountsPendingAndCleanEntries_AndDropsWithEvictions()
    {
        string name = "entries-cached-" + Guid.NewGuid().ToString("N");
        var store = new InMemoryStore<string>();
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(), name: name, jitter: () => 0.0);
        await cache.SetAsync("a", "v", WriteConsistency.Committed).AsTask().Within();
        store.Pause();
        await cache.SetAsync("b", "v");

        Assert.Equal(2, Read(name));
        Assert.True(await cache.EvictAsync("a"));
        Assert.Equal(1, Read(name));
        store.Resume();
    }

    private static long Read(string cache)
    {
        long? seen = null;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WriteBehindAkka.Diagnostics.WriteBehindMetrics.MeterName && instrument.Name == "writebehind.entries.cached")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "writebehind.cache" && (string?)tag.Value == cache)
                {
                    seen = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return seen ?? throw new InvalidOperationException("the gauge did not report the cache");
    }
}
