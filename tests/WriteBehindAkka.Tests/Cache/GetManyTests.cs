using System.Text;
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
    public async Task GetMany_MissesAreLoadedConcurrently()
    {
        var store = new InMemoryStore<string>();
        for (int i = 0; i < 10; i++)
        {
            store.Seed($"k{i}", Json($"v{i}"), 1);
        }

        store.Pause(); // every load waits: a GetMany that loaded one key after another would hold at the first
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 4 }));
        var read = cache.GetManyAsync(Enumerable.Range(0, 10).Select(i => $"k{i}")).AsTask();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Enumerable.Range(0, 10).Sum(i => store.LoadsOf($"k{i}")) < 10)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the loads did not all start while the store was held");
            await Task.Delay(5);
        }

        store.Resume();
        Assert.Equal(10, (await read.Within()).Count);
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
}
