using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class SupervisionTests
{
    [Fact]
    public async Task TransientErrors_RetriedWithExponentialBackoffUntilCommitted()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(3);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, time: clock);

        await cache.SetAsync("k", "v");
        await store.ExpectBatchAsync(Harness.Within);
        foreach (int ms in new[] { 100, 200, 400 })
        {
            var backoff = TimeSpan.FromMilliseconds(ms);
            await clock.WaitForTimerDueInAsync(backoff, Harness.Within);
            clock.Advance(backoff - TimeSpan.FromTicks(1));
            Assert.False(store.HasUnexpectedBatch());
            clock.Advance(TimeSpan.FromTicks(1));
            await store.ExpectBatchAsync(Harness.Within);
        }

        await cache.FlushAsync().Within();
        Assert.Equal(4, store.Attempts);
        Assert.Equal("v", Harness.Text(store.Rows["k"].Value));
    }

    [Fact]
    public async Task TransientErrors_RestartBudgetExhausted_RecordsFailedAndFlushReportsThem()
    {
        var store = new InMemoryStore<string>();
        store.FailNext(10);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with
        {
            Restart = o.Restart with { MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(1), MaxRestarts = 2 },
        }));

        await cache.SetAsync("k", "v");
        var flush = await cache.FlushAsync().Within();

        Assert.Equal(new FlushResult(1), flush);
        Assert.Equal(3, store.Attempts);
        var status = await cache.GetStatusAsync("k");
        Assert.Equal((WriteState.Failed, "Simulated transient store error."), (status.State, status.LastError));
        Assert.Equal(StoreErrorKind.Transient, store.DeadLetters.Letters["k"].ErrorKind);
    }

    [Fact]
    public async Task ShardCrash_RestartedWithStateIntact()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("a", "1");
        await cache.SetAsync("b", "2");

        await cache.CrashShardAsync(cache.ShardOf("a"));
        await cache.CrashShardAsync(cache.ShardOf("b"));

        Assert.Equal("1", await cache.GetAsync("a"));
        Assert.Equal("2", await cache.GetAsync("b"));
        Assert.Equal(2, cache.GetStatistics().ShardRestarts);
        store.Resume();
        await cache.FlushAsync().Within();
        Assert.Equal(["a", "b"], store.Rows.Keys.Order());
    }

    [Fact]
    public async Task WriterCrash_BatchHandedBackAndWrittenAfterRestart()
    {
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, time: clock);
        cache.Lanes[0].CrashOnNextBatch = new InvalidOperationException("writer bug");

        await cache.SetAsync("k", "v");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        Assert.Equal(0, store.Attempts);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await cache.FlushAsync().Within();

        Assert.Equal("v", Harness.Text(store.Rows["k"].Value));
        Assert.Equal(1, cache.GetStatistics().WriterRestarts);
    }

    [Fact]
    public async Task ClassifierThrows_ErrorTreatedAsPermanent()
    {
        var store = new ThrowingClassifierStore();
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options());

        await cache.SetAsync("k", "v");
        var flush = await cache.FlushAsync().Within();

        Assert.Equal(new FlushResult(1), flush);
    }

    [Fact]
    public async Task JitterSourceThrows_RetriesWithoutJitter_WriterKeepsWritingAndShutdownReports()
    {
        // The jitter source is the user's. One that threw killed the writer loop in its retry (and again in the
        // restart meant to recover from that): the batch stayed in flight for ever, FlushAsync never completed, and
        // ShutdownAsync threw the jitter's exception without stopping the shards or closing the journal.
        var store = new InMemoryStore<string>();
        store.FailNext(2);
        var options = Harness.Options(o => o with { Restart = o.Restart with { MinBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(2) } });
        var cache = new WriteBehindCache<string, string>(store, options, jitter: () => throw new InvalidOperationException("no entropy"));

        await cache.SetAsync("k", "v");
        var flush = await cache.FlushAsync().Within();
        var report = await cache.ShutdownAsync().Within();

        Assert.Equal((true, true), (flush.AllCommitted, report.Flushed));
        Assert.Equal("v", Harness.Text(store.Rows["k"].Value));
    }

    private sealed class ThrowingClassifierStore : IWriteBehindStore<string>
    {
        public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("store down");

        public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<StoredEntry?>(null);

        public StoreErrorKind Classify(Exception error) => throw new NotImplementedException();
    }
}
