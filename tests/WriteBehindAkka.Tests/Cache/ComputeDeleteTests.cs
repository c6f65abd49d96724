using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;
using WriteBehindAkka.Tests.Journal;
using static WriteBehindAkka.Tests.Cache.Updates;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// ComputeAsync's conditional delete through the journal's policies and levels, an append error, a crash, the bound,
/// a store that refuses it, and its tombstone evicted or expired (from the fourth review of atomic updates).
/// </summary>
public sealed class ComputeDeleteTests : JournalTestBase
{
    private static CacheLookup<int> Remove(CacheLookup<int> current) => default;

    [Theory]
    [InlineData(FsyncPolicy.Always, WriteConsistency.Accepted)]
    [InlineData(FsyncPolicy.EverySecond, WriteConsistency.Accepted)]
    [InlineData(FsyncPolicy.Always, WriteConsistency.Committed)]
    [InlineData(FsyncPolicy.EverySecond, WriteConsistency.Journaled)]
    public async Task Journal_ConditionalDelete_ReplayedAndAppendErrorLeavesValue(FsyncPolicy policy, WriteConsistency consistency)
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        var folder = Folder($"cd-{policy}-{consistency}");
        var cache = new WriteBehindCache<string, int>(store, Options(folder, policy), jitter: () => 0.0);
        Assert.Equal(5, await cache.GetAsync("k"));
        cache.Journal!.FaultInjector = () => new IOException("disk gone");
        await Assert.ThrowsAnyAsync<Exception>(() => cache.ComputeAsync("k", Remove, consistency).AsTask().Within());
        cache.Journal!.FaultInjector = null;
        Assert.Equal(new CacheLookup<int>(true, 5), await cache.TryGetAsync("k"));
        Assert.Equal(WriteState.Completed, (await cache.GetStatusAsync("k")).State);

        store.Pause();
        var deleted = await cache.ComputeAsync("k", Remove, consistency == WriteConsistency.Committed ? WriteConsistency.Accepted : consistency).AsTask().Within();
        Assert.Equal((0, true, 1), (deleted.Value, deleted.Changed, deleted.Attempts));
        Assert.True(deleted.Version > 1);
        var status = await cache.GetStatusAsync("k");
        Assert.True(status.State is WriteState.Pending or WriteState.Writing, status.State.ToString());
        Assert.Equal(deleted.Version, status.Version);
        var snapshot = SnapshotAsCrashed(folder, $"crashed-{policy}-{consistency}");
        store.Resume();
        await cache.DisposeAsync();

        var recovered = new InMemoryStore<string>();
        recovered.Seed("k", Json(5), 1);
        await using var next = new WriteBehindCache<string, int>(recovered, Options(snapshot, policy), jitter: () => 0.0);
        await next.FlushAsync().Within();
        Assert.False(recovered.Rows.ContainsKey("k"));
        Assert.False(store.Rows.ContainsKey("k"));
    }

    [Fact]
    public async Task Fail_OverBound_ConditionalDeleteRefused_ValueKept()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = Counters(store, o => o with { MaxPendingEntries = 1, OverflowStrategy = OverflowStrategy.Fail });
        Assert.Equal(5, await cache.GetAsync("k"));
        store.Pause();
        await cache.SetAsync("a", 1);
        int calls = 0;
        await Assert.ThrowsAsync<CacheOverflowException>(() => cache.ComputeAsync("k", c => { calls++; return default; }).AsTask().Within());
        Assert.Equal(new CacheLookup<int>(true, 5), await cache.TryGetAsync("k"));
        store.Resume();
        await cache.FlushAsync().Within();
        var r = await cache.ComputeAsync("k", Remove).AsTask().Within();
        Assert.True(r.Changed);
        await cache.FlushAsync().Within();
        Assert.False(store.Rows.ContainsKey("k"));
    }

    [Fact]
    public async Task Backpressure_ConditionalDeleteWaitsThenDeletes()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        await using var cache = Counters(store, o => o with { MaxPendingEntries = 1 });
        Assert.Equal(5, await cache.GetAsync("k"));
        store.Pause();
        await cache.SetAsync("a", 1);
        var del = cache.ComputeAsync("k", Remove, WriteConsistency.Committed).AsTask();
        await Task.Delay(200);
        Assert.False(del.IsCompleted);
        store.Resume();
        var r = await del.Within();
        Assert.Equal((0, true, WriteConsistency.Committed), (r.Value, r.Changed, r.Consistency));
        Assert.False(store.Rows.ContainsKey("k"));
        Assert.Equal(default, await cache.TryGetAsync("k"));
    }

    [Fact]
    public async Task DeadLetter_ConditionalDeleteRefused_CommittedFails_RetryDeletes()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.PoisonKeys["k"] = true;
        await using var cache = Counters(store);
        await Assert.ThrowsAsync<WriteFailedException>(() => cache.ComputeAsync("k", Remove, WriteConsistency.Committed).AsTask().Within());
        Assert.Equal(WriteState.Failed, (await cache.GetStatusAsync("k")).State);
        Assert.True(store.DeadLetters.Letters.ContainsKey("k"));
        store.PoisonKeys.Clear();
        // an update now reads the refused delete: no value
        var again = await cache.ComputeAsync("k", c => c.Found ? default : new(true, 9)).AsTask().Within();
        Assert.Equal((9, true), (again.Value, again.Changed));
        store.PoisonKeys.Clear();
        await cache.FlushAsync().Within();
        Assert.Equal(9, Stored(store, "k"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tombstone_EvictedOrExpired_ReadThroughFindsNothing_UpdateStartsFromNone(bool ttl)
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Json(5), 1);
        store.Seed("other", Json(0), 1);
        await using var cache = Counters(store, o => ttl ? o with { ShardCount = 1, TimeToLive = TimeSpan.FromTicks(1) } : o with { ShardCount = 1, MaxCachedEntries = 1 });
        var r = await cache.ComputeAsync("k", Remove, WriteConsistency.Committed).AsTask().Within();
        Assert.Equal((0, true, WriteConsistency.Committed), (r.Value, r.Changed, r.Consistency));
        Assert.Equal(0, await cache.GetAsync("other"));
        Assert.Equal(default, await cache.TryGetAsync("k"));
        var none = await cache.ComputeAsync("k", Remove).AsTask().Within();
        Assert.Equal((false, WriteConsistency.Accepted), (none.Changed, none.Consistency));
        var add = await cache.UpdateAsync("k", Increment).AsTask().Within();
        Assert.Equal((1, 1), (add.Value, add.Attempts));
    }
}
