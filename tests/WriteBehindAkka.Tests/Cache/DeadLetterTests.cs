using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class DeadLetterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task PoisonKeys_RandomPositionsInLargeBatches_EveryGoodRecordWrittenExactlyPoisonDeadLettered(int seed)
    {
        const int Keys = 10_000;
        const int BatchSize = 1_000;
        var random = new Random(seed);
        var store = new InMemoryStore<string>();
        var poison = Enumerable.Range(0, Keys).Where(_ => random.Next(100) == 0).Select(i => $"k{i}").ToHashSet();
        foreach (var key in poison)
        {
            store.PoisonKeys[key] = true;
        }

        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 4, Parallelism = 2, MaxBatchSize = BatchSize }));
        for (int i = 0; i < Keys; i++)
        {
            await cache.SetAsync($"k{i}", $"v{i}");
        }

        store.Resume();
        var flush = await cache.FlushAsync().Within();

        Assert.Equal(poison.Count, flush.FailedWrites);
        Assert.Equal(Keys - poison.Count, store.Rows.Count);
        Assert.DoesNotContain(store.Rows.Keys, poison.Contains);
        var letters = store.DeadLetters.Letters;
        Assert.Equal(poison.Order(), letters.Keys.Order());
        Assert.All(letters.Values, letter => Assert.Equal(
            (WriteOperation.Upsert, $"v{letter.Key[1..]}", InMemoryStore<string>.PoisonCode, StoreErrorKind.Permanent, $"Poison key '{letter.Key}' refused."),
            (letter.Operation, Harness.Text(letter.Value), letter.ErrorCode, letter.ErrorKind, letter.Error)));

        // Bisection is bounded: each poison record costs at most two attempts per level of the split tree.
        int depth = (int)Math.Ceiling(Math.Log2(BatchSize)) + 1;
        Assert.InRange(store.Attempts, (Keys / BatchSize) + poison.Count, (2 * Keys / BatchSize) + 4 + (2 * poison.Count * depth));
        var statistics = cache.GetStatistics();
        Assert.Equal((0, poison.Count), (statistics.PendingEntries, statistics.FailedKeys));
    }

    [Fact]
    public async Task FailedEntries_DeadLettered_EvictedUnderMaxCachedEntries()
    {
        var store = new InMemoryStore<string>();
        for (int i = 0; i < 100; i++)
        {
            store.PoisonKeys[$"bad{i}"] = true;
        }

        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxBatchSize = 50, MaxCachedEntries = 10 }));
        for (int i = 0; i < 100; i++)
        {
            await cache.SetAsync($"bad{i}", "v");
            await cache.SetAsync($"good{i}", "v");
        }

        var flush = await cache.FlushAsync().Within();

        Assert.Equal(100, flush.FailedWrites);
        Assert.Equal(100, store.DeadLetters.Letters.Count);
        var statistics = cache.GetStatistics();
        Assert.Equal(0, statistics.PendingEntries);
        Assert.InRange(statistics.FailedKeys, 0, 10);
    }

    [Fact]
    public async Task FailedEntries_NoSink_ReportedAndEvictable()
    {
        var inner = new InMemoryStore<string>();
        inner.PoisonKeys["bad0"] = true;
        inner.PoisonKeys["bad1"] = true;
        await using var cache = new WriteBehindCache<string, string>(new NoDeadLetterStore(inner), Harness.Options(o => o with { MaxCachedEntries = 2 }));
        await cache.SetAsync("bad0", "v");
        await cache.SetAsync("bad1", "v");
        for (int i = 0; i < 10; i++)
        {
            await cache.SetAsync($"good{i}", "v");
        }

        var flush = await cache.FlushAsync().Within();

        Assert.Null(cache.DeadLetterSink);
        Assert.Equal(2, flush.FailedWrites);
        Assert.Equal((0L, 0L), (cache.GetStatistics().PendingEntries, cache.GetStatistics().FailedKeys));
    }

    [Fact]
    public async Task DeadLetterSink_FailsTransiently_RetriedWithBackoffAndFlushWaitsForIt()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(2);
        var clock = new ManualTimeProvider();
        await using var cache = Harness.Cache(store, time: clock);

        await cache.SetAsync("bad", "v");
        var flush = cache.FlushAsync();
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(100), Harness.Within);
        var degraded = cache.GetHealth();
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMilliseconds(200), Harness.Within);
        Assert.False(flush.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        var result = await flush.Within();

        Assert.Equal(new FlushResult(1), result);
        Assert.Equal(3, store.DeadLetters.Writes);
        Assert.Equal(["bad"], store.DeadLetters.Letters.Keys);
        Assert.Equal(
            (CacheHealth.Degraded, StoreErrorKind.Transient, "The dead-letter sink has been failing for 0.0 s (Simulated transient dead-letter store error.; 1 failed attempts); the refused writes wait in memory and the writers wait with them."),
            (degraded.Status, degraded.FailureKind, degraded.Description));
        Assert.Equal(CacheHealth.Healthy, cache.GetHealth().Status);
    }

    [Fact]
    public async Task DeadLetterSink_RefusesForGood_RecordStaysFailedAndPendingUntilWrittenAgain()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(1, new SimulatedStoreException(StoreErrorKind.Permanent, "letter refused"));
        await using var cache = Harness.Cache(store);

        await cache.SetAsync("bad", "v");
        var flush = await cache.FlushAsync().Within();
        var pinned = cache.GetStatistics();
        var status = await cache.GetStatusAsync("bad");
        store.PoisonKeys.Clear();
        await cache.SetAsync("bad", "w");
        await cache.FlushAsync().Within();

        Assert.Equal(new FlushResult(1), flush);
        Assert.Empty(store.DeadLetters.Letters);
        Assert.Equal((1L, 3L, 1L), (pinned.PendingEntries, pinned.PendingBytes, pinned.FailedKeys));
        Assert.Equal(WriteState.Failed, status.State);
        Assert.Equal((0L, 0L), (cache.GetStatistics().PendingEntries, cache.GetStatistics().FailedKeys));
        Assert.Equal("w", Harness.Text(store.Rows["bad"].Value));
    }

    [Theory]
    [InlineData("ListDeadLettersAsync")]
    [InlineData("CountDeadLettersAsync")]
    public async Task DeadLetterRead_AfterShutdownWithItsStoreDisposed_ThrowsNamingTheCache(string read)
    {
        // As a hosted cache after the host stopped: the store, and its dead-letter table's data source, are disposed.
        var letters = new DisposableDeadLetters();
        var cache = new WriteBehindCache<string, string>(new InMemoryStore<string>(), Harness.Options(), deadLetters: letters);
        await cache.ShutdownAsync().Within();
        long whileTheStoreLives = await cache.CountDeadLettersAsync();
        letters.Disposed = true;

        var error = await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            if (read == "ListDeadLettersAsync")
            {
                await cache.ListDeadLettersAsync();
            }
            else
            {
                await cache.CountDeadLettersAsync();
            }
        });

        Assert.Equal(0, whileTheStoreLives);
        Assert.Equal(
            "The write-behind cache 'default' is shut down and its dead-letter store is disposed (a hosted cache's store goes when the host stops): list and count dead letters while the cache runs, or read them from the dead-letter table.",
            error.Message);
        Assert.Equal("Npgsql.PoolingDataSource", Assert.IsType<ObjectDisposedException>(error.InnerException).ObjectName);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_KeyNotWrittenSince_ResubmittedAtItsVersionAndLetterDeleted()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store);
        var write = await cache.SetAsync("k", "v", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        var listed = await cache.ListDeadLettersAsync();
        store.PoisonKeys.Clear();

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(write.Version, Assert.Single(listed).Version);
        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, write.Version), retry);
        Assert.Equal((write.Version, "v"), (store.Rows["k"].Version, Harness.Text(store.Rows["k"].Value)));
        Assert.Equal(0, await cache.CountDeadLettersAsync());
        var status = await cache.GetStatusAsync("k");
        Assert.Equal((WriteState.Completed, write.Version), (status.State, status.CommittedVersion));
    }

    [Fact]
    public async Task RetryDeadLetterAsync_KeyWrittenSince_SupersededNothingWrittenLetterDeleted()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store);
        var failed = await cache.SetAsync("k", "old", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        store.PoisonKeys.Clear();
        var newer = await cache.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.Superseded, failed.Version), retry);
        Assert.Equal((newer.Version, "new"), (store.Rows["k"].Version, Harness.Text(store.Rows["k"].Value)));
        Assert.Empty(store.DeadLetters.Letters);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_EntryEvictedAndStoreHasNewerRow_Superseded()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxCachedEntries = 1 }));
        var failed = await cache.SetAsync("k", "old", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        await EvictAsync(cache, "k");
        store.PoisonKeys.Clear();
        store.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("other"), failed.Version + 1);

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(DeadLetterRetryOutcome.Superseded, retry.Outcome);
        Assert.Equal("other", Harness.Text(store.Rows["k"].Value));
        Assert.Empty(store.DeadLetters.Letters);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_EntryEvictedAndStoreOlder_ResubmittedAndReadSeesIt()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("stored"), 1);
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxCachedEntries = 1 }));
        var failed = await cache.SetAsync("k", "failed", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        await EvictAsync(cache, "k");
        store.PoisonKeys.Clear();

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        var read = await cache.GetAsync("k");
        await cache.FlushAsync().Within();

        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, failed.Version), retry);
        Assert.Equal("failed", read);
        Assert.Equal((failed.Version, "failed"), (store.Rows["k"].Version, Harness.Text(store.Rows["k"].Value)));
    }

    [Fact]
    public async Task RetryDeadLetterAsync_FailsAgain_DeadLetteredAgainWithALaterFailureTime()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "v");
        await cache.FlushAsync().Within();
        var first = store.DeadLetters.Letters["k"];

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        var flush = await cache.FlushAsync().Within();

        Assert.Equal(DeadLetterRetryOutcome.Resubmitted, retry.Outcome);
        Assert.Equal(new FlushResult(1), flush);
        var again = store.DeadLetters.Letters["k"];
        Assert.Equal(first.Version, again.Version);
        Assert.True(again.FailedAt > first.FailedAt);
        Assert.Equal(WriteState.Failed, (await cache.GetStatusAsync("k")).State);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_DeadLetteredDelete_ResubmittedAsDelete()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("stored"), 1);
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store);
        await cache.DeleteAsync("k");
        await cache.FlushAsync().Within();
        var letter = store.DeadLetters.Letters["k"];
        store.PoisonKeys.Clear();

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal((WriteOperation.Delete, (byte[]?)null), (letter.Operation, letter.Value));
        Assert.Equal(DeadLetterRetryOutcome.Resubmitted, retry.Outcome);
        Assert.False(store.Rows.ContainsKey("k"));
    }

    [Fact]
    public async Task DiscardDeadLetterAsync_DropsLetterAndFailedEntry_ReadsGoToTheStoreAgain()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("stored"), 1);
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "refused");
        await cache.FlushAsync().Within();
        var before = await cache.GetAsync("k");

        bool discarded = await cache.DiscardDeadLetterAsync("k").AsTask().Within();
        var status = await cache.GetStatusAsync("k");
        var after = await cache.GetAsync("k");

        Assert.Equal(("refused", true), (before, discarded));
        Assert.Equal(KeyStatus.NotCached, status);
        Assert.Equal("stored", after);
        Assert.Empty(store.DeadLetters.Letters);
        Assert.Equal(0, cache.GetStatistics().FailedKeys);
    }

    [Fact]
    public async Task RetryAndDiscard_NoLetter_NotFoundAndFalse()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.NotFound, 0), await cache.RetryDeadLetterAsync("k"));
        Assert.False(await cache.DiscardDeadLetterAsync("k"));
        Assert.Empty(await cache.ListDeadLettersAsync());
    }

    [Fact]
    public async Task ListDeadLettersAsync_Pages_OldestFailureFirst()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        foreach (var key in new[] { "c", "a", "b" })
        {
            store.PoisonKeys[key] = true;
            await cache.SetAsync(key, "v");
            await cache.FlushAsync().Within();
        }

        var first = await cache.ListDeadLettersAsync(0, 2);
        var second = await cache.ListDeadLettersAsync(2, 2);

        Assert.Equal(["c", "a"], first.Select(l => l.Key));
        Assert.Equal(["b"], second.Select(l => l.Key));
        Assert.Equal(3, await cache.CountDeadLettersAsync());
    }

    [Fact]
    public async Task Sink_RefusesOneLetterOfMany_TheOthersAreRecordedInAFewCallsNotOnePerLetter()
    {
        var store = new InMemoryStore<string>();
        var keys = Enumerable.Range(0, 64).Select(i => $"k{i}").ToList();
        foreach (var key in keys)
        {
            store.PoisonKeys[key] = true;
        }

        var sink = new RefusingSink("k37");
        store.Pause();
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 64 }), deadLetters: sink, jitter: () => 0.0);
        foreach (var key in keys)
        {
            await cache.SetAsync(key, "v");
        }

        store.Resume();
        var flush = await cache.FlushAsync().Within();

        Assert.Equal(64, flush.FailedWrites);
        Assert.Equal(63, sink.Recorded.Count);
        Assert.DoesNotContain(sink.Recorded, letter => letter.Key == "k37");
        Assert.InRange(sink.Calls, 2, 2 * 6 + 1); // halving: about two per level of 64; one per letter would be 65
        Assert.Equal(1, cache.GetStatistics().PendingEntries); // the refused letter's write stays in memory
    }

    /// <summary>A dead-letter sink that refuses, for good, any group with one key in it.</summary>
    private sealed class RefusingSink(string refused) : IDeadLetterSink<string>
    {
        private int _calls;

        public List<DeadLetter<string>> Recorded { get; } = [];

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask WriteAsync(IReadOnlyList<DeadLetter<string>> letters, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (letters.Any(letter => letter.Key == refused))
            {
                throw new InvalidOperationException($"letter of '{refused}' refused");
            }

            lock (Recorded)
            {
                Recorded.AddRange(letters);
            }

            return ValueTask.CompletedTask;
        }

        public StoreErrorKind Classify(Exception error) => StoreErrorKind.Permanent;
    }

    [Fact]
    public async Task CallbackSink_ReceivesTheLetters()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        var received = new List<DeadLetter<string>>();
        var sink = new CallbackDeadLetterSink<string>((letters, _) =>
        {
            lock (received)
            {
                received.AddRange(letters);
            }

            return ValueTask.CompletedTask;
        });
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(), deadLetters: sink);

        await cache.SetAsync("bad", "v");
        await cache.SetAsync("good", "v");
        await cache.FlushAsync().Within();

        Assert.Same(sink, cache.DeadLetterSink);
        Assert.Equal("bad", Assert.Single(received).Key);
        Assert.Empty(store.DeadLetters.Letters);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_NewerWriteCommittedAndEvictedWhileTheStoreIsRead_SupersededAndTheNewerValueStays()
    {
        var (inner, store, cache) = await LetterOfAnEvictedKeyAsync();
        await using var _ = cache;
        inner.PoisonKeys.Clear();

        // The retry reads the store (no row yet), and is held there while a newer write commits and is evicted.
        store.HoldLoads = true;
        var retry = cache.RetryDeadLetterAsync("k").AsTask();
        Assert.True(await store.LoadRead.WaitAsync(Harness.Within));
        await cache.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();
        await EvictAsync(cache, "k");
        store.HoldLoads = false;
        store.Gate.Release();

        var result = await retry.Within();
        await cache.FlushAsync().Within();

        Assert.Equal(DeadLetterRetryOutcome.Superseded, result.Outcome);
        Assert.Equal("new", await cache.GetAsync("k").AsTask().Within());
        Assert.Equal("new", Harness.Text(inner.Rows["k"].Value));
        Assert.Empty(inner.DeadLetters.Letters);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_ShutdownSealsTheShardWhileTheStoreIsRead_FailsAndKeepsTheLetter()
    {
        var (inner, store, cache) = await LetterOfAnEvictedKeyAsync();
        inner.PoisonKeys.Clear();

        store.HoldLoads = true;
        var retry = cache.RetryDeadLetterAsync("k").AsTask();
        Assert.True(await store.LoadRead.WaitAsync(Harness.Within));
        inner.Pause(); // a write held in the store keeps the shutdown's flush, and the shards, going
        await cache.SetAsync("other", "v");
        var shutdown = cache.ShutdownAsync();
        await Harness.WaitUntilSealedAsync(cache);

        store.HoldLoads = false;
        store.Gate.Release();

        var refused = await Assert.ThrowsAsync<ObjectDisposedException>(() => retry.Within());
        inner.Resume();
        Assert.True((await shutdown.Within()).Flushed);
        Assert.Contains("was not retried and is kept", refused.Message, StringComparison.Ordinal);
        Assert.Single(inner.DeadLetters.Letters); // still the only copy of the write
        Assert.False(inner.Rows.ContainsKey("k"));
    }

    [Fact]
    public async Task RetryDeadLetterAsync_CancelledWhileTheStoreIsRead_StopsWatchingTheKey()
    {
        var (inner, store, cache) = await LetterOfAnEvictedKeyAsync();
        await using var _ = cache;

        store.HoldLoads = true;
        using var cancel = new CancellationTokenSource();
        var retry = cache.RetryDeadLetterAsync("k", cancel.Token).AsTask();
        Assert.True(await store.LoadRead.WaitAsync(Harness.Within));
        Assert.Equal(1, cache.DropWatches);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => retry.Within());
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (cache.DropWatches != 0)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the watch of the cancelled retry stayed");
            await Task.Delay(5);
        }

        store.HoldLoads = false;
        Assert.Single(inner.DeadLetters.Letters);
    }

    [Fact]
    public async Task RetryDeadLetterAsync_OneOfTwoRetriesOfAKeyCancelledBeforeItsShardTookIt_TheOtherStillWatches()
    {
        var journal = Path.Combine(Path.GetTempPath(), "wb-dl-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (inner, store, cache) = await LetterOfAnEvictedKeyAsync(o => o with { ShardCount = 1, Journal = new WriteBehindAkka.Journal.JournalOptions { Directory = journal, FsyncPolicy = WriteBehindAkka.Journal.FsyncPolicy.No } });
            await using var _ = cache;

            // The first retry reads the store and is held there, watching "k".
            store.HoldLoads = true;
            var first = cache.RetryDeadLetterAsync("k").AsTask();
            Assert.True(await store.LoadRead.WaitAsync(Harness.Within));
            Assert.Equal(1, cache.DropWatches);

            // The shard is held busy (a write stalls in its journal append, under the shard's lock), so the second
            // retry's request waits in the mailbox, and is cancelled there.
            using var appending = new SemaphoreSlim(0);
            using var resume = new SemaphoreSlim(0);
            cache.Journal!.FaultInjector = () =>
            {
                appending.Release();
                resume.Wait(Harness.Within);
                return null;
            };
            var stalled = Task.Run(() => cache.SetAsync("busy", "v").AsTask());
            Assert.True(await appending.WaitAsync(Harness.Within));
            cache.Journal.FaultInjector = null;
            using var cancel = new CancellationTokenSource();
            var second = cache.RetryDeadLetterAsync("k", cancel.Token).AsTask();
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.Within());
            resume.Release();
            await stalled.Within();
            await cache.GetStatusAsync("busy").AsTask().Within(); // behind the cancelled request and its undoing

            // The first retry's watch is intact: a newer write committed and evicted meanwhile still supersedes it.
            Assert.Equal(1, cache.DropWatches);
            inner.PoisonKeys.Clear();
            await cache.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();
            await EvictAsync(cache, "k");
            store.HoldLoads = false;
            store.Gate.Release();
            Assert.Equal(DeadLetterRetryOutcome.Superseded, (await first.Within()).Outcome);
            Assert.Equal(0, cache.DropWatches);
            Assert.Equal("new", Harness.Text(inner.Rows["k"].Value));
        }
        finally
        {
            Directory.Delete(journal, recursive: true);
        }
    }

    /// <summary>A cache over a <see cref="HeldLoadStore"/> with a dead letter of "k" (refused as "old") whose entry is evicted.</summary>
    private static async Task<(InMemoryStore<string> Inner, HeldLoadStore Store, WriteBehindCache<string, string> Cache)> LetterOfAnEvictedKeyAsync(
        Func<WriteBehindAkka.Options.WriteBehindOptions, WriteBehindAkka.Options.WriteBehindOptions>? change = null)
    {
        var inner = new InMemoryStore<string>();
        inner.PoisonKeys["k"] = true;
        var store = new HeldLoadStore(inner);
        var options = Harness.Options(o => o with { MaxCachedEntries = 1 });
        var cache = new WriteBehindCache<string, string>(store, change is null ? options : change(options), jitter: () => 0.0);
        await cache.SetAsync("k", "old");
        await cache.FlushAsync().Within();
        await EvictAsync(cache, "k");
        return (inner, store, cache);
    }

    /// <summary>The test kit's store, with loads that can be held after they read (a read that is then overtaken).</summary>
    private sealed class HeldLoadStore(InMemoryStore<string> inner) : IWriteBehindStore<string>
    {
        public volatile bool HoldLoads;

        public SemaphoreSlim LoadRead { get; } = new(0);

        public SemaphoreSlim Gate { get; } = new(0);

        public IDeadLetterStore<string>? DeadLetters => inner.DeadLetters;

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) => inner.WriteBatchAsync(batch, cancellationToken);

        public async ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken)
        {
            var row = await inner.LoadAsync(key, cancellationToken);
            if (HoldLoads)
            {
                LoadRead.Release();
                await Gate.WaitAsync(cancellationToken);
            }

            return row;
        }

        public StoreErrorKind Classify(Exception error) => inner.Classify(error);

        public string? GetErrorCode(Exception error) => inner.GetErrorCode(error);
    }

    /// <summary>Writes other keys until <paramref name="key"/> is no longer cached (its shard is over MaxCachedEntries).</summary>
    private static async Task EvictAsync(WriteBehindCache<string, string> cache, string key)
    {
        for (int i = 0; (await cache.GetStatusAsync(key)).State != WriteState.NotCached; i++)
        {
            Assert.True(i < 1_000, $"Key '{key}' was never evicted.");
            await cache.SetAsync($"filler{i}", "v", WriteConsistency.Committed).AsTask().Within();
        }
    }

    /// <summary>A dead-letter store that, once disposed, fails as the PostgreSQL store's does (its data source is gone).</summary>
    private sealed class DisposableDeadLetters : IDeadLetterStore<string>
    {
        private readonly InMemoryDeadLetterStore<string> _inner = new();

        public bool Disposed { get; set; }

        public ValueTask WriteAsync(IReadOnlyList<DeadLetter<string>> letters, CancellationToken cancellationToken) => Check() ? default : _inner.WriteAsync(letters, cancellationToken);

        public ValueTask<IReadOnlyList<DeadLetter<string>>> ListAsync(int offset, int limit, CancellationToken cancellationToken) => Check() ? default : _inner.ListAsync(offset, limit, cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken) => Check() ? default : _inner.CountAsync(cancellationToken);

        public ValueTask<DeadLetter<string>?> GetAsync(string key, CancellationToken cancellationToken) => Check() ? default : _inner.GetAsync(key, cancellationToken);

        public ValueTask<bool> DeleteAsync(DeadLetter<string> letter, CancellationToken cancellationToken) => Check() ? default : _inner.DeleteAsync(letter, cancellationToken);

        private bool Check() => Disposed ? throw new ObjectDisposedException("Npgsql.PoolingDataSource") : false;
    }
}
