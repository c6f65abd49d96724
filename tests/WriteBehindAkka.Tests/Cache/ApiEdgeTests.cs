using WriteBehindAkka.Keys;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>The caller-facing API's edges: empty and duplicate bulk input, throwing and re-entrant update functions, calls after shutdown.</summary>
public sealed class ApiEdgeTests
{
    [Fact]
    public async Task BulkCalls_WithNoItems_AnswerAtOnceWithNothingWritten()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);

        var set = await cache.SetManyAsync([], WriteConsistency.Committed).AsTask().Within();
        var deleted = await cache.DeleteManyAsync([]).AsTask().Within();
        var read = await cache.GetManyAsync([]).AsTask().Within();

        Assert.Equal(0, set.Writes);
        Assert.Equal(0, deleted.Writes);
        Assert.Empty(read);
        Assert.Equal(0, store.Attempts);
    }

    [Fact]
    public async Task Update_AFunctionThatThrows_FailsTheCallWithItsError_AndLeavesTheKeyAndShardUsable()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "v");

        var error = await Assert.ThrowsAsync<FormatException>(() => cache.UpdateAsync("k", _ => throw new FormatException("bad")).AsTask().Within());

        Assert.Equal("bad", error.Message);
        Assert.Equal("v", await cache.GetAsync("k"));
        var next = await cache.UpdateAsync("k", v => v.Value + "2").AsTask().Within();
        Assert.Equal("v2", next.Value);
    }

    [Fact]
    public async Task Update_AFunctionThatReadsAndWritesAnotherKeyOfItsShard_DoesNotDeadlock()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));
        await cache.SetAsync("k", "1");

        var result = await cache.UpdateAsync("k", v =>
        {
            string other = cache.GetAsync("other").AsTask().GetAwaiter().GetResult() ?? "none";
            cache.SetAsync("other", "seen-" + other).AsTask().GetAwaiter().GetResult();
            return v.Value + other;
        }).AsTask().Within();

        Assert.Equal("1none", result.Value);
        Assert.Equal("seen-none", await cache.GetAsync("other"));
    }

    [Fact]
    public async Task Update_RacingADeleteOfTheKey_RunsAgainOnTheDeletedKey()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ReadThrough = false }));
        await cache.SetAsync("k", "1");
        int runs = 0;

        var result = await cache.UpdateAsync("k", v =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                cache.DeleteAsync("k").AsTask().GetAwaiter().GetResult();
            }

            return v.Found ? v.Value + "+" : "fresh";
        }).AsTask().Within();

        Assert.Equal(2, result.Attempts);
        Assert.Equal("fresh", result.Value);
        Assert.Equal("fresh", await cache.GetAsync("k"));
    }

    [Fact]
    public async Task Calls_AfterDispose_ThrowObjectDisposed()
    {
        var cache = Harness.Cache(new InMemoryStore<string>());
        await cache.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => cache.SetManyAsync([new("k", "v")]));
        Assert.Throws<ObjectDisposedException>(() => cache.DeleteManyAsync(["k"]));
        Assert.Throws<ObjectDisposedException>(() => cache.GetManyAsync(["k"]));
        Assert.Throws<ObjectDisposedException>(() => cache.UpdateAsync("k", _ => "v"));
        Assert.Throws<ObjectDisposedException>(() => cache.ComputeAsync("k", _ => default));
        Assert.Throws<ObjectDisposedException>(() => cache.TrySet("k", "v"));
        Assert.Throws<ObjectDisposedException>(() => cache.TryDelete("k"));
        await cache.DisposeAsync(); // twice is fine
    }

    [Fact]
    public async Task ArgumentErrors_NameTheCallersParameter()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        Assert.Equal("items", Assert.Throws<ArgumentNullException>(() => cache.SetManyAsync(null!)).ParamName);
        Assert.Equal("keys", Assert.Throws<ArgumentNullException>(() => cache.DeleteManyAsync(null!)).ParamName);
        Assert.Equal("keys", Assert.Throws<ArgumentNullException>(() => cache.GetManyAsync(null!)).ParamName);
        Assert.Equal("update", Assert.Throws<ArgumentNullException>(() => cache.UpdateAsync("k", null!)).ParamName);
        Assert.Equal("compute", Assert.Throws<ArgumentNullException>(() => cache.ComputeAsync("k", null!)).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentNullException>(() => cache.UpdateAsync(null!, _ => "v")).ParamName);
        var many = Assert.Throws<ArgumentException>(() => cache.GetManyAsync(["a", null!]));
        Assert.Equal("keys", many.ParamName);
        Assert.Equal("keys[1]: A cache key cannot be null. (Parameter 'keys')", many.Message);
        var set = Assert.Throws<ArgumentException>(() => cache.SetManyAsync([new("a", "v"), new(null!, "v")]));
        Assert.Equal("items", set.ParamName);
        Assert.Equal("items[1]: A cache key cannot be null. Nothing was written. (Parameter 'items')", set.Message);
        var del = Assert.Throws<ArgumentException>(() => cache.DeleteManyAsync(["a", null!]));
        Assert.Equal("keys[1]: A cache key cannot be null. Nothing was written. (Parameter 'keys')", del.Message);
        var addOrUpdate = Assert.Throws<ArgumentNullException>(() => cache.AddOrUpdateAsync("k", "v", null!));
        Assert.Equal("update", addOrUpdate.ParamName);
    }
}

/// <summary>
/// GetManyAsync over two shards whose second one's mailbox is full: the reads posted to the first shard before the
/// caller gave up must not be left unobserved.
/// </summary>
public sealed class GetManyPartialPostTests
{
    /// <summary>Keys whose name starts with "a" go to shard 0, the others to shard 1 (of two).</summary>
    private sealed class ByFirstLetter : IKeyHasher<HeldKey<GetManyPartialPostTests>>
    {
        public ulong Hash(HeldKey<GetManyPartialPostTests> key) => key.Name.StartsWith('a') ? 0 : ulong.MaxValue;
    }

    [Fact]
    public async Task GetMany_CancelledWhileWaitingForASecondShardsMailbox_LeavesTheFirstShardsFailedReadsObserved()
    {
        string marker = $"getmany-partial-{Guid.NewGuid():N}";
        int unobserved = 0;
        EventHandler<UnobservedTaskExceptionEventArgs> count = (_, e) =>
        {
            if (e.Exception.ToString().Contains(marker, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref unobserved);
            }
        };
        TaskScheduler.UnobservedTaskException += count;
        try
        {
            await CancelWhileWaitingAsync(marker);
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
    private static async Task CancelWhileWaitingAsync(string marker)
    {
        var held = HeldKey<GetManyPartialPostTests>.Held;
        held.Reset();
        HeldKey<GetManyPartialPostTests>.Holding.Reset();
        var store = new InMemoryStore<HeldKey<GetManyPartialPostTests>>
        {
            LoadFailWhen = key => key.Name == "a-read" ? new SimulatedStoreException($"store down ({marker})") : null,
        };
        var options = Harness.Options(o => o with { MailboxCapacity = 1 });
        var cache = new WriteBehindCache<HeldKey<GetManyPartialPostTests>, string>(store, options, keyHasher: new ByFirstLetter(), jitter: () => 0.0);
        try
        {
            static HeldKey<GetManyPartialPostTests> Key(string name) => new(name);
            var holder = Task.Run(() => cache.TrySet(Key("hold"), "v")); // shard 1, held inline
            Assert.True(HeldKey<GetManyPartialPostTests>.Holding.Wait(Harness.Within), "the inline write holds shard 1");
            Task read;
            using var cancel = new CancellationTokenSource();
            try
            {
                Assert.True(cache.TrySet(Key("b-fill"), "v")); // shard 1's one mailbox slot
                store.Pause(); // shard 0's load waits
                read = cache.GetManyAsync([Key("a-read"), Key("b-read")], cancel.Token).AsTask();
                Assert.False(read.IsCompleted, "the read of shard 1 waits for mailbox room");
                var waited = System.Diagnostics.Stopwatch.StartNew();
                while (store.LoadManyCalls == 0 && store.LoadsOf(Key("a-read")) == 0)
                {
                    Assert.True(waited.Elapsed < Harness.Within, "shard 0 never loaded");
                    await Task.Yield();
                }

                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.Within());
            }
            finally
            {
                store.Resume(); // shard 0's load fails now, nobody waiting for it
                held.Set();
            }

            Assert.True(await holder.Within());

            // Once this read ends, shard 0 has answered the failed load (this read shared it, or came after it).
            await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync(Key("a-read")).AsTask().Within());
        }
        finally
        {
            held.Set();
            store.Resume();
            await cache.DisposeAsync();
        }
    }
}
