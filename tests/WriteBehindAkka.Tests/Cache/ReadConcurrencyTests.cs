using System.Text;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>The read path under concurrency: cancelled readers, loads overtaken by writes and evictions, batch loads, shutdown.</summary>
public sealed class ReadConcurrencyTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes($"\"{text}\"");

    private static WriteBehindCache<string, string> Cache(GatedLoadStore store, Func<WriteBehindAkka.Options.WriteBehindOptions, WriteBehindAkka.Options.WriteBehindOptions>? change = null) =>
        new(store, Harness.Options(o => change is null ? o with { ShardCount = 1 } : change(o with { ShardCount = 1 })), jitter: () => 0.0);

    /// <summary>Waits until every load under way has been handled by its shard.</summary>
    private static async Task UntilLoadsLandedAsync(WriteBehindCache<string, string> cache)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (cache.LoadsUnderWay != 0)
        {
            Assert.True(waited.Elapsed < Harness.Within, "a load never landed");
            await Task.Delay(2);
        }
    }

    [Fact]
    public async Task SharedLoad_OneReaderCancels_TheOthersStillGetTheRow()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("stored"), 1);
        await using var cache = Cache(store);
        using var cancel = new CancellationTokenSource();

        var quitter = cache.GetAsync("k", cancel.Token).AsTask();
        var load = await store.NextLoadAsync();
        var stayer = cache.GetAsync("k").AsTask();
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k").AsTask().Within()); // ordered after the second read
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter.Within());
        load.Release();

        Assert.Equal("stored", await stayer.Within());
        Assert.Equal(1, store.Loads);
    }

    [Fact]
    public async Task SoleReaderCancels_ItsLoadDoesNotCacheTheOlderRowOverANewerWrite()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("old"), 1);
        await using var cache = Cache(store);
        using var cancel = new CancellationTokenSource();

        var quitter = cache.GetAsync("k", cancel.Token).AsTask();
        var load = await store.NextLoadAsync(); // has read "old"
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter.Within());
        await cache.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();
        Assert.True(await cache.EvictAsync("k").AsTask().Within());
        load.Release();

        var read = cache.GetAsync("k").AsTask();
        if (!read.IsCompleted)
        {
            // The stale load is made again (or this read loads afresh): let every later load answer.
            (await store.NextLoadAsync()).Release();
        }

        Assert.Equal("new", await read.Within());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadersWaitingForALoadThatHangs_AreAnsweredByAWriteOfTheKey(bool delete)
    {
        // "A write that arrives while the load runs wins": the readers waiting need not wait for the load any more.
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("stored"), 1);
        await using var cache = Cache(store, o => o with { ShutdownTimeout = TimeSpan.FromSeconds(1) });

        var reader = cache.GetAsync("k").AsTask();
        var update = cache.UpdateAsync("k", current => (current.Value ?? "none") + "+1").AsTask();
        var many = cache.GetManyAsync(["k"]).AsTask();
        _ = await store.NextLoadAsync(); // never released
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k").AsTask().Within()); // after the three reads
        if (delete)
        {
            await cache.DeleteAsync("k").AsTask().Within();
        }
        else
        {
            await cache.SetAsync("k", "mine").AsTask().Within();
        }

        string? expected = delete ? null : "mine";
        Assert.Equal(expected, await reader.Within());
        Assert.Equal(expected, (await many.Within()).GetValueOrDefault("k"));
        Assert.Equal((expected ?? "none") + "+1", (await update.Within()).Value);
        Assert.Equal(1, store.Loads);
    }

    [Fact]
    public async Task CancelledRead_DoesNotLeaveTheKeyStuck()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("stored"), 1);
        await using var cache = Cache(store);
        using var cancel = new CancellationTokenSource();

        var quitter = cache.GetAsync("k", cancel.Token).AsTask();
        var load = await store.NextLoadAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter.Within());
        load.Release();

        Assert.Equal("stored", await cache.GetAsync("k").AsTask().Within());
        Assert.Equal(1, store.Loads);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RowWithANewerVersionLoadedButNotCached_TheNextWriteGetsAHigherVersion(bool evictedMeanwhile)
    {
        // "The clock moves past every version the cache sees (a row read through)": also a row whose load a write
        // overtook, or one a reader got from a load made stale by evictions. Else the next write took the machine's time, below the row's
        // version, and the store's version guard kept the older row: the write was acknowledged, committed, and lost.
        var store = new GatedLoadStore();
        long future = Versioning.FromTimestamp(DateTimeOffset.UtcNow.AddDays(1));
        store.Inner.Seed("k", Json("theirs"), future);
        await using var cache = Cache(store);

        var reader = cache.GetAsync("k").AsTask();
        var load = await store.NextLoadAsync(); // has read "theirs" at the future version
        if (evictedMeanwhile)
        {
            // Evicted during the load and during its reload: the reader gets the reload's row, which is not cached.
            Assert.False(await cache.EvictAsync("k").AsTask().Within());
            load.Release();
            var reload = await store.NextLoadAsync();
            Assert.False(await cache.EvictAsync("k").AsTask().Within());
            reload.Release();
            Assert.Equal("theirs", await reader.Within());
        }
        else
        {
            await cache.SetAsync("k", "mine").AsTask().Within(); // overtakes the load: the reader gets the write
            Assert.Equal("mine", await reader.Within());
            load.Release();
            await UntilLoadsLandedAsync(cache);
        }

        var next = await cache.SetAsync("k", "mine again", WriteConsistency.Committed).AsTask().Within();

        Assert.True(next.Version > future, $"version {next.Version} is not above the row's {future}");
        Assert.Equal("mine again", Harness.Text(store.Inner.Rows["k"].Value));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LoadReturnsAfterWriteDeleteWriteCommittedAndEvicted_ItsOlderRowIsNotCached(bool endWithDelete)
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("old"), 1);
        await using var cache = Cache(store);

        var reader = cache.GetAsync("k").AsTask();
        var load = await store.NextLoadAsync(); // has read "old"
        await cache.SetAsync("k", "a").AsTask().Within();
        await cache.DeleteAsync("k").AsTask().Within();
        if (endWithDelete)
        {
            await cache.SetAsync("k", "b").AsTask().Within();
            await cache.DeleteAsync("k", WriteConsistency.Committed).AsTask().Within();
        }
        else
        {
            await cache.SetAsync("k", "b", WriteConsistency.Committed).AsTask().Within();
        }

        await cache.FlushAsync().Within();
        Assert.True(await cache.EvictAsync("k").AsTask().Within());
        store.Ungated = true;
        load.Release(); // its row ("old") is stale: not cached

        Assert.Equal("a", await reader.Within()); // the first write overtook the load: the reader had it at once
        await UntilLoadsLandedAsync(cache);
        Assert.Equal(endWithDelete ? null : "b", await cache.GetAsync("k").AsTask().Within());
    }

    [Fact]
    public async Task UpdateRacingALoadAndACommittedWrite_SeesTheWrite_AndTheLoadIsNotCachedOverIt()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("old"), 1);
        await using var cache = Cache(store);

        var update = cache.UpdateAsync("k", current => (current.Found ? current.Value : "none") + "+1").AsTask();
        var load = await store.NextLoadAsync(); // has read "old"
        await cache.SetAsync("k", "new", WriteConsistency.Committed).AsTask().Within();

        Assert.Equal("new+1", (await update.Within()).Value); // answered by the write, not the load
        await cache.FlushAsync().Within();
        Assert.True(await cache.EvictAsync("k").AsTask().Within());
        store.Ungated = true;
        load.Release();
        Assert.Equal("new+1", await cache.GetAsync("k").AsTask().Within());
    }

    [Fact]
    public async Task ComputeRacingAnEvictionOnRequest_SeesTheRowChangedElsewhere()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("k", Json("old"), 1);
        await using var cache = Cache(store);

        var compute = cache.ComputeAsync("k", current => new CacheLookup<string>(true, (current.Found ? current.Value : "none") + "+1")).AsTask();
        var load = await store.NextLoadAsync(); // has read "old"
        store.Inner.Seed("k", Json("theirs"), 5); // another process
        Assert.False(await cache.EvictAsync("k").AsTask().Within());
        load.Release();
        (await store.NextLoadAsync()).Release();

        Assert.Equal("theirs+1", (await compute.Within()).Value);
    }

    [Fact]
    public async Task GetMany_KeyWrittenAndKeyEvictedDuringTheBatchLoad_AnswerTheLatest()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("a", Json("old-a"), 1);
        store.Inner.Seed("b", Json("old-b"), 1);
        store.Inner.Seed("c", Json("old-c"), 1);
        await using var cache = Cache(store);

        var many = cache.GetManyAsync(["a", "b", "c"]).AsTask();
        var batch = await store.NextLoadAsync();
        Assert.Equal(3, batch.Keys.Count);
        await cache.SetAsync("a", "mine").AsTask().Within(); // pending
        await cache.SetAsync("b", "new-b", WriteConsistency.Committed).AsTask().Within();
        Assert.True(await cache.EvictAsync("b").AsTask().Within());
        store.Ungated = true;
        batch.Release(); // "b"'s row is stale: not cached

        var values = await many.Within();
        Assert.Equal("mine", values["a"]);
        Assert.Equal("new-b", values["b"]);
        Assert.Equal("old-c", values["c"]);
        await UntilLoadsLandedAsync(cache);
        Assert.Equal("new-b", await cache.GetAsync("b").AsTask().Within());
    }

    [Fact]
    public async Task GetMany_BatchRefusedForOneKey_AGetOfAnotherKeyThatSharedIt_GetsItsRow()
    {
        var store = new GatedLoadStore();
        store.Inner.Seed("a", Json("row-a"), 1);
        store.Inner.Seed("b", Json("row-b"), 1);
        await using var cache = Cache(store);

        var many = cache.GetManyAsync(["a", "b"]).AsTask();
        var batch = await store.NextLoadAsync();
        var single = cache.GetAsync("b").AsTask();
        var singleA = cache.GetAsync("a").AsTask();
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("b").AsTask().Within()); // the reads joined
        batch.Fail(new SimulatedStoreException(StoreErrorKind.Permanent, "bad row a"));
        var first = await store.NextLoadAsync();
        var second = await store.NextLoadAsync();
        foreach (var one in new[] { first, second })
        {
            if (one.Keys[0] == "a")
            {
                one.Fail(new SimulatedStoreException(StoreErrorKind.Permanent, "bad row a"));
            }
            else
            {
                one.Release();
            }
        }

        Assert.Equal("row-b", await single.Within());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => singleA.Within());
        Assert.IsType<SimulatedStoreException>(error.InnerException);
        await Assert.ThrowsAsync<InvalidOperationException>(() => many.Within());
        Assert.Equal("row-b", await cache.GetAsync("b").AsTask().Within());
    }

    [Theory]
    [InlineData("get")]
    [InlineData("many")]
    [InlineData("update")]
    public async Task ReaderCancelledBeforeItsLoadFails_LeavesNoTaskUnobserved(string how)
    {
        // A reader that gave up (a timeout during a store outage) is not told its load failed: that failure must not
        // surface as TaskScheduler.UnobservedTaskException, which applications log as an error (or crash on).
        string key = $"unobserved-{how}-{Guid.NewGuid():N}";
        int unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> count = (_, e) =>
        {
            if (e.Exception.ToString().Contains(key, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref unobserved);
            }
        };
        TaskScheduler.UnobservedTaskException += count;
        try
        {
            await CancelThenFailAsync(key, how);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            Assert.Equal(0, Volatile.Read(ref unobserved));
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= count;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task CancelThenFailAsync(string key, string how)
    {
        var store = new GatedLoadStore();
        await using var cache = Cache(store);
        using var cancel = new CancellationTokenSource();
        Task read = how switch
        {
            "get" => cache.GetAsync(key, cancel.Token).AsTask(),
            "many" => cache.GetManyAsync([key, key + "-other"], cancel.Token).AsTask(),
            _ => cache.UpdateAsync(key, v => "x", cancellationToken: cancel.Token).AsTask(),
        };
        var load = await store.NextLoadAsync();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.Within());
        load.Fail(new SimulatedStoreException($"store down while loading '{key}'"));

        // A read of the key ends once the failed load was handled: it shares that load (and fails with it), or, if it
        // came after, loads again.
        store.Ungated = true;
        var after = cache.GetAsync(key).AsTask();
        try
        {
            await after.Within();
        }
        catch (InvalidOperationException)
        {
        }
    }

    [Fact]
    public async Task ReadsRacingDispose_EachAnswersOrThrowsObjectDisposed_NoneHangs()
    {
        for (int round = 0; round < 60; round++)
        {
            var store = new InMemoryStore<string>();
            for (int i = 0; i < 50; i++)
            {
                store.Seed($"k{i}", Json($"v{i}"), 1);
            }

            var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 2, MailboxCapacity = 4 }));
            if (round % 2 == 1)
            {
                store.Pause(); // loads held until the shutdown cancels them
            }

            using var go = new ManualResetEventSlim();
            var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
            {
                go.Wait();
                for (int i = 0; ; i++)
                {
                    string key = $"k{(i * 7 + r) % 50}";
                    try
                    {
                        switch (i % 4)
                        {
                            case 0: await cache.GetAsync(key); break;
                            case 1: await cache.TryGetAsync(key); break;
                            case 2: await cache.GetManyAsync([key, $"k{(i + 1) % 50}"]); break;
                            default: await cache.UpdateAsync(key, v => v.Value + "!"); break;
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }
                }
            })).ToArray();
            go.Set();
            await Task.Delay(5);
            await cache.DisposeAsync().AsTask().WaitAsync(Harness.Within);
            await Task.WhenAll(readers).WaitAsync(Harness.Within);
        }
    }
}
