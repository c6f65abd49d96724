using System.Text;
using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

using static WriteBehindAkka.Tests.Cache.Updates;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Atomic updates: UpdateAsync, AddOrUpdateAsync and GetOrAddAsync.</summary>
public sealed class UpdateTests
{
    [Fact]
    public async Task UpdateAsync_KeyWithoutValue_FunctionSeesNoneAndItsValueIsWritten()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);

        var result = await cache.UpdateAsync("k", Increment).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(new UpdateResult<int>(1, true, result.Version, WriteConsistency.Accepted, 1), result);
        Assert.True(result.Version > 0);
        Assert.Equal(1, Stored(store, "k"));
        Assert.Equal(result.Version, store.Rows["k"].Version);
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task UpdateAsync_StoredRow_FunctionSeesItByReadThrough()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(41), 1);
        await using var cache = Counters(store);

        var result = await cache.UpdateAsync("k", Increment).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(42, result.Value);
        Assert.Equal(42, await cache.GetAsync("k"));
        Assert.Equal(42, Stored(store, "k"));
    }

    [Fact]
    public async Task UpdateAsync_ReadThroughOff_KeyNotCached_StartsFromNoneAsReadsDo()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(41), 1);
        await using var cache = Counters(store, o => o with { ReadThrough = false });

        var result = await cache.UpdateAsync("k", Increment).AsTask().Within();

        Assert.Equal(1, result.Value);
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task UpdateAsync_KeyWrittenBetweenReadAndWrite_RunsAgainOnTheNewValue()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);
        await cache.SetAsync("k", 5);
        var seen = new List<int>();

        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current.Value);
            if (seen.Count == 1)
            {
                Wait(cache.SetAsync("k", 100)); // another writer, between the read and the write
            }

            return current.Value + 1;
        }).AsTask().Within();

        Assert.Equal([5, 100], seen);
        Assert.Equal(101, result.Value);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(101, await cache.GetAsync("k"));
    }

    [Fact]
    public async Task UpdateAsync_Conflict_CountedOnWritebehindUpdatesConflicts()
    {
        string name = "update-conflicts-" + Guid.NewGuid().ToString("N");
        long conflicts = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Diagnostics.WriteBehindMetrics.MeterName && instrument.Name == "writebehind.updates.conflicts")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "writebehind.cache" && (string?)tag.Value == name)
                {
                    Interlocked.Add(ref conflicts, value);
                }
            }
        });
        listener.Start();
        await using var cache = new WriteBehindCache<string, int>(new InMemoryStore<string>(), Harness.Options(), name: name, jitter: () => 0.0);
        int calls = 0;

        var result = await cache.UpdateAsync("k", current =>
        {
            if (++calls == 1)
            {
                Wait(cache.SetAsync("k", 100, WriteConsistency.Accepted)); // the update's write then conflicts once
            }

            return Increment(current);
        }).AsTask().Within();

        Assert.Equal((101, 2), (result.Value, result.Attempts));
        Assert.Equal(1, Interlocked.Read(ref conflicts));
    }

    [Fact]
    public async Task UpdateAsync_KeyWithoutValueWrittenBetweenReadAndWrite_RunsAgainOnTheNewValue()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);
        var seen = new List<CacheLookup<int>>();

        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current);
            if (seen.Count == 1)
            {
                Wait(cache.SetAsync("k", 100));
            }

            return Increment(current);
        }).AsTask().Within();

        Assert.Equal([default, new CacheLookup<int>(true, 100)], seen);
        Assert.Equal(101, result.Value);
        Assert.Equal(101, await cache.GetAsync("k"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UpdateAsync_KeyWrittenCommittedAndEvictedBetweenReadAndWrite_ReadsTheStoreAgain(bool hadValue)
    {
        // The entry the update read is gone when its write arrives, and the key is not cached: the write must not be
        // taken as if nothing happened (it would overwrite 100, which the function never saw).
        var store = new InMemoryStore<string>();
        if (hadValue)
        {
            store.Seed("k", Json(5), 1);
        }

        await using var cache = Counters(store);
        int calls = 0;

        var result = await cache.UpdateAsync("k", current =>
        {
            if (++calls == 1)
            {
                Wait(cache.SetAsync("k", 100, WriteConsistency.Committed));
                Assert.True(Wait(cache.EvictAsync("k")), "evicted");
            }

            return Increment(current);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(101, result.Value);
        Assert.Equal(2, result.Attempts);
        Assert.Equal(101, Stored(store, "k"));
        Assert.Equal(2, store.LoadsOf("k"));
    }

    [Fact]
    public async Task UpdateAsync_EntryEvictedForRoomBetweenReadAndWrite_WriteTakenWithoutRunningAgain()
    {
        // One shard, one entry: the read of "other" inside the function evicts "k", clean and untouched since the
        // update read it. The store still has what the update read, so its write is taken.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.Seed("other", Json(0), 1);
        await using var cache = Counters(store, o => o with { ShardCount = 1, MaxCachedEntries = 1 });
        int calls = 0;

        var result = await cache.UpdateAsync("k", current =>
        {
            if (++calls == 1)
            {
                Assert.Equal(0, Wait(cache.GetAsync("other")));
                Assert.Equal(KeyStatus.NotCached, Wait(cache.GetStatusAsync("k")));
            }

            return Increment(current);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal((6, 1), (result.Value, result.Attempts));
        Assert.Equal(6, Stored(store, "k"));
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task UpdateAsync_RowChangedElsewhereAndEvictedOnRequestBetweenReadAndWrite_RunsAgainOnTheNewRow()
    {
        // EvictAsync says another process changed the row: an update that read the entry before must not write over it.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = Counters(store);
        var seen = new List<int>();

        var result = await cache.UpdateAsync("k", current =>
        {
            seen.Add(current.Value);
            if (seen.Count == 1)
            {
                store.Seed("k", Json(50), 2); // another process
                Assert.True(Wait(cache.EvictAsync("k")));
            }

            return Increment(current);
        }).AsTask().Within();

        Assert.Equal([5, 50], seen);
        Assert.Equal(51, result.Value);
    }

    [Fact]
    public async Task UpdateAsync_KeyWrittenCommittedAndEvictedWhileItsLoadRuns_LoadsAgain()
    {
        // The update's load read "no row", then the key was written, committed and evicted before the load answered:
        // that answer is stale, and must not be what the update reads, nor be cached. (The write answers the update at
        // once: it need not wait for the load.)
        var store = new SlowLoadStore();
        await using var cache = new WriteBehindCache<string, int>(store, Harness.Options(), jitter: () => 0.0);

        var update = cache.UpdateAsync("k", Increment).AsTask();
        await store.Loaded.Task.Within();
        await cache.SetAsync("k", 100, WriteConsistency.Committed).AsTask().Within();
        var result = await update.Within();
        await cache.FlushAsync().Within();
        Assert.True(await cache.EvictAsync("k"));
        store.Release.TrySetResult();

        Assert.Equal((101, 1), (result.Value, result.Attempts));
        Assert.Equal("101", Encoding.UTF8.GetString(store.Inner.Rows["k"].Value!));
        Assert.Equal(101, await cache.GetAsync("k").AsTask().Within());
    }

    [Fact]
    public async Task ACacheThatNeverUpdates_KeepsNoChangeTables_EvenWhenAWriteRacesALoad()
    {
        // The tables are for updates; a cache without them pays no hash per write.
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.Pause();
        await using var cache = Counters(store);

        var read = cache.GetAsync("k").AsTask();
        await cache.SetAsync("k", 6); // written while its load runs
        store.Resume();
        Assert.Equal(6, await read.Within());
        Assert.Equal(0, await cache.GetAsync("missing")); // a load that finds no row
        await cache.FlushAsync().Within();

        Assert.False(cache.TracksUpdateChanges);
        await cache.UpdateAsync("k", Increment).AsTask().Within();
        Assert.True(cache.TracksUpdateChanges);
    }

    [Fact]
    public async Task UpdateAsync_ConcurrentIncrementsOfOneKey_NoneIsLost()
    {
        // Threads of their own (the pool starts with one a core, and an update that finishes inline never yields its
        // thread), started together, each function yielding between its read and its write: the updates overlap.
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store, o => o with { MaxBatchSize = 64 });
        const int Callers = 6, Each = 1000;
        using var start = new Barrier(Callers);
        long attempts = 0;

        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(Harness.Within);
                for (int i = 0; i < Each; i++)
                {
                    var result = Wait(cache.UpdateAsync("counter", current =>
                    {
                        Thread.Yield();
                        return Increment(current);
                    }));
                    Interlocked.Add(ref attempts, result.Attempts);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));
        await cache.FlushAsync().Within();

        Assert.Equal(Callers * Each, await cache.GetAsync("counter"));
        Assert.Equal(Callers * Each, Stored(store, "counter"));
        Assert.True(attempts > Callers * Each, $"the updates never overlapped ({attempts} attempts), so this test proved nothing");
    }

    [Fact]
    public async Task UpdateAsync_ReadQueuedBehindABusyShard_WriteQueuedBehindIt_RunsAgain()
    {
        // The shard is busy: the update's read queues, and a plain write of the key queues behind it. The read is
        // answered with the old value; the update's write comes after the plain one and finds the key changed.
        HeldKey<UpdateTests>.Held.Reset();
        HeldKey<UpdateTests>.Holding.Reset();
        var store = new InMemoryStore<HeldKey<UpdateTests>>();
        await using var cache = new WriteBehindCache<HeldKey<UpdateTests>, int>(
            store, Harness.Options(), keyHasher: new OneShard<UpdateTests>(), jitter: () => 0.0);
        var key = new HeldKey<UpdateTests>("k");
        await cache.SetAsync(key, 5);
        var holder = Task.Run(() => cache.TrySet(new HeldKey<UpdateTests>("hold"), 0));
        Assert.True(HeldKey<UpdateTests>.Holding.Wait(Harness.Within), "the inline write holds the shard");
        var seen = new List<int>();
        Task<UpdateResult<int>> update;
        Task<WriteResult> write;
        try
        {
            update = cache.UpdateAsync(key, current =>
            {
                lock (seen)
                {
                    seen.Add(current.Value);
                }

                return current.Value + 1;
            }).AsTask();
            write = cache.SetAsync(key, 100, WriteConsistency.Accepted).AsTask();
            Assert.False(update.IsCompleted);
        }
        finally
        {
            HeldKey<UpdateTests>.Held.Set();
        }

        Assert.True(await holder.Within());
        await write.Within();
        var result = await update.Within();

        Assert.Equal([5, 100], seen);
        Assert.Equal(101, result.Value);
        Assert.Equal(101, await cache.GetAsync(key));
    }

    [Fact]
    public async Task UpdateAsync_ValueUnchanged_AtAcceptedWritesNothing_AtCommittedWritesItAgain()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);
        var first = await cache.SetAsync("k", 7, WriteConsistency.Committed).AsTask().Within();
        int batches = store.CommittedBatches.Count;

        var same = await cache.UpdateAsync("k", current => current.Value).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(new UpdateResult<int>(7, false, first.Version, WriteConsistency.Accepted, 1), same);
        Assert.Equal(batches, store.CommittedBatches.Count);

        var committed = await cache.UpdateAsync("k", current => current.Value, WriteConsistency.Committed).AsTask().Within();

        Assert.False(committed.Changed);
        Assert.Equal(WriteConsistency.Committed, committed.Consistency);
        Assert.True(committed.Version > first.Version);
        Assert.Equal(committed.Version, store.Rows["k"].Version);
    }

    [Fact]
    public async Task UpdateAsync_Committed_AnsweredOnceTheStoreHasIt()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Counters(store, o => o with { ReadThrough = false });

        var update = cache.UpdateAsync("k", Increment, WriteConsistency.Committed).AsTask();
        await store.ExpectBatchAsync(Harness.Within);
        Assert.False(update.IsCompleted);
        store.Resume();
        var result = await update.Within();

        Assert.Equal(WriteConsistency.Committed, result.Consistency);
        Assert.Equal(result.Version, store.Rows["k"].Version);
    }

    [Fact]
    public async Task ComputeAsync_NoValueReturned_DeletesTheKey_AndForAKeyWithoutValueWritesNothing()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = Counters(store);
        int batches = store.CommittedBatches.Count;

        var absent = await cache.ComputeAsync("none", _ => default).AsTask().Within();
        await cache.FlushAsync().Within();
        Assert.Equal((false, WriteConsistency.Accepted, 0L), (absent.Changed, absent.Consistency, absent.Version));
        Assert.Equal(batches, store.CommittedBatches.Count);

        var deleted = await cache.ComputeAsync("k", current => current.Value == 5 ? default : new(true, current.Value)).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal((0, true, 1), (deleted.Value, deleted.Changed, deleted.Attempts));
        Assert.False(store.Rows.ContainsKey("k"));
        Assert.Equal(default, await cache.TryGetAsync("k"));
        Assert.Equal(3, (await cache.ComputeAsync("k", current => new(true, current.Found ? -1 : 3))).Value);
    }

    [Fact]
    public async Task ComputeAsync_KeyWrittenBetweenReadAndDelete_RunsAgainAndKeepsTheNewValue()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);
        await cache.SetAsync("k", 1);
        var seen = new List<int>();

        var result = await cache.ComputeAsync("k", current =>
        {
            seen.Add(current.Value);
            if (seen.Count == 1)
            {
                Wait(cache.SetAsync("k", 100, WriteConsistency.Accepted)); // its delete would lose this write
            }

            return current.Value == 1 ? default : new CacheLookup<int>(true, current.Value - 1);
        }).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal([1, 100], seen);
        Assert.Equal((99, 2), (result.Value, result.Attempts));
        Assert.Equal(99, Stored(store, "k"));
    }

    [Fact]
    public async Task ComputeAsync_ConcurrentDecrementsThatRemoveAtZero_EveryDecrementCountsAndTheKeyIsGone()
    {
        const int Callers = 4, Each = 500;
        var store = new InMemoryStore<string>();
        store.Seed("stock", Json(Callers * Each), 1);
        await using var cache = Counters(store, o => o with { MaxBatchSize = 64 });
        using var start = new Barrier(Callers);
        int removals = 0;

        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait(Harness.Within);
                for (int i = 0; i < Each; i++)
                {
                    var result = Wait(cache.ComputeAsync("stock", current =>
                    {
                        Thread.Yield();
                        Assert.True(current.Found && current.Value > 0, "a decrement found the stock gone or at zero");
                        return current.Value == 1 ? default : new CacheLookup<int>(true, current.Value - 1);
                    }));
                    Assert.True(result.Changed);
                    if (result.Value == 0)
                    {
                        Interlocked.Increment(ref removals);
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)).ToArray();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));
        await cache.FlushAsync().Within();

        Assert.Equal(1, removals);
        Assert.False(store.Rows.ContainsKey("stock"));
        Assert.Equal(default, await cache.TryGetAsync("stock"));
    }

    [Fact]
    public async Task GetOrAddAsync_AddsOnlyWhenTheKeyHasNoValue()
    {
        var store = new InMemoryStore<string>();
        store.Seed("stored", Json(3), 1);
        await using var cache = Counters(store);

        var added = await cache.GetOrAddAsync("new", 9).AsTask().Within();
        var kept = await cache.GetOrAddAsync("stored", 9).AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal((9, true), (added.Value, added.Changed));
        Assert.Equal((3, false), (kept.Value, kept.Changed));
        Assert.Equal(9, Stored(store, "new"));
        Assert.Equal(1, store.Rows["stored"].Version);
    }

    [Fact]
    public async Task AddOrUpdateAsync_AddsOrUpdates()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);

        var added = await cache.AddOrUpdateAsync("best", 10, best => Math.Max(best, 10)).AsTask().Within();
        var lower = await cache.AddOrUpdateAsync("best", 4, best => Math.Max(best, 4)).AsTask().Within();
        var higher = await cache.AddOrUpdateAsync("best", 12, best => Math.Max(best, 12)).AsTask().Within();

        Assert.Equal((10, true), (added.Value, added.Changed));
        Assert.Equal((10, false), (lower.Value, lower.Changed));
        Assert.Equal((12, true), (higher.Value, higher.Changed));
    }

    [Fact]
    public async Task UpdateAsync_FunctionThrows_NothingWrittenAndTheKeyStillHasNoValue()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);

        var error = await Assert.ThrowsAsync<FormatException>(() => cache.UpdateAsync("k", _ => throw new FormatException("bad")).AsTask()).Within();
        await cache.FlushAsync().Within();

        Assert.Equal("bad", error.Message);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k"));
        Assert.Equal(default, await cache.TryGetAsync("k"));
        Assert.Empty(store.Rows);
        Assert.Equal(1, (await cache.UpdateAsync("k", Increment)).Value);
    }

    [Fact]
    public async Task UpdateAsync_FunctionReturnsNull_FailsClearlyAndWritesNothing()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync("k", _ => null!).AsTask()).Within();

        Assert.Contains("returned null", error.Message, StringComparison.Ordinal);
        Assert.Contains("DeleteAsync", error.Message, StringComparison.Ordinal);
        await cache.FlushAsync().Within();
        Assert.Empty(store.Rows);
    }

    [Fact]
    public async Task UpdateAsync_LoadFails_FailsAsAReadDoes()
    {
        var store = new InMemoryStore<string>();
        store.FailNextLoads(1);
        await using var cache = Counters(store);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.UpdateAsync("k", Increment).AsTask()).Within();

        Assert.Contains("Read-through of key 'k' failed", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await cache.UpdateAsync("k", Increment)).Value);
    }

    [Fact]
    public async Task UpdateAsync_BadArguments_FailBeforeAnythingIsRead()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Counters(store);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Throws<ArgumentNullException>(() => cache.UpdateAsync(null!, Increment));
        Assert.Throws<ArgumentNullException>(() => cache.UpdateAsync("k", null!));
        Assert.Throws<InvalidOperationException>(() => cache.UpdateAsync("k", Increment, WriteConsistency.Journaled));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.UpdateAsync("k", Increment, cancellationToken: cancelled.Token).AsTask());
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task UpdateAsync_AfterShutdown_Fails()
    {
        var store = new InMemoryStore<string>();
        var cache = Counters(store);
        await cache.ShutdownAsync().Within();

        Assert.Throws<ObjectDisposedException>(() => cache.UpdateAsync("k", Increment));
        await cache.DisposeAsync();
    }
}
