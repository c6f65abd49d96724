using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Bulk writes at the edges: other writers waiting for room, shutdown mid-list, and the gate's accounting.</summary>
public sealed class BulkWriteEdgeTests
{
    private static KeyValuePair<string, string> Pair(string key, string value) => new(key, value);

    [Fact]
    public async Task SetMany_WhileAnotherWriterWaitsForRoom_QueuesBehindIt_InListOrder()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2 }));
        await cache.SetAsync("a", "v");
        await cache.SetAsync("b", "v");
        var waiting = cache.SetAsync("k", "other").AsTask(); // over the bound: waits at the gate

        var bulk = cache.SetManyAsync([Pair("k", "1"), Pair("x", "1"), Pair("k", "2")]).AsTask();

        Assert.False(waiting.IsCompleted);
        Assert.False(bulk.IsCompleted);
        store.Resume();
        await waiting.Within();
        Harness.AssertBulk(3, WriteConsistency.Accepted, await bulk.Within());
        await cache.FlushAsync().Within();
        Assert.Equal("2", await cache.GetAsync("k"));
        Assert.Equal("2", Harness.Text(store.Rows["k"].Value!));
        Assert.Equal(0, cache.GateAdmitted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SetMany_NotAwaited_WhileAWriteOfItWaitsForRoom_IsNotOvertakenByTheCallersNextWrite(bool bigBound)
    {
        // "c" waits for room, and the call returns its task; the caller writes "k" again without awaiting the list.
        // The list's "k" must be in line before that write, or the older value lands last and wins. With the small
        // bound the two writes are let in one commit at a time, with the big one both at once.
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = bigBound ? 3 : 2 }));
        await cache.SetAsync("a", "v");
        await cache.SetAsync("b", "v");
        if (bigBound)
        {
            await cache.SetAsync("e", "v");
        }

        var bulk = cache.SetManyAsync([Pair("c", "v"), Pair("k", "older")]).AsTask();
        var newer = cache.SetAsync("k", "newer", WriteConsistency.Accepted).AsTask();
        Assert.False(bulk.IsCompleted);
        Assert.False(newer.IsCompleted);

        store.Resume();
        Harness.AssertBulk(2, WriteConsistency.Accepted, await bulk.Within());
        var version = await newer.Within();
        await cache.FlushAsync().Within();

        Assert.Equal("newer", await cache.GetAsync("k"));
        Assert.Equal("newer", Harness.Text(store.Rows["k"].Value!));
        Assert.Equal(version.Version, (await cache.GetStatusAsync("k")).Version);
        Assert.Equal(0, cache.GateAdmitted);
    }

    [Fact]
    public async Task SetMany_ShutDownWhileAWriteWaitsForRoom_FailsNamingIt_AndLeavesNoAdmission()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2, ShutdownTimeout = TimeSpan.FromMilliseconds(100) }));
        var bulk = cache.SetManyAsync([Pair("a", "v"), Pair("b", "v"), Pair("c", "v"), Pair("d", "v")]).AsTask();
        Assert.False(bulk.IsCompleted);

        var shutdown = cache.ShutdownAsync();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => bulk.Within());

        // c waited for room and d in line behind it: both were taken, and both failed with the stop.
        Assert.Equal(4, error.Taken);
        Assert.Equal([2, 3], error.Failures.Select(f => f.Index));
        Assert.All(error.Failures, f => Assert.IsType<ObjectDisposedException>(f.Error));
        await shutdown.Within();
        Assert.Equal(0, cache.GateAdmitted);
        store.Resume();
    }

    [Fact]
    public async Task DeleteMany_Committed_OverTheBound_WaitsAndReportsEachVersion()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 1, MaxBatchSize = 1 }));
        var set = await cache.SetManyAsync([Pair("a", "v"), Pair("b", "v"), Pair("c", "v")], WriteConsistency.Committed).AsTask().Within();

        var deleted = await cache.DeleteManyAsync(["a", "b", "c"], WriteConsistency.Committed).AsTask().Within();

        Harness.AssertBulk(3, WriteConsistency.Committed, deleted);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(deleted.Versions[i] > set.Versions[i]);
        }

        Assert.Empty(store.Rows);
        Assert.Equal(0, cache.GateAdmitted);
    }
}

/// <summary>Many writers at a small bound and small mailboxes: no admission leaks, no write overtaken, nothing hangs.</summary>
public sealed class BackpressureStressTests
{
    [Fact]
    public async Task ManyWritersAtTheBound_SomeCancelled_SomeInBulk_EachKeyEndsAtItsLastWrite_AndNoAdmissionIsLeft()
    {
        var store = new InMemoryStore<string>();
        var options = Harness.Options(o => o with { ShardCount = 4, Parallelism = 2, MaxPendingEntries = 6, MailboxCapacity = 2, MaxBatchSize = 3, MaxBatchDelay = TimeSpan.FromMilliseconds(1) });
        await using var cache = Harness.Cache(store, options);
        const int Writers = 8, Rounds = 150;

        async Task<bool> Writer(int writer)
        {
            var random = new Random(writer);
            var fired = new List<Task>();
            var cancellations = new List<CancellationTokenSource>();
            for (int round = 0; round < Rounds; round++)
            {
                string key = $"w{writer}-k{round % 3}";
                switch (random.Next(4))
                {
                    case 0: // fired, not awaited: a later write of the key must not be overtaken by it
                        fired.Add(cache.SetAsync(key, $"{round}").AsTask());
                        break;
                    case 1: // may be cancelled while it waits: then not taken
                        var cancel = new CancellationTokenSource();
                        cancellations.Add(cancel);
                        var write = cache.SetAsync(key, $"{round}", cancel.Token).AsTask();
                        cancel.Cancel();
                        fired.Add(write.ContinueWith(t => t.IsCanceled || t.Exception?.InnerException is OperationCanceledException ? Task.CompletedTask : t, TaskScheduler.Default).Unwrap());
                        break;
                    case 2:
                        await cache.SetManyAsync([new(key, $"{round}a"), new($"w{writer}-bulk", $"{round}"), new(key, $"{round}")]);
                        break;
                    default:
                        await cache.SetAsync(key, $"{round}");
                        break;
                }
            }

            // The last write of each key, awaited: what the key must end at.
            for (int k = 0; k < 3; k++)
            {
                await cache.SetAsync($"w{writer}-k{k}", "last");
            }

            await Task.WhenAll(fired);
            cancellations.ForEach(c => c.Dispose());
            return true;
        }

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => Writer(w))).ToArray();
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);

        Assert.Equal(0, cache.GateAdmitted);
        Assert.False(cache.IsAtBound);
        for (int w = 0; w < Writers; w++)
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal("last", await cache.GetAsync($"w{w}-k{k}"));
                Assert.Equal("last", Harness.Text(store.Rows[$"w{w}-k{k}"].Value!));
            }
        }

        Assert.True(cache.TrySet("after", "v"), "a Tell goes in once the writers are done");
    }
}

/// <summary>A bulk write one of whose writes waits for room in a full mailbox is not overtaken by the caller's next write.</summary>
public sealed class BulkWriteFullMailboxTests
{
    [Fact]
    public async Task SetMany_NotAwaited_WhileAWriteOfItWaitsForMailboxRoom_IsNotOvertakenByTheCallersNextWrite()
    {
        // "c" finds the shard's one-slot mailbox full and waits for room; the call returns its task, and the caller
        // writes "k" again without awaiting the list. The list's "k" must be in line before that write.
        HeldKey<BulkWriteFullMailboxTests>.Held.Reset();
        HeldKey<BulkWriteFullMailboxTests>.Holding.Reset();
        var store = new InMemoryStore<HeldKey<BulkWriteFullMailboxTests>>();
        var options = Harness.Options(o => o with { MailboxCapacity = 1 });
        await using var cache = new WriteBehindCache<HeldKey<BulkWriteFullMailboxTests>, string>(
            store, options, keyHasher: new OneShard<BulkWriteFullMailboxTests>(), jitter: () => 0.0);
        static HeldKey<BulkWriteFullMailboxTests> Key(string name) => new(name);
        var holder = Task.Run(() => cache.TrySet(Key("hold"), "v"));
        Assert.True(HeldKey<BulkWriteFullMailboxTests>.Holding.Wait(Harness.Within), "the inline write holds the shard");
        Task<BulkWriteResult> bulk;
        Task<WriteResult> newer;
        try
        {
            Assert.True(cache.TrySet(Key("x"), "v")); // the mailbox's one slot
            bulk = cache.SetManyAsync([new(Key("c"), "v"), new(Key("k"), "older")]).AsTask();
            newer = cache.SetAsync(Key("k"), "newer", WriteConsistency.Accepted).AsTask();
            Assert.False(bulk.IsCompleted);
            Assert.False(newer.IsCompleted);
        }
        finally
        {
            HeldKey<BulkWriteFullMailboxTests>.Held.Set();
        }

        Assert.True(await holder.Within());
        Harness.AssertBulk(2, WriteConsistency.Accepted, await bulk.Within());
        await newer.Within();
        await cache.FlushAsync().Within();

        Assert.Equal("newer", await cache.GetAsync(Key("k")));
        Assert.Equal("newer", Harness.Text(store.Rows[Key("k")].Value!));
    }
}
