using System.Text;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>GetManyAsync: each key as TryGetAsync would answer it, the misses loaded together.</summary>
public sealed class GetManyTests
{
    private static byte[] Json(string text) => Encoding.UTF8.GetBytes($"\"{text}\"");

    [Fact]
    public async Task GetMany_AnswersWritesAndStoredRows_AKeyWithoutAValueIsAbsent()
    {
        var store = new InMemoryStore<string>();
        store.Seed("s1", Json("stored1"), 1);
        store.Seed("s2", Json("stored2"), 1);
        store.Seed("deleted", Json("old"), 1);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 4 }));
        await cache.SetAsync("c1", "mine");
        await cache.SetAsync("s2", "newer"); // read-your-writes over the stored row
        await cache.DeleteAsync("deleted"); // a pending delete hides the stored row

        var found = await cache.GetManyAsync(["c1", "s1", "missing", "s2", "c1", "deleted"]).AsTask().Within();

        Assert.Equal(new Dictionary<string, string> { ["c1"] = "mine", ["s1"] = "stored1", ["s2"] = "newer" }, found);
        Assert.Equal(1, store.LoadsOf("s1"));
        Assert.Equal(0, store.LoadsOf("c1"));
    }

    [Fact]
    public async Task GetMany_EachShardLoadsItsMissesInOneStoreCall()
    {
        var store = new InMemoryStore<string>();
        for (int i = 0; i < 40; i++)
        {
            store.Seed($"k{i}", Json($"v{i}"), 1);
        }

        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 4 }));
        await cache.SetAsync("k3", "mine"); // cached: not loaded

        var found = await cache.GetManyAsync(Enumerable.Range(0, 50).Select(i => $"k{i}")).AsTask().Within();

        Assert.Equal(40, found.Count);
        Assert.Equal("mine", found["k3"]);
        Assert.Equal("v39", found["k39"]);
        Assert.InRange(store.LoadManyCalls, 1, 4); // one per shard with misses, not one per key
        Assert.Equal(0, store.LoadsOf("k3"));
        Assert.All(Enumerable.Range(0, 50).Where(i => i != 3), i => Assert.Equal(1, store.LoadsOf($"k{i}")));
        Assert.Equal("v7", await cache.GetAsync("k7")); // cached by the batch load: no second load
        Assert.Equal(1, store.LoadsOf("k7"));
    }

    [Fact]
    public async Task GetMany_ABatchRefusedForOneRow_OnlyThatKeysReadsFail_TheOthersAreLoadedAlone()
    {
        // One row the store cannot read (a FromRow that throws on it) failed the batch, and with it every read that
        // shared it: a plain GetAsync of a good key among them too.
        var store = new InMemoryStore<string>();
        foreach (var key in new[] { "a", "bad", "c" })
        {
            store.Seed(key, Json(key), 1);
        }

        store.LoadFailWhen = key => key == "bad" ? new SimulatedStoreException(StoreErrorKind.Permanent, "the row cannot be read") : null;
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));
        var many = cache.GetManyAsync(["a", "bad", "c"]).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.LoadManyCalls == 0)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the batch load never started");
            await Task.Delay(5);
        }

        var one = cache.GetAsync("a").AsTask(); // joins the batch's load of "a"
        store.Resume();

        Assert.Equal("a", await one.Within());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => many.Within());
        Assert.Contains("'bad'", error.Message);
        Assert.Equal("c", await cache.GetAsync("c")); // loaded alone and cached
        Assert.Equal(2, store.LoadsOf("c"));
    }

    [Fact]
    public async Task GetMany_ABatchThatFailsTransiently_FailsItsReadsAtOnce_WithoutALoadPerKey()
    {
        var store = new InMemoryStore<string>();
        store.Seed("a", Json("a"), 1);
        store.Seed("b", Json("b"), 1);
        store.FailNextLoads(1); // transient by default
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));

        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetManyAsync(["a", "b"]).AsTask().Within());

        Assert.Equal((1, 1), (store.LoadsOf("a"), store.LoadsOf("b"))); // the batch alone: no load of each key after it
    }

    [Fact]
    public async Task GetMany_AKeyWrittenWhileItsBatchLoads_AnswersTheWrite()
    {
        var store = new InMemoryStore<string>();
        store.Seed("a", Json("stored"), 1);
        store.Seed("b", Json("stored"), 1);
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));

        var read = cache.GetManyAsync(["a", "b"]).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.LoadManyCalls == 0)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the batch load never started");
            await Task.Delay(5);
        }

        await cache.SetAsync("a", "mine"); // while the batch that loads "a" is held
        store.Resume();

        var found = await read.Within();
        Assert.Equal("mine", found["a"]); // read-your-writes wins over the stored row, as for one key's load
        Assert.Equal("stored", found["b"]);
        Assert.Equal("mine", await cache.GetAsync("a"));
    }

    [Fact]
    public async Task GetMany_ALoadThatFails_FailsTheCall_AndANullKeyIsNamed()
    {
        var store = new InMemoryStore<string>();
        store.Seed("a", Json("v"), 1);
        store.FailNextLoads(1);
        await using var cache = Harness.Cache(store);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetManyAsync(["a"]).AsTask().Within());
        Assert.NotNull(error.InnerException);
        Assert.Equal("v", (await cache.GetManyAsync(["a"]).AsTask().Within())["a"]); // the next read loads again

        var bad = await Assert.ThrowsAsync<ArgumentException>(() => cache.GetManyAsync(["a", null!]).AsTask());
        Assert.StartsWith("keys[1]: A cache key cannot be null.", bad.Message);
    }

    [Fact]
    public async Task GetMany_ANullKeyAfterARepeatedKey_IsNamedByItsIndexInTheList()
    {
        await using var cache = Harness.Cache(new InMemoryStore<string>());

        var bad = await Assert.ThrowsAsync<ArgumentException>(() => cache.GetManyAsync(["a", "a", "b", null!]).AsTask());

        Assert.StartsWith("keys[3]: A cache key cannot be null.", bad.Message);
    }

    [Fact]
    public async Task GetMany_AStoreWithoutItsOwnLoadMany_LoadsTheMissesConcurrently()
    {
        var inner = new InMemoryStore<string>();
        for (int i = 0; i < 10; i++)
        {
            inner.Seed($"k{i}", Json($"v{i}"), 1);
        }

        inner.Pause(); // every load waits: a default LoadManyAsync that loaded one key after another would hold at the first
        await using var cache = new WriteBehindCache<string, string>(
            new NoDeadLetterStore(inner), Harness.Options(o => o with { ShardCount = 1 }), timeProvider: null, jitter: () => 0.0);
        var read = cache.GetManyAsync(Enumerable.Range(0, 10).Select(i => $"k{i}")).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Enumerable.Range(0, 10).Sum(i => inner.LoadsOf($"k{i}")) < 10)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the loads did not all start while the store was held");
            await Task.Delay(5);
        }

        inner.Resume();
        Assert.Equal(10, (await read.Within()).Count);
    }

    [Fact]
    public async Task GetMany_CacheStoppedWhileItsBatchLoads_FailsWithObjectDisposed()
    {
        var store = new InMemoryStore<string>();
        store.Seed("a", Json("stored"), 1);
        store.Seed("b", Json("stored"), 1);
        store.Pause(); // held until the shutdown cancels it
        var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));
        var read = cache.GetManyAsync(["a", "b"]).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.LoadManyCalls == 0)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the batch load never started");
            await Task.Delay(5);
        }

        await cache.DisposeAsync().AsTask().WaitAsync(Harness.Within);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.Within());
    }

    [Fact]
    public async Task GetMany_CancelledWhileItsBatchLoads_ThrowsAndTheLoadStillCachesTheRows()
    {
        var store = new InMemoryStore<string>();
        store.Seed("a", Json("stored"), 1);
        store.Seed("b", Json("stored"), 1);
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1 }));
        using var cancel = new CancellationTokenSource();
        var read = cache.GetManyAsync(["a", "b"], cancel.Token).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.LoadManyCalls == 0)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the batch load never started");
            await Task.Delay(5);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.Within());
        store.Resume();

        Assert.Equal(2, (await cache.GetManyAsync(["a", "b"]).AsTask().Within()).Count);
        Assert.Equal(1, store.LoadManyCalls); // the second call found both cached, or joined the running load
    }
}
