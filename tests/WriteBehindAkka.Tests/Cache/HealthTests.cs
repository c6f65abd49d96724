using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class HealthTests
{
    [Fact]
    public async Task GetHealth_WritingNormally_Healthy()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "v");
        await cache.FlushAsync().Within();

        Assert.Equal(
            new CacheHealthReport(CacheHealth.Healthy, "Writing normally; 0 pending writes (0 bytes) are kept.", null, null, null, TimeSpan.Zero, 0, 0),
            cache.GetHealth());
    }

    [Fact]
    public async Task GetHealth_StoreCallThatNeverReturns_DegradedOnceItHasRunAMinute_HealthyWhenItReturns()
    {
        // The cache sets no timeout on a store call: a call that hangs holds its lane. Its health must say so, rather
        // than "Writing normally" while nothing is written; and the write is not lost when the call returns.
        var store = new InMemoryStore<string>();
        store.Pause();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(), clock);
        await cache.SetAsync("k", "v");
        await store.ExpectBatchAsync(Harness.Within);

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);

        clock.Advance(TimeSpan.FromSeconds(2));
        var health = cache.GetHealth();
        Assert.Equal(
            (CacheHealth.Degraded, StoreErrorKind.Transient, TimeSpan.FromSeconds(61)),
            (health.Status, health.FailureKind, health.FailingFor));
        Assert.Equal(
            "A store write has not returned for 61.0 s (1 records): the cache sets no timeout of its own, so its lane waits for it and writes nothing else; give the store a timeout (PostgreSqlStoreOptions.CommandTimeout, for PostgreSQL). 1 pending writes (3 bytes) are kept and written once it returns or fails.",
            health.Description);

        store.Resume();
        await cache.FlushAsync().Within();
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
        Assert.True(store.Rows.ContainsKey("k"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetHealth_ReadThroughLoadThatNeverReturns_DegradedOnceItHasRunAMinute_HealthyWhenItReturns(bool many)
    {
        // A load that hangs holds every reader of its keys (only their own tokens end their wait); health said
        // "Writing normally" while those reads never answered.
        var store = new GatedLoadStore();
        store.Inner.Seed("a", System.Text.Encoding.UTF8.GetBytes("\"x\""), 1);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }), clock);
        Task read = many ? cache.GetManyAsync(["a", "b"]).AsTask() : cache.GetAsync("a").AsTask();
        var load = await store.NextLoadAsync();

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);

        clock.Advance(TimeSpan.FromSeconds(2));
        var health = cache.GetHealth();
        Assert.Equal(
            (CacheHealth.Degraded, StoreErrorKind.Transient, TimeSpan.Zero),
            (health.Status, health.FailureKind, health.FailingFor)); // no write is failing
        Assert.Equal(
            $"A read-through load has not returned for 61.0 s ({(many ? 2 : 1)} keys): the cache sets no timeout of its own, so the reads of its keys wait for it (each until its own token ends the wait); give the store a timeout (PostgreSqlStoreOptions.CommandTimeout, for PostgreSQL). Writes are kept and written as usual.",
            health.Description);

        load.Release();
        await read.Within();
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task GetHealth_DeadLetterWriteThatNeverReturns_DegradedOnceItHasRunAMinute()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sink = new CallbackDeadLetterSink<string>(async (_, _) =>
        {
            called.TrySetResult();
            await release.Task;
        });
        var clock = new ManualTimeProvider();
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.Zero }), timeProvider: clock, deadLetters: sink, jitter: () => 0.0);
        await cache.SetAsync("bad", "v");
        await called.Task.Within();

        clock.Advance(TimeSpan.FromSeconds(61));
        var health = cache.GetHealth();
        Assert.Equal((CacheHealth.Degraded, TimeSpan.FromSeconds(61)), (health.Status, health.FailingFor));
        Assert.StartsWith("A dead-letter write has not returned for 61.0 s (1 letters)", health.Description);

        release.SetResult();
        await cache.FlushAsync().Within();
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Theory]
    [InlineData(-1, "until the store is back (Restart.MaxRestarts is unlimited: none is given up on).")]
    [InlineData(1000, "and a record whose restart budget is spent is dead-lettered.")]
    public async Task GetHealth_StoreFailingTransiently_SaysWhetherRecordsAreGivenUpOn(int maxRestarts, string ending)
    {
        // With the default unlimited budget an outage is waited out: nothing is dead-lettered, and health says so.
        var store = new InMemoryStore<string>();
        store.FailNext(1000);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { Restart = o.Restart with { MaxRestarts = maxRestarts } }), clock);
        await cache.SetAsync("k", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);

        var health = cache.GetHealth();

        Assert.Equal(
            (CacheHealth.Degraded, "The store has been failing for 0.0 s, since its last commit (Simulated transient store error.; 1 failed attempts); 1 pending writes (3 bytes) are kept and retried with backoff, " + ending),
            (health.Status, health.Description));
    }

    [Fact]
    public async Task GetHealth_BacklogAtBound_DegradedWithTheBound()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2 }));
        await cache.SetAsync("a", "v");
        await cache.SetAsync("b", "v");

        var health = cache.GetHealth();
        store.Resume();

        Assert.Equal(
            (CacheHealth.Degraded, "The backlog is at its bound (2 of 2 entries, 6 of 268435456 bytes): writers wait or are refused until the store catches up."),
            (health.Status, health.Description));
    }

    [Fact]
    public async Task GetHealth_MostRecentWritesRefused_DegradedWithTheCountAndTheLastErrorUntilTheyAgeOut()
    {
        // A store that answers at once and refuses most records (a NOT NULL column the mapping leaves out, a store
        // disposed under the cache): each record is split out and dead-lettered, nothing is being retried, and
        // health said "Writing normally".
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, time: clock);
        for (int i = 0; i < 12; i++)
        {
            store.PoisonKeys[$"bad{i}"] = true;
            await cache.SetAsync($"bad{i}", "v");
        }

        await cache.SetAsync("good0", "v");
        await cache.SetAsync("good1", "v");
        Assert.Equal(new FlushResult(12), await cache.FlushAsync().Within());

        var degraded = cache.GetHealth();
        clock.Advance(TimeSpan.FromSeconds(50)); // still within the minute
        var stillDegraded = cache.GetHealth().Status;
        clock.Advance(TimeSpan.FromSeconds(11));
        var aged = cache.GetHealth();

        Assert.Equal((CacheHealth.Degraded, StoreErrorKind.Permanent, InMemoryStore<string>.PoisonCode), (degraded.Status, degraded.FailureKind, degraded.ErrorCode));
        Assert.Matches(@"^Poison key 'bad\d+' refused\.$", degraded.LastError);
        Assert.Equal(
            $"Writes are failing for good: 12 of the 14 records written in the last minute failed (23514: {degraded.LastError}) and were dead-lettered " +
            "(or, without a dead-letter sink, left Failed); check the data and the table (constraints, columns the store does not write) and the dead letters.",
            degraded.Description);
        Assert.Equal((TimeSpan.Zero, 0L, 0L), (degraded.FailingFor, degraded.PendingEntries, degraded.PendingBytes));
        Assert.Equal(CacheHealth.Degraded, stillDegraded);
        Assert.Equal(new CacheHealthReport(CacheHealth.Healthy, "Writing normally; 0 pending writes (0 bytes) are kept.", null, null, null, TimeSpan.Zero, 0, 0), aged);
    }

    [Fact]
    public async Task GetHealth_StoreDisposedUnderTheCache_Degraded()
    {
        var store = new InMemoryStore<string> { FailWhen = _ => new ObjectDisposedException("InMemoryStore") };
        await using var cache = Harness.Cache(store, time: new ManualTimeProvider());
        for (int i = 0; i < 10; i++)
        {
            await cache.SetAsync($"k{i}", "v");
        }

        Assert.Equal(new FlushResult(10), await cache.FlushAsync().Within());
        var health = cache.GetHealth();

        Assert.Equal((CacheHealth.Degraded, StoreErrorKind.Permanent), (health.Status, health.FailureKind));
        Assert.StartsWith("Writes are failing for good: 10 of the 10 records written in the last minute failed (Cannot access a disposed object.", health.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9, 0)] // too few to say more than that some records are bad
    [InlineData(10, 11)] // fewer refused than committed: dead letters doing their job
    public async Task GetHealth_FewOrAMinorityOfWritesRefused_Healthy(int refused, int committed)
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, time: new ManualTimeProvider());
        for (int i = 0; i < refused; i++)
        {
            store.PoisonKeys[$"bad{i}"] = true;
            await cache.SetAsync($"bad{i}", "v");
        }

        for (int i = 0; i < committed; i++)
        {
            await cache.SetAsync($"good{i}", "v");
        }

        Assert.Equal(new FlushResult(refused), await cache.FlushAsync().Within());

        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task GetHealth_AFailedWriteTheDeadLetterSinkRefused_DegradedUntilTheKeyIsWrittenAgain()
    {
        // One refused record whose letter the sink refused too is in neither the store nor the dead letters: health
        // said "Writing normally" (one refusal is under the refusals' threshold).
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(1, new SimulatedStoreException(WriteBehindAkka.Storage.StoreErrorKind.Permanent, "letter refused"));
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("bad", "v");
        await cache.SetAsync("good", "v");
        await cache.FlushAsync().Within();

        var health = cache.GetHealth();

        Assert.Equal(CacheHealth.Degraded, health.Status);
        Assert.StartsWith("1 failed writes are recorded only in this process's memory: the store refused them and the dead-letter sink refused their letters", health.Description, StringComparison.Ordinal);
        Assert.Equal(WriteBehindAkka.Storage.StoreErrorKind.Permanent, health.FailureKind);

        store.PoisonKeys.TryRemove("bad", out _);
        await cache.SetAsync("bad", "fixed");
        await cache.FlushAsync().Within();
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task GetHealth_ReadThroughLoadsFailing_DegradedUntilMoreLoadsSucceed()
    {
        // An idle service over a database that is down: every read of a key the cache did not hold threw, and
        // health said "Writing normally".
        var store = new InMemoryStore<string>();
        store.LoadFailWhen = _ => new SimulatedStoreException(WriteBehindAkka.Storage.StoreErrorKind.Transient, "connection refused") { Code = "08001" };
        await using var cache = Harness.Cache(store);
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync($"missing{i}").AsTask());
        }

        var health = cache.GetHealth();

        Assert.Equal(CacheHealth.Degraded, health.Status);
        Assert.Equal("Reads are failing: 3 of the 3 read-through loads in the last minute failed (08001: connection refused), so reads of keys the cache does not hold throw InvalidOperationException; writes are kept and written as usual. Check the store.", health.Description);
        Assert.Equal((WriteBehindAkka.Storage.StoreErrorKind.Transient, "08001"), (health.FailureKind, health.ErrorCode));

        store.LoadFailWhen = null;
        for (int i = 0; i < 4; i++)
        {
            Assert.Null(await cache.GetAsync($"other{i}"));
        }

        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task GetHealth_ShutDown_Unhealthy()
    {
        var cache = Harness.Cache(new InMemoryStore<string>());
        await cache.ShutdownAsync().Within();

        Assert.Equal(
            new CacheHealthReport(CacheHealth.Unhealthy, "The cache 'default' is shut down and accepts no writes.", null, null, null, TimeSpan.Zero, 0, 0),
            cache.GetHealth());
    }
}
