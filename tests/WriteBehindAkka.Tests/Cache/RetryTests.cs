using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Transient and configuration errors: retried with backoff, bounded per record, never multiplying records.</summary>
public sealed class RetryTests
{
    [Fact]
    public async Task TransientErrors_EveryBatchGivenUpOn_HealthCountsTheOutageFromItsFirstFailure_AQuietSpellStartsAnew()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(5);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { Restart = o.Restart with { MaxRestarts = 1 } }), clock);

        await cache.SetAsync("k1", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        clock.Advance(TimeSpan.FromMilliseconds(100)); // the retry fails too: "k1" is given up on
        Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());
        var afterFirst = cache.GetHealth();
        clock.Advance(TimeSpan.FromSeconds(1));
        await cache.SetAsync("k2", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        var duringSecond = cache.GetHealth();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());
        var afterSecond = cache.GetHealth();
        clock.Advance(TimeSpan.FromHours(1)); // quiet: nothing written
        var quiet = cache.GetHealth();
        await cache.SetAsync("k3", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        var afterQuiet = cache.GetHealth();
        clock.Advance(TimeSpan.FromMilliseconds(100)); // the retry commits
        await cache.FlushAsync().Within();
        var afterCommit = cache.GetHealth();

        // Given up on, the outage still shows while the next batch is on its way, and that batch's failure continues it.
        Assert.Equal((CacheHealth.Degraded, StoreErrorKind.Transient, TimeSpan.FromMilliseconds(100)), (afterFirst.Status, afterFirst.FailureKind, afterFirst.FailingFor));
        Assert.Equal((CacheHealth.Degraded, TimeSpan.FromMilliseconds(1100)), (duringSecond.Status, duringSecond.FailingFor));
        Assert.Equal((CacheHealth.Degraded, TimeSpan.FromMilliseconds(1200)), (afterSecond.Status, afterSecond.FailingFor));
        Assert.Equal(CacheHealth.Healthy, quiet.Status); // an hour without a failure: the outage is over
        Assert.Equal((CacheHealth.Degraded, TimeSpan.Zero), (afterQuiet.Status, afterQuiet.FailingFor)); // a new outage, not one of an hour
        Assert.Equal(CacheHealth.Healthy, afterCommit.Status);
    }

    [Fact]
    public async Task ConfigurationError_WhoseMessageStartsWithItsCode_HealthNamesTheCodeOnce()
    {
        // Npgsql's PostgresException.Message starts with the SQLSTATE ("42P01: relation ..."): health read "42P01: 42P01: ...".
        var store = new InMemoryStore<string>();
        store.FailNext(1, new SimulatedStoreException(StoreErrorKind.Configuration, "42P01: relation \"t\" does not exist") { Code = "42P01" });
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(), clock);

        await cache.SetAsync("k", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        var degraded = cache.GetHealth();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await cache.FlushAsync().Within();

        Assert.Contains("(42P01: relation \"t\" does not exist; 1 failed attempts)", degraded.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigurationError_OutlastsRestartBudget_RetriedNotDeadLetteredAndHealthDegraded()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(3, new SimulatedStoreException(StoreErrorKind.Configuration, "relation \"t\" does not exist") { Code = "42P01" });
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { Restart = o.Restart with { MaxRestarts = 1 } }), clock);

        await cache.SetAsync("k", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(200), Harness.Within);
        var degraded = cache.GetHealth();
        clock.Advance(TimeSpan.FromMilliseconds(200));
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(400), Harness.Within);
        clock.Advance(TimeSpan.FromMilliseconds(400));
        var flush = await cache.FlushAsync().Within();

        Assert.Equal(new FlushResult(0), flush);
        Assert.Equal(4, store.Attempts);
        Assert.Empty(store.DeadLetters.Letters);
        Assert.Equal(
            new CacheHealthReport(
                CacheHealth.Degraded,
                "The store refuses every write because of how it is set up, not because of the data (42P01: relation \"t\" does not exist; 2 failed attempts); 1 pending writes (3 bytes) are kept and retried with backoff until it is fixed: check the table, its columns, the privileges and the credentials.",
                StoreErrorKind.Configuration,
                "relation \"t\" does not exist",
                "42P01",
                TimeSpan.FromMilliseconds(100),
                1,
                3),
            degraded);
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task TransientOutage_DefaultUnlimitedRetries_WaitedOutWithBacklogBounded()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(6);
        var clock = new ManualTimeProvider();
        // Batches of 3: the first batch is emitted on size, so its records never split over groups.
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, Parallelism = 1, MaxPendingEntries = 3, MaxBatchSize = 3 }), clock);
        for (int i = 0; i < 3; i++)
        {
            await cache.SetAsync($"k{i}", "v");
        }

        var waiting = cache.SetAsync("k3", "v").AsTask();
        bool told = cache.TrySet("k4", "v");
        foreach (int ms in new[] { 100, 200, 400, 800, 1000, 1000 })
        {
            await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(ms), Harness.Within);
            var health = cache.GetHealth();
            Assert.Equal((CacheHealth.Degraded, StoreErrorKind.Transient, 3L), (health.Status, health.FailureKind, health.PendingEntries));
            Assert.False(waiting.IsCompleted);
            clock.Advance(TimeSpan.FromMilliseconds(ms));
        }

        await waiting.Within();
        // The flush sends k3's partial batch at once: no need to move the clock past MaxBatchDelay.
        Assert.Equal(new FlushResult(0), await cache.FlushAsync().Within());
        Assert.False(told);
        Assert.Equal(["k0", "k1", "k2", "k3"], store.Rows.Keys.Order());
        Assert.Empty(store.DeadLetters.Letters);
    }

    [Fact]
    public async Task TransientErrors_RestartBudgetTravelsWithRecordsThroughBisection()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["p"] = true;
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(
            store,
            Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 4, Restart = o.Restart with { MaxRestarts = 2 } }),
            clock);
        store.FailNext(2);

        // The half [a, p] of the split batch fails transiently: its records already had both of their retries.
        store.FailWhen = batch => batch.Count == 2 && batch.Any(r => r.Key == "p") ? new SimulatedStoreException() : null;
        foreach (var key in new[] { "a", "p", "b", "c" })
        {
            await cache.SetAsync(key, "v");
        }

        var flush = cache.FlushAsync();
        await store.ExpectBatchAsync(Harness.Within);
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(200), Harness.Within);
        clock.Advance(TimeSpan.FromMilliseconds(200));

        Assert.Equal(new FlushResult(2), await flush.Within());
        Assert.Equal(["b", "c"], store.Rows.Keys.Order());
        var letters = store.DeadLetters.Letters;
        Assert.Equal(["a", "p"], letters.Keys.Order());
        Assert.All(letters.Values, letter => Assert.Equal((StoreErrorKind.Transient, "Simulated transient store error."), (letter.ErrorKind, letter.Error)));
        Assert.Equal(5, store.Attempts);
    }

    [Fact]
    public async Task TransientErrors_RetryLoopNeverMultipliesRecords()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(5);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 100 }), clock);
        for (int i = 0; i < 100; i++)
        {
            await cache.SetAsync($"k{i}", "v");
        }

        var attempts = new List<IReadOnlyList<WriteRecord<string>>> { await store.ExpectBatchAsync(Harness.Within) };
        foreach (int ms in new[] { 100, 200, 400, 800, 1000 })
        {
            await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(ms), Harness.Within);
            Assert.Equal(100, cache.GetStatistics().PendingEntries);
            clock.Advance(TimeSpan.FromMilliseconds(ms));
            attempts.Add(await store.ExpectBatchAsync(Harness.Within));
        }

        await cache.FlushAsync().Within();

        Assert.Equal(6, attempts.Count);
        Assert.All(attempts, attempt => Assert.Equal(attempts[0].Select(Describe), attempt.Select(Describe)));
        Assert.Equal(100, attempts[0].Select(r => r.Key).Distinct().Count());
        Assert.Equal(100, store.CommittedBatches.Sum(b => b.Count));
        Assert.False(store.HasUnexpectedBatch());

        static (string, WriteOperation, string, long) Describe(WriteRecord<string> r) => (r.Key, r.Operation, Harness.Text(r.Value), r.Version);
    }

    [Fact]
    public async Task FlushAsync_ReportsTheFailuresOfWritesSinceThePreviousFlush()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad1"] = true;
        store.PoisonKeys["bad2"] = true;
        await using var cache = Harness.Cache(store);

        await cache.SetAsync("bad1", "v");
        await cache.SetAsync("good", "v");
        var first = await cache.FlushAsync().Within();
        var second = await cache.FlushAsync().Within();
        await cache.SetAsync("bad2", "v");
        var third = await cache.FlushAsync().Within();

        Assert.Equal((1L, 0L, 1L), (first.FailedWrites, second.FailedWrites, third.FailedWrites));
        Assert.Equal(2, cache.GetStatistics().FailedKeys);
    }

    [Fact]
    public async Task FlushAsync_FlushesOverlappingInAChain_EachFailureIsReportedByTheFlushesAskedForBeforeItWasReported()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        using var slowGate = new SemaphoreSlim(0);
        store.FailWhen = batch =>
        {
            if (batch.Any(r => r.Key == "slow"))
            {
                slowGate.Wait(Harness.Within); // "slow" commits only when the test says so
            }

            return null;
        };
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));

        await cache.SetAsync("bad", "v");
        var a = cache.FlushAsync();
        Assert.Equal("bad", Assert.Single(await store.ExpectBatchAsync(Harness.Within)).Key);
        await cache.SetAsync("slow", "v");
        var b = cache.FlushAsync();
        store.Resume(); // "bad" fails: a completes, b still waits for "slow"
        var first = await a.Within();
        var c = cache.FlushAsync();
        slowGate.Release(); // "slow" commits
        var (second, third) = (await b.Within(), await c.Within());
        var fourth = await cache.FlushAsync().Within();

        // a and b were asked for before a reported the failure; c was asked for after.
        Assert.Equal((1L, 1L, 0L, 0L), (first.FailedWrites, second.FailedWrites, third.FailedWrites, fourth.FailedWrites));
    }

    [Fact]
    public async Task BatchTooBigToCommitWithinTheTimeout_IsSplitUntilItsPartsCommit_NothingDeadLettered()
    {
        // The store times out on any batch of more than 2 records (a statement_timeout, triggers): retried whole,
        // such a batch would never commit; split after repeated timeouts, its parts do.
        var store = new InMemoryStore<string>();
        store.FailWhen = batch => batch.Count > 2 ? new TimeoutException("the batch took longer than the command timeout") : null;
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 16 }));
        var writes = Enumerable.Range(0, 8).Select(i => cache.SetAsync($"k{i}", "v", WriteConsistency.Committed).AsTask()).ToArray();
        Assert.Equal(8, (await store.ExpectBatchAsync(Harness.Within)).Count);

        store.Resume();
        await Task.WhenAll(writes).Within();

        Assert.Equal(8, store.Rows.Count);
        Assert.All(store.CommittedBatches, batch => Assert.True(batch.Count <= 2));
        Assert.Equal(0, await store.DeadLetters.CountAsync(CancellationToken.None));
        Assert.Equal(new FlushResult(0), await cache.FlushAsync().Within());
    }

    [Fact]
    public async Task TimeoutsNotInARow_TheBatchIsRetriedWhole()
    {
        // Timeouts between other transient failures (a flapping connection) say nothing about the batch's size.
        var store = new InMemoryStore<string>();
        int attempts = 0;
        store.FailWhen = _ => ++attempts switch
        {
            1 or 3 or 5 => new TimeoutException("slow"),
            2 or 4 => new IOException("connection reset"),
            _ => null,
        };
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 16 }));
        var writes = Enumerable.Range(0, 4).Select(i => cache.SetAsync($"k{i}", "v", WriteConsistency.Committed).AsTask()).ToArray();
        Assert.Equal(4, (await store.ExpectBatchAsync(Harness.Within)).Count);

        store.Resume();
        await Task.WhenAll(writes).Within();

        Assert.Equal(4, Assert.Single(store.CommittedBatches).Count);
    }

    [Fact]
    public async Task FlushAsync_TwoOverlappingFlushes_BothReportAFailureAcceptedBeforeThem()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.Pause();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("bad", "v");
        await store.ExpectBatchAsync(Harness.Within);

        var first = cache.FlushAsync();
        var second = cache.FlushAsync();
        store.Resume();

        Assert.Equal((1L, 1L), ((await first.Within()).FailedWrites, (await second.Within()).FailedWrites));
        Assert.Equal(0L, (await cache.FlushAsync().Within()).FailedWrites);
    }

    [Fact]
    public async Task FlushAsync_CancelledBeforeAFailureLands_TheNextFlushReportsIt()
    {
        // The cancelled flush's caller never sees a count; its shard used to report the failure to it all the same,
        // and the next flush, asked for after the write failed, then said AllCommitted.
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));
        await cache.SetAsync("bad", "v");
        using var giveUp = new CancellationTokenSource();
        var cancelled = cache.FlushAsync(giveUp.Token);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        store.Resume();
        await WaitUntilFailedAsync(cache, "bad");

        Assert.Equal(1L, (await cache.FlushAsync().Within()).FailedWrites);
        Assert.Equal(0L, (await cache.FlushAsync().Within()).FailedWrites);
    }

    [Fact]
    public async Task FlushAsync_CancelledWhileAnEarlierFlushReportsAFailure_TheNextFlushDoesNotReportItAgain()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));
        await cache.SetAsync("bad", "v");
        var first = cache.FlushAsync();
        using var giveUp = new CancellationTokenSource();
        var cancelled = cache.FlushAsync(giveUp.Token);
        giveUp.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        store.Resume();

        Assert.Equal(1L, (await first.Within()).FailedWrites);
        Assert.Equal(0L, (await cache.FlushAsync().Within()).FailedWrites);
    }

    private static async Task WaitUntilFailedAsync(WriteBehindCache<string, string> cache, string key)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((await cache.GetStatusAsync(key)).State != WriteState.Failed)
        {
            Assert.True(waited.Elapsed < Harness.Within, $"{key} never failed");
            await Task.Delay(5);
        }
    }
}
