using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class FlushAndShutdownTests
{
    [Fact]
    public async Task FlushAsync_CompletesOnlyWhenEveryEarlierWriteIsCommitted()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 10 }));
        for (int i = 0; i < 50; i++)
        {
            await cache.SetAsync($"k{i}", $"v{i}");
        }

        var flush = cache.FlushAsync();
        await store.ExpectBatchAsync(Harness.Within);
        Assert.False(flush.IsCompleted);
        store.Resume();
        var result = await flush.Within();

        Assert.True(result.AllCommitted);
        Assert.Equal(50, store.Rows.Count);
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
    }

    [Fact]
    public async Task FlushAsync_PartialGroupOnAManualClock_CompletesWithoutWaitingOutTheBatchDelay()
    {
        // A user's test: batches of 100, a manual clock nobody advances. The flush must not wait for MaxBatchDelay
        // (it waited for ever on the manual clock, and MaxBatchDelay on a real one).
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 100, MaxBatchDelay = TimeSpan.FromHours(1) }), clock);
        await cache.SetAsync("a", "1");
        await cache.SetAsync("b", "2");

        var result = await cache.FlushAsync().Within();

        Assert.True(result.AllCommitted);
        Assert.Equal(["a", "b"], store.Rows.Keys.Order());

        // Once the flush is done, batching waits for its delay again.
        await cache.SetAsync("c", "3");
        await clock.WaitForTimerDueInAsync(TimeSpan.FromHours(1), Harness.Within);
        Assert.False(store.Rows.ContainsKey("c"));
    }

    [Fact]
    public async Task ShutdownAsync_PartialGroupOnAManualClock_WritesItWithoutWaitingOutTheBatchDelay()
    {
        // A user's test disposes the cache on a clock it never advanced: the writes must land, at once, instead of
        // the shutdown waiting out ShutdownTimeout (real time) and reporting them unflushed.
        var store = new InMemoryStore<string>();
        var clock = new ManualTimeProvider();
        var cache = new WriteBehindCache<string, string>(
            store, Harness.Options(o => o with { MaxBatchSize = 100, MaxBatchDelay = TimeSpan.FromHours(1), ShutdownTimeout = TimeSpan.FromSeconds(20) }), timeProvider: clock);
        await cache.SetAsync("a", "1");
        Assert.True(cache.TrySet("b", "2"));
        var took = System.Diagnostics.Stopwatch.StartNew();

        var report = await cache.ShutdownAsync().Within();

        Assert.True(report.Flushed, report.ToString());
        Assert.True(took.Elapsed < TimeSpan.FromSeconds(10), $"the shutdown took {took.Elapsed}");
        Assert.Equal(["a", "b"], store.Rows.Keys.Order());
    }

    [Fact]
    public async Task FlushAsync_KeyRewrittenWithoutPause_StillCompletes()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                await cache.SetAsync("hot", $"v{i++}");
            }
        });

        await cache.SetAsync("hot", "before-flush");
        var result = await cache.FlushAsync().Within();
        stop.Cancel();
        await writer;

        Assert.True(result.AllCommitted);
    }

    [Fact]
    public async Task ShutdownAsync_StoreDown_ReportsUnflushedAfterDeadline()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var clock = new ManualTimeProvider();
        var cache = Harness.Cache(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromSeconds(5) }), clock);
        await cache.SetAsync("a", "1");
        await cache.SetAsync("b", "22");

        var shutdown = cache.ShutdownAsync();
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(5), Harness.Within);
        clock.Advance(TimeSpan.FromSeconds(5));
        var report = await shutdown.Within();

        Assert.Equal(new ShutdownReport(false, 2, 7, 0), report);
        Assert.Same(shutdown, cache.ShutdownAsync());
    }

    [Fact]
    public async Task ShutdownAsync_ClockAdvancedByTheTimeoutRightAfterTheCall_EndsAtThatDeadline()
    {
        // The deadline runs from the call: a test that advances its clock by ShutdownTimeout as soon as ShutdownAsync
        // returns must see the shutdown end, not wait out another ShutdownTimeout of real time (10 minutes here).
        for (int round = 0; round < 5; round++)
        {
            var store = new InMemoryStore<string>();
            store.Pause();
            var clock = new ManualTimeProvider();
            var cache = Harness.Cache(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromMinutes(10) }), clock);
            await cache.SetAsync("a", "1");

            var shutdown = cache.ShutdownAsync();
            clock.Advance(TimeSpan.FromMinutes(10));
            var report = await shutdown.Within();

            Assert.Equal(new ShutdownReport(false, 1, 3, 0), report);
        }
    }

    [Fact]
    public async Task ShutdownAsync_PastTheDeadline_CommittedWritesAndReadThroughReadsFailInsteadOfHanging()
    {
        var store = new DeafStore();
        var clock = new ManualTimeProvider();
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromSeconds(5) }), timeProvider: clock, jitter: () => 0.0);
        var committed = cache.SetAsync("a", "1", WriteConsistency.Committed).AsTask();
        var read = cache.GetAsync("b").AsTask();
        await store.Loading.Task.Within();

        var shutdown = cache.ShutdownAsync();
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(5), Harness.Within);
        clock.Advance(TimeSpan.FromSeconds(5));
        await shutdown.Within();

        var notCommitted = await Assert.ThrowsAsync<ObjectDisposedException>(() => committed.Within());
        Assert.Contains("stopped before the commit of key 'a' at version", notCommitted.Message);
        var notLoaded = await Assert.ThrowsAsync<ObjectDisposedException>(() => read.Within());
        Assert.Contains("stopped before the read-through load of key 'b' completed", notLoaded.Message);
    }

    [Fact]
    public async Task ShutdownAsync_PastTheDeadline_ACommittedBulkWriteFailsEachWriteAsNotConfirmed_InsteadOfHanging()
    {
        var store = new DeafStore();
        var clock = new ManualTimeProvider();
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { ShardCount = 1, ShutdownTimeout = TimeSpan.FromSeconds(5) }), timeProvider: clock, jitter: () => 0.0);
        var bulk = cache.SetManyAsync([new("a", "1"), new("b", "2"), new("a", "3")], WriteConsistency.Committed).AsTask();

        var shutdown = cache.ShutdownAsync();
        await clock.WaitForTimerDueInAsync(TimeSpan.FromSeconds(5), Harness.Within);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.False((await shutdown.Within()).Flushed);

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => bulk.Within());
        Assert.Equal(3, error.Taken);
        Assert.Equal([0, 1, 2], error.Failures.Select(f => f.Index));
        Assert.All(error.Failures, f => Assert.Contains("may or may not be in the store", Assert.IsType<ObjectDisposedException>(f.Error).Message));
    }

    [Fact]
    public async Task ShutdownAsync_ReadThroughLoadThatHonoursTheStopToken_FailsWithObjectDisposed()
    {
        // The load is cancelled by the shutdown (a PostgreSQL query says "Query was cancelled"): that is the cache
        // stopping, as documented, not a store failure reported as InvalidOperationException.
        var store = new InMemoryStore<string>();
        store.Pause();
        var cache = Harness.Cache(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromSeconds(1) }));
        var read = cache.GetAsync("not-cached").AsTask();
        while (store.LoadsOf("not-cached") == 0)
        {
            await Task.Yield();
        }

        await cache.ShutdownAsync().Within();

        var notLoaded = await Assert.ThrowsAsync<ObjectDisposedException>(() => read.Within());
        Assert.Contains("stopped before the read-through load of key 'not-cached' completed", notLoaded.Message);
        Assert.IsAssignableFrom<OperationCanceledException>(notLoaded.InnerException);
    }

    [Fact]
    public async Task SetAsync_TokenAlreadyCancelled_TakesNothing()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.SetAsync("k", "v", cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.SetAsync("k", "v", WriteConsistency.Committed, cancelled.Token).AsTask());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.DeleteAsync("k", cancelled.Token).AsTask());
        await cache.FlushAsync().Within();

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k"));
        Assert.Empty(store.Rows);
    }

    [Fact]
    public async Task ShutdownAsync_StoreWriteThatIgnoresItsToken_EndsWithinTheDeadlineAndAGrace()
    {
        // The writer waited for the store for ever; Dispose promises to block about ShutdownTimeout.
        var store = new DeafWriteStore();
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromMilliseconds(200) }), jitter: () => 0.0);
        await cache.SetAsync("a", "1");
        await store.Writing.Task.Within();
        try
        {
            var report = await cache.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(5));

            Assert.False(report.Flushed);
            Assert.Equal(1, report.UnflushedEntries);
        }
        finally
        {
            store.Release.TrySetResult();
        }
    }

    [Fact]
    public async Task ShutdownDeadline_StoreErrorCausedByTheCancellation_FailsNoRecord()
    {
        // At the deadline the store reports its cancelled token as another error (a closed connection), which the
        // classifier takes for a refusal: every record of the batch was split out and reported Failed.
        var store = new CancelAsErrorStore();
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { MaxBatchSize = 4, MaxBatchDelay = TimeSpan.FromMilliseconds(20), ShutdownTimeout = TimeSpan.FromMilliseconds(200) }), jitter: () => 0.0);
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            Assert.True(cache.TrySet(key, "v"));
        }

        await store.Writing.Task.Within();
        var report = await cache.ShutdownAsync().Within();

        Assert.Equal(0, report.FailedKeys);
        Assert.Equal(4, report.UnflushedEntries);
    }

    /// <summary>A store whose batch write never ends, whatever its token says.</summary>
    private sealed class DeafWriteStore : IWriteBehindStore<string>
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken)
        {
            Writing.TrySetResult();
            await Release.Task; // ignores the token
        }

        public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<StoredEntry?>(null);

        public StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
    }

    /// <summary>A store that, once its token is cancelled, reports it as an error it classifies permanent (as unknown errors are).</summary>
    private sealed class CancelAsErrorStore : IWriteBehindStore<string>
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken)
        {
            Writing.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new ObjectDisposedException("connection", "The connection was closed.");
            }
        }

        public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<StoredEntry?>(null);

        public StoreErrorKind Classify(Exception error) => error is TimeoutException ? StoreErrorKind.Transient : StoreErrorKind.Permanent;
    }

    /// <summary>A store that never answers: writes wait until cancelled, loads ignore cancellation altogether.</summary>
    private sealed class DeafStore : IWriteBehindStore<string>
    {
        public TaskCompletionSource Loading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) =>
            await Task.Delay(Timeout.Infinite, cancellationToken);

        public async ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken)
        {
            Loading.TrySetResult();
            await new TaskCompletionSource().Task; // never completes, whatever the token says
            return null;
        }

        public StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
    }

    [Fact]
    public async Task ShutdownAsync_StoreWhoseCancellationCallbackThrows_StillStopsAndReports()
    {
        // A store that closes its connection from a callback on the token, and whose close throws: the stop's
        // cancellation must not end the shutdown there, with the shards running and nothing reported.
        var store = new ThrowingOnCancelStore();
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromMilliseconds(100) }), jitter: () => 0.0);
        await cache.SetAsync("a", "1");
        await store.Writing.Task.Within();

        var report = await cache.ShutdownAsync().Within();

        Assert.Equal(new ShutdownReport(false, 1, 3, 0), report);
        Assert.Throws<ObjectDisposedException>(() => cache.TrySet("b", "2"));
    }

    private sealed class ThrowingOnCancelStore : IWriteBehindStore<string>
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken)
        {
            using var registration = cancellationToken.Register(() => throw new InvalidOperationException("the connection was closed already"));
            Writing.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => ValueTask.FromResult<StoredEntry?>(null);

        public StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
    }

    [Fact]
    public async Task ShutdownAsync_ValueReplacedWhileInFlight_ReportCountsTheLatestValueOnce()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var cache = Harness.Cache(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromMilliseconds(200) }));
        await cache.SetAsync("k", "aaaa");
        await store.ExpectBatchAsync(Harness.Within); // in flight
        await cache.SetAsync("k", "bbbbbbbbbbbbbbbb");
        var report = await cache.ShutdownAsync().Within();
        Assert.False(report.Flushed);
        Assert.Equal(1, report.UnflushedEntries);
        Assert.Equal(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("bbbbbbbbbbbbbbbb").Length, report.UnflushedBytes);
    }

    [Fact]
    public async Task ShutdownAsync_CalledConcurrentlyAndWithDispose_DuringAFlush_AllGetTheSameReport()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var cache = Harness.Cache(store, Harness.Options(o => o with { ShutdownTimeout = TimeSpan.FromMilliseconds(200) }));
        await cache.SetAsync("a", "v");
        await cache.SetAsync("b", "v");
        var flush = cache.FlushAsync();
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() => cache.ShutdownAsync())).ToArray();
        var dispose = Task.Run(cache.Dispose);
        var reports = await Task.WhenAll(tasks).Within();
        await dispose.Within();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => flush.Within());
        Assert.All(reports, r => Assert.Same(reports[0], r));
        Assert.False(reports[0].Flushed);
        Assert.Equal(2, reports[0].UnflushedEntries);
        Assert.Throws<ObjectDisposedException>(() => cache.TrySet("c", "v"));
        Assert.Throws<ObjectDisposedException>(() => cache.TryDelete("c"));
    }

    [Fact]
    public async Task DisposeAsync_Healthy_FlushesEverythingThenRefusesUse()
    {
        var store = new InMemoryStore<string>();
        var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 100, MaxBatchDelay = TimeSpan.FromMilliseconds(1) }));
        for (int i = 0; i < 200; i++)
        {
            Assert.True(cache.TrySet($"k{i}", "v"));
        }

        await cache.DisposeAsync().AsTask().Within();
        var report = await cache.ShutdownAsync();

        Assert.Equal(new ShutdownReport(true, 0, 0, 0), report);
        Assert.Equal(200, store.Rows.Count);
        var error = Assert.Throws<ObjectDisposedException>(() => cache.TrySet("late", "v"));
        Assert.Contains("The write-behind cache 'default' is shut down", error.Message);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cache.GetAsync("k1").AsTask());
    }

    [Theory]
    [InlineData(true)] // Dispose: a `using` of the cache, or a service provider disposed synchronously
    [InlineData(false)] // DisposeAsync blocked on: sync-over-async
    public void Dispose_OnAThreadWhoseContextNeverRunsPosts_FlushesWithoutDeadlock(bool synchronous)
    {
        // From a thread with a synchronization context, as a UI thread: a shutdown that posted back to it would hang.
        var store = new InMemoryStore<string>();
        var cache = Harness.Cache(store);
        Assert.True(cache.TrySet("k", "v"));
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            SynchronizationContext.SetSynchronizationContext(new NeverRunsContext());
            try
            {
                if (synchronous)
                {
                    cache.Dispose();
                }
                else
                {
                    cache.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        thread.Start();

        Assert.True(thread.Join(Harness.Within), "the disposal deadlocked on the caller's context");
        Assert.Null(failure);
        Assert.Equal(["k"], store.Rows.Keys);
        Assert.False(cache.GetStatistics().IsRunning);
    }

    /// <summary>A synchronization context whose posted work never runs (a UI thread blocked in Dispose).</summary>
    private sealed class NeverRunsContext : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state)
        {
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new InvalidOperationException("Send from a blocked context");
    }

    [Fact]
    public async Task ShutdownAsync_WriteThatRacedItsStart_IsRefusedNotAcknowledgedAndStranded()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        using var serializing = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var serializer = new BlockingSerializer(serializing, release);
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(), serializer, jitter: () => 0.0);
        await cache.SetAsync("first", "v");
        await store.ExpectBatchAsync(Harness.Within);

        // "late" passes the cache's check, then stalls in its serializer while the shutdown begins.
        var late = Task.Run(async () => await cache.SetAsync("late", "block"));
        Assert.True(await serializing.WaitAsync(Harness.Within));
        var shutdown = cache.ShutdownAsync();
        await Harness.WaitUntilSealedAsync(cache);

        release.Release();
        var refused = await Assert.ThrowsAsync<ObjectDisposedException>(() => late.Within());
        store.Resume();
        var report = await shutdown.Within();

        Assert.Contains("arrived after its last flush and was not taken", refused.Message, StringComparison.Ordinal);
        Assert.True(report.Flushed, $"unflushed: {report.UnflushedEntries}");
        Assert.Equal(["first"], store.Rows.Keys);
    }

    [Fact]
    public async Task ShutdownAsync_TellThatRacedItsStart_IsRefusedNotAnsweredTrueAndDropped()
    {
        var store = new InMemoryStore<string>();
        using var serializing = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var serializer = new BlockingSerializer(serializing, release);
        var cache = new WriteBehindCache<string, string>(store, Harness.Options(), serializer, jitter: () => 0.0);
        Assert.True(cache.TrySet("first", "v"));

        // "late" passes TrySet's first check, then stalls in its serializer while the shutdown seals every shard.
        var late = Task.Run(() => cache.TrySet("late", "block"));
        Assert.True(await serializing.WaitAsync(Harness.Within));
        var shutdown = cache.ShutdownAsync();
        await Harness.WaitUntilSealedAsync(cache);

        release.Release();
        // Answered true, it would be a write nothing stores: the shard would drop it after the final flush.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => late.Within());
        var report = await shutdown.Within();

        Assert.True(report.Flushed, $"unflushed: {report.UnflushedEntries}");
        Assert.Equal(["first"], store.Rows.Keys);
    }

    [Fact]
    public async Task ShutdownAsync_TellsRacingIt_EveryOneAnsweredTrueIsStored()
    {
        // Two writers Tell as fast as they can while the shutdown begins; a Tell answered true must be in the store
        // afterwards, whichever side of the final flush it landed on. 40 rounds: the race lands differently in each.
        for (int round = 0; round < 40; round++)
        {
            var store = new InMemoryStore<string>();
            var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 2 }));
            using var started = new CountdownEvent(2);
            var writers = Enumerable.Range(0, 2).Select(w => Task.Factory.StartNew(
                () =>
                {
                    var taken = new List<string>();
                    started.Signal();
                    for (int i = 0; ; i++)
                    {
                        string key = $"w{w}-{i}";
                        try
                        {
                            if (cache.TrySet(key, "v"))
                            {
                                taken.Add(key);
                            }
                        }
                        catch (ObjectDisposedException)
                        {
                            return taken;
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
            Assert.True(started.Wait(Harness.Within));
            SpinWait.SpinUntil(() => false, round % 4); // vary where in the writers' stream the shutdown begins

            var report = await cache.ShutdownAsync().Within();
            var taken = (await Task.WhenAll(writers).Within()).SelectMany(keys => keys).ToList();

            Assert.True(report.Flushed, $"round {round}: unflushed {report.UnflushedEntries}");
            var missing = taken.Where(key => !store.Rows.ContainsKey(key)).ToList();
            Assert.True(missing.Count == 0, $"round {round}: {missing.Count} of {taken.Count} Tells answered true are not stored, e.g. {string.Join(", ", missing.Take(3))}");
        }
    }

    [Fact]
    public async Task ShutdownAsync_DeadlinePassesInTheSecondHalfOfASplitBatch_TheCommittedHalfCountsAsWritten()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(100_000); // the refused record's letter cannot be written: the lane retries it
        store.Pause();
        var cache = Harness.Cache(store, Harness.Options(o => o with
        {
            ShardCount = 1,
            MaxBatchSize = 2,
            ShutdownTimeout = TimeSpan.FromMilliseconds(300),
            Restart = o.Restart with { MinBackoff = TimeSpan.FromMilliseconds(5), MaxBackoff = TimeSpan.FromMilliseconds(5) },
        }));
        var good = cache.SetAsync("good", "v", WriteConsistency.Committed).AsTask();
        await cache.SetAsync("bad", "v");
        Assert.Equal(2, (await store.ExpectBatchAsync(Harness.Within)).Count);
        store.Resume(); // [good, bad] is refused, split: [good] commits, [bad] is refused and its letter retried

        var report = await cache.ShutdownAsync().Within();

        Assert.Equal("v", Harness.Text(store.Rows["good"].Value));
        await good.Within(); // its commit was confirmed, not failed as "may or may not be in the store"
        Assert.Equal(1, report.UnflushedEntries); // only "bad", whose letter was never written
        Assert.Single(store.CommittedBatches); // "good" was written once
    }

    /// <summary>Stalls serializing the value "block" until released, after saying so.</summary>
    private sealed class BlockingSerializer(SemaphoreSlim serializing, SemaphoreSlim release) : WriteBehindAkka.Serialization.IValueSerializer<string>
    {
        private readonly WriteBehindAkka.Serialization.JsonValueSerializer<string> _json = new();

        public WriteBehindAkka.Serialization.SerializedFormat Format => _json.Format;

        public byte[] Serialize(string value)
        {
            if (value == "block")
            {
                serializing.Release();
                release.Wait(Harness.Within);
            }

            return _json.Serialize(value);
        }

        public string Deserialize(ReadOnlySpan<byte> data) => _json.Deserialize(data);
    }
}
