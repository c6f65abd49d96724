using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Hosting.Lifetime;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Health;

public sealed class WriteBehindHealthCheckTests
{
    [Fact]
    public async Task CheckHealth_HostNotStarted_IsUnhealthy()
    {
        using var host = Build(new InMemoryStore<string>());

        var health = await TestHost.HealthOf(host);

        Assert.Equal((HealthStatus.Unhealthy, "Cache 'default' has not started: the host has not started it yet (a service provider that no host starts needs StartWriteBehindCachesAsync())."), (health.Status, health.Description));
    }

    [Fact]
    public async Task CheckHealth_RunningWithASmallBacklog_IsHealthy()
    {
        var store = new InMemoryStore<string>();
        using var host = Build(store);
        await host.StartAsync();
        store.Pause();
        await Cache(host).SetAsync("a", "1");

        var health = await TestHost.HealthOf(host);

        Assert.Equal((HealthStatus.Healthy, "Cache 'default' is running: 1 entries pending."), (health.Status, health.Description));
        Assert.Equal(["writebehind"], health.Tags);
        store.Resume();
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_BacklogAboveThreshold_IsDegradedAndHealthyAgainOnceDrained()
    {
        var store = new InMemoryStore<string>();
        using var host = Build(store, configure: cache => cache.WithHealthCheck(h => h.BacklogThreshold = 2));
        await host.StartAsync();
        store.Pause();
        await Cache(host).SetAsync("a", "1");
        await Cache(host).SetAsync("b", "2");
        await Cache(host).SetAsync("c", "3");

        var degraded = await TestHost.HealthOf(host);
        store.Resume();
        await Cache(host).FlushAsync().WaitAsync(TestHost.Within);
        var healthy = await TestHost.HealthOf(host);

        Assert.Equal((HealthStatus.Degraded, "Cache 'default' is degraded: 3 entries pending, above the threshold of 2."), (degraded.Status, degraded.Description));
        Assert.Equal(3L, degraded.Data["pendingEntries"]);
        Assert.Equal((HealthStatus.Healthy, "Cache 'default' is running: 0 entries pending."), (healthy.Status, healthy.Description));
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_StoreFailingLongerThanThreshold_IsDegraded()
    {
        var clock = new ManualTimeProvider();
        var store = new InMemoryStore<string>();
        store.FailNext(1000);
        using var host = Build(store, clock, cache => cache.WithHealthCheck(h => h.StoreFailureThreshold = TimeSpan.FromSeconds(30)));
        await host.StartAsync();
        await Cache(host).SetAsync("a", "1");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(1), TestHost.Within); // the first attempt failed; the retry waits 1 s

        var atFirstFailure = await TestHost.HealthOf(host);
        clock.Advance(TimeSpan.FromSeconds(30));
        var atThreshold = await TestHost.HealthOf(host);
        clock.Advance(TimeSpan.FromSeconds(1));
        var pastThreshold = await TestHost.HealthOf(host);

        Assert.Equal(HealthStatus.Healthy, atFirstFailure.Status);
        Assert.Equal(HealthStatus.Healthy, atThreshold.Status);
        Assert.Equal(HealthStatus.Degraded, pastThreshold.Status);
        Assert.StartsWith(
            "Cache 'default' is degraded: writes have been failing for 31 s (threshold 30 s): The store has been failing for 31.0 s, since its last commit (",
            pastThreshold.Description,
            StringComparison.Ordinal);
        Assert.Equal(31.0, pastThreshold.Data["storeFailingForSeconds"]);
        await StopAsync(host);
    }

    [Fact]
    public async Task CheckHealth_StoreRecovers_ClearsTheFailure()
    {
        var clock = new ManualTimeProvider();
        var store = new InMemoryStore<string>();
        store.FailNext(2);
        using var host = Build(store, clock, cache => cache.WithHealthCheck(h => h.StoreFailureThreshold = TimeSpan.FromMilliseconds(500)));
        await host.StartAsync();
        await Cache(host).SetAsync("a", "1");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(1), TestHost.Within); // attempt 1 failed
        clock.Advance(TimeSpan.FromSeconds(1));
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(1), TestHost.Within); // attempt 2 failed
        var degraded = await TestHost.HealthOf(host);

        clock.Advance(TimeSpan.FromSeconds(1)); // attempt 3 commits
        await Cache(host).FlushAsync().WaitAsync(TestHost.Within);
        var healthy = await TestHost.HealthOf(host);

        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.StartsWith("Cache 'default' is degraded: writes have been failing for 1 s (threshold 0.5 s): The store has been failing", degraded.Description, StringComparison.Ordinal);
        Assert.Equal((HealthStatus.Healthy, "Cache 'default' is running: 0 entries pending."), (healthy.Status, healthy.Description));
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_StoreMisconfigured_IsDegradedAtOnceWithTheCodeAndTheFix()
    {
        var clock = new ManualTimeProvider();
        var store = new InMemoryStore<string>();
        store.FailNext(1000, new SimulatedStoreException(Storage.StoreErrorKind.Configuration, "relation \"scores\" does not exist") { Code = "42P01" });
        using var host = Build(store, clock, cache => cache.WithHealthCheck(h => h.StoreFailureThreshold = TimeSpan.FromSeconds(30)));
        await host.StartAsync();
        await Cache(host).SetAsync("a", "1");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(1), TestHost.Within); // the first attempt failed; the retry waits 1 s

        var health = await TestHost.HealthOf(host);

        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal(
            "Cache 'default' is degraded: The store refuses every write because of how it is set up, not because of the data (42P01: relation \"scores\" does not exist; 1 failed attempts); " +
            "1 pending writes (3 bytes) are kept and retried with backoff until it is fixed: check the table, its columns, the privileges and the credentials.",
            health.Description);
        await StopAsync(host);
    }

    [Fact]
    public async Task CheckHealth_MostRecentWritesRefused_IsDegradedAtOnceWithTheCachesAccount()
    {
        // Every record refused for its data and dead-lettered one by one (a NOT NULL column the mapping leaves out):
        // nothing is retried and nothing waits, and the check said the cache was running normally.
        var store = new InMemoryStore<string>();
        using var host = Build(store, new ManualTimeProvider());
        await host.StartAsync();
        for (int i = 0; i < 10; i++)
        {
            store.PoisonKeys[$"bad{i}"] = true;
            await Cache(host).SetAsync($"bad{i}", "1");
        }

        await Cache(host).FlushAsync().WaitAsync(TestHost.Within);
        var health = await TestHost.HealthOf(host);
        var own = Cache(host).GetHealth();

        Assert.Equal((HealthStatus.Degraded, CacheHealth.Degraded), (health.Status, own.Status));
        Assert.Equal($"Cache 'default' is degraded: {own.Description}", health.Description);
        Assert.StartsWith("Writes are failing for good: 10 of the 10 records written in the last minute failed (23514: Poison key 'bad", own.Description, StringComparison.Ordinal);
        Assert.Equal((10L, 0.0), (health.Data["failedKeys"], health.Data["storeFailingForSeconds"]));
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_ReadThroughLoadsFailing_IsDegradedAtOnce()
    {
        // An idle service over a database that is down: every read of a key the cache did not hold failed (500s from
        // the service), and the check said the cache was running, the error being a transient one.
        var store = new InMemoryStore<string>();
        store.LoadFailWhen = _ => new SimulatedStoreException(Storage.StoreErrorKind.Transient, "connection refused");
        using var host = Build(store);
        await host.StartAsync();
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => Cache(host).GetAsync($"missing{i}").AsTask());
        }

        var health = await TestHost.HealthOf(host);

        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal("Cache 'default' is degraded: Reads are failing: 3 of the 3 read-through loads in the last minute failed (connection refused), so reads of keys the cache does not hold throw InvalidOperationException; writes are kept and written as usual. Check the store.", health.Description);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CheckHealth_JournalAtMaxJournalBytes_IsDegraded(bool storeFailing)
    {
        var folder = Path.Combine(Path.GetTempPath(), "wb-health-journal-" + Guid.NewGuid().ToString("N"));
        try
        {
            var store = new InMemoryStore<string>();
            using var host = Build(store, configure: cache => cache.Configure(o => o with
            {
                Journal = new WriteBehindAkka.Journal.JournalOptions { Directory = folder, SegmentBytes = 4096, MaxJournalBytes = 8192 },
            }));
            await host.StartAsync();
            bool failing = storeFailing;
            store.FailWhen = _ => Volatile.Read(ref failing) ? new SimulatedStoreException() : null;
            if (!storeFailing)
            {
                store.Pause();
            }

            int written = 0;
            while (Cache(host).TrySet($"k{written}", new string('x', 200)))
            {
                written++; // until the journal's bound refuses the next one
            }

            // Tells taken while their shard was busy wait in its mailbox: let them all be applied.
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (Cache(host).GetStatistics().PendingEntries < written)
            {
                Assert.True(waited.Elapsed < TestHost.Within, $"{Cache(host).GetStatistics().PendingEntries} of {written} Tells applied");
                await Task.Delay(5);
            }

            var health = await TestHost.HealthOf(host);
            var own = Cache(host).GetHealth().Status;
            Volatile.Write(ref failing, false);
            store.Resume();
            await host.StopAsync();

            Assert.Equal((HealthStatus.Degraded, CacheHealth.Degraded), (health.Status, own));
            Assert.Equal(
                $"Cache 'default' is degraded: at its bound: {written} of 1000000 entries, {written * 202} of 268435456 bytes pending, and its journal is at MaxJournalBytes; new writes are refused or held until the store catches up.",
                health.Description);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task CheckHealth_AtThePendingBound_IsDegradedAsTheCacheSays()
    {
        // The bound is backpressure doing its work: the cache's own report said Degraded and this check Unhealthy.
        var store = new InMemoryStore<string>();
        using var host = Build(store, configure: cache => cache.Configure(o => o with { MaxPendingEntries = 2, OverflowStrategy = WriteBehindAkka.Options.OverflowStrategy.Fail }));
        await host.StartAsync();
        store.Pause();
        await Cache(host).SetAsync("a", "1");
        await Cache(host).SetAsync("b", "2");
        await Assert.ThrowsAsync<CacheOverflowException>(async () => await Cache(host).SetAsync("c", "3"));

        var health = await TestHost.HealthOf(host);
        var own = Cache(host).GetHealth();

        Assert.Equal(
            (HealthStatus.Degraded, "Cache 'default' is degraded: at its bound: 2 of 2 entries, 6 of 268435456 bytes pending; new writes are refused or held until the store catches up."),
            (health.Status, health.Description));
        Assert.Equal(CacheHealth.Degraded, own.Status);
        store.Resume();
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_ReadThroughLoadThatNeverReturns_IsDegradedAfterAMinute_AsAReadProblem()
    {
        // The cache sets no timeout on a load: every read of its key waits on it. The check says so, as the cache does,
        // and not as failing writes (no write is failing).
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        using var host = Build(store, clock);
        await host.StartAsync();
        store.Pause();
        var read = Cache(host).GetAsync("k").AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.LoadsOf("k") == 0)
        {
            Assert.True(waited.Elapsed < TestHost.Within, "the load never started");
            await Task.Delay(5);
        }

        clock.Advance(TimeSpan.FromSeconds(61));
        var health = await TestHost.HealthOf(host);

        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal("Cache 'default' is degraded: A read-through load has not returned for 61.0 s (1 keys): the cache sets no timeout of its own, so the reads of its keys wait for it (each until its own token ends the wait); give the store a timeout (PostgreSqlStoreOptions.CommandTimeout, for PostgreSQL). Writes are kept and written as usual.", health.Description);
        Assert.Equal(0.0, health.Data["storeFailingForSeconds"]);

        store.Resume();
        Assert.Null(await read.WaitAsync(TestHost.Within));
        Assert.Equal(HealthStatus.Healthy, (await TestHost.HealthOf(host)).Status);
        await StopAsync(host);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CheckHealth_ReadThroughLoadsFailing_IsDegradedAtOnceAsTheCacheSays(bool writesFailingToo)
    {
        // A database that is down fails loads with a transient error (08001): the cache's own report said Degraded
        // (reads of keys it does not hold throw) and this check Healthy, since a transient failure only counted here
        // past StoreFailureThreshold, and a load failure has no duration.
        var store = new InMemoryStore<string>();
        using var host = Build(store);
        await host.StartAsync();
        bool failing = writesFailingToo;
        store.FailWhen = _ => Volatile.Read(ref failing) ? new SimulatedStoreException() : null;
        if (writesFailingToo)
        {
            // A transient store failure well within StoreFailureThreshold (30 s): the cache reports it first.
            await Cache(host).SetAsync("w", "1");
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (Cache(host).GetHealth().FailureKind is null)
            {
                Assert.True(waited.Elapsed < TestHost.Within, "the write was never attempted");
                await Task.Delay(5);
            }
        }

        store.LoadFailWhen = _ => new SimulatedStoreException(WriteBehindAkka.Storage.StoreErrorKind.Transient, "connection refused") { Code = "08001" };
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => Cache(host).GetAsync($"missing{i}").AsTask());
        }

        var health = await TestHost.HealthOf(host);
        store.LoadFailWhen = null;
        Volatile.Write(ref failing, false);

        Assert.Equal(CacheHealth.Degraded, Cache(host).GetHealth().Status);
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("Reads are failing: 3 of the 3 read-through loads in the last minute failed (08001: connection refused)", health.Description, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_HostStopped_IsUnhealthy()
    {
        using var host = Build(new InMemoryStore<string>());
        await host.StartAsync();
        await host.StopAsync();

        var health = await TestHost.HealthOf(host);

        Assert.Equal((HealthStatus.Unhealthy, "Cache 'default' is stopped: it accepts no writes."), (health.Status, health.Description));
    }

    [Fact]
    public async Task Evaluate_OldestPendingWriteOlderThanTheLagThreshold_IsDegraded()
    {
        // Statistics from a real cache (not a constructor call), so the test keeps compiling as core adds fields.
        await using var cache = new WriteBehindCache<string, string>(new InMemoryStore<string>());
        var snapshot = new CacheHealthSnapshot(
            CacheState.Running,
            cache.GetStatistics() with { PendingEntries = 4, PendingBytes = 40 },
            MaxPendingEntries: 100,
            MaxPendingBytes: 1000,
            OldestPendingAge: TimeSpan.FromSeconds(61),
            StoreFailingFor: null,
            Thresholds: new WriteBehindHealthCheckOptions { LagThreshold = TimeSpan.FromSeconds(60) });

        var result = WriteBehindHealthCheck.Evaluate("scores", snapshot);

        Assert.Equal(
            (HealthStatus.Degraded, "Cache 'scores' is degraded: the oldest pending write is 61 s old (threshold 60 s)."),
            (result.Status, result.Description));
        Assert.Equal(61.0, result.Data["oldestPendingAgeSeconds"]);
    }

    private static IHost Build(InMemoryStore<string> store, TimeProvider? clock = null, Action<WriteBehindCacheBuilder<string, string>>? configure = null)
    {
        var builder = TestHost.Builder();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        var cache = builder.Services.AddWriteBehindCache<string, string>(configure: TestHost.Small).UseStore(store);
        configure?.Invoke(cache);
        return builder.Build();
    }

    private static IWriteBehindCache<string, string> Cache(IHost host) => host.Services.GetRequiredService<IWriteBehindCache<string, string>>();

    /// <summary>Stops a host whose cache runs on a manual clock: the store keeps failing, so the drain ends at the host's (real) deadline.</summary>
    private static async Task StopAsync(IHost host)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await host.StopAsync(deadline.Token);
    }
}
