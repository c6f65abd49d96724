using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// An update whose function threw, of a key without a value, leaves nothing behind that dead-letter retry or EvictAsync
/// would take for a cached key (an earlier design left a placeholder entry, which they did).
/// </summary>
public sealed class UpdateLeftBehindTests
{
    [Fact]
    public async Task RetryDeadLetterAsync_AfterAnUpdateWhoseFunctionThrew_StoreHasNewerRow_Superseded()
    {
        // As DeadLetterTests.RetryDeadLetterAsync_EntryEvictedAndStoreHasNewerRow_Superseded, except that an update of
        // the key ran first and its function threw: the store's version must still decide.
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxCachedEntries = 1 }));
        var failed = await cache.SetAsync("k", "old", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        Assert.True(await cache.EvictAsync("k"));
        await Assert.ThrowsAsync<FormatException>(() => cache.UpdateAsync("k", _ => throw new FormatException("bad")).AsTask()).Within();
        store.PoisonKeys.Clear();
        store.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("other"), failed.Version + 1);

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(DeadLetterRetryOutcome.Superseded, retry.Outcome);
        Assert.Equal("other", Harness.Text(store.Rows["k"].Value));
        Assert.Equal("other", await cache.GetAsync("k"));
    }

    [Fact]
    public async Task RetryDeadLetterAsync_AfterAnUpdateWhoseFunctionThrew_Resubmitted_StatusShowsTheWrite()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        await using var cache = Harness.Cache(store);
        var failed = await cache.SetAsync("k", "v", WriteConsistency.Accepted);
        await cache.FlushAsync().Within();
        Assert.True(await cache.EvictAsync("k"));
        await Assert.ThrowsAsync<FormatException>(() => cache.UpdateAsync("k", _ => throw new FormatException("bad")).AsTask()).Within();
        store.PoisonKeys.Clear();

        var retry = await cache.RetryDeadLetterAsync("k").AsTask().Within();
        await cache.FlushAsync().Within();

        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, failed.Version), retry);
        Assert.Equal(failed.Version, store.Rows["k"].Version);
        var status = await cache.GetStatusAsync("k");
        Assert.Equal((WriteState.Completed, failed.Version), (status.State, status.CommittedVersion));
    }

    [Fact]
    public async Task EvictAsync_AfterAnUpdateWhoseFunctionThrew_NothingCachedToEvict()
    {
        // The status says NotCached; EvictAsync and EvictAllAsync should agree that nothing cached was dropped.
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await Assert.ThrowsAsync<FormatException>(() => cache.UpdateAsync("k", _ => throw new FormatException("bad")).AsTask()).Within();
        await Assert.ThrowsAsync<FormatException>(() => cache.UpdateAsync("j", _ => throw new FormatException("bad")).AsTask()).Within();

        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k"));
        Assert.False(await cache.EvictAsync("k"));
        Assert.Equal(0, await cache.EvictAllAsync());
    }
}
