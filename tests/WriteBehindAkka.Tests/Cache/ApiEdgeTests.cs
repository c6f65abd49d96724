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
