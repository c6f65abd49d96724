using System.Text;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class ReadTests
{
    [Fact]
    public async Task GetAsync_AfterSet_ReturnsLatestWriteWithoutLoading()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Encoding.UTF8.GetBytes("\"stored\""), 1);
        await using var cache = Harness.Cache(store);

        await cache.SetAsync("k", "mine");

        Assert.Equal("mine", await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task GetAsync_MissConcurrentReaders_OneLoadServesAll()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Encoding.UTF8.GetBytes("\"stored\""), 1);
        store.Pause();
        await using var cache = Harness.Cache(store);

        var reads = Enumerable.Range(0, 5).Select(_ => cache.GetAsync("k").AsTask()).ToArray();
        var status = await cache.GetStatusAsync("k"); // ordered after the five reads in the shard's mailbox
        store.Resume();
        var values = await Task.WhenAll(reads).Within();

        Assert.Equal(KeyStatus.NotCached, status);
        Assert.All(values, v => Assert.Equal("stored", v));
        Assert.Equal(1, store.LoadsOf("k"));
        Assert.Equal("stored", await cache.GetAsync("k"));
        Assert.Equal(1, store.LoadsOf("k"));
    }

    [Fact]
    public async Task GetAsync_WrittenWhileLoading_ReturnsTheWriteNotTheStoredRow()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Encoding.UTF8.GetBytes("\"stored\""), 1);
        store.Pause();
        await using var cache = Harness.Cache(store);

        var read = cache.GetAsync("k").AsTask();
        await cache.SetAsync("k", "mine");
        store.Resume();

        Assert.Equal("mine", await read.Within());
        Assert.Equal("mine", await cache.GetAsync("k"));
    }

    [Fact]
    public async Task GetAsync_DeletedKey_MissWithoutLoading()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Encoding.UTF8.GetBytes("\"stored\""), 1);
        await using var cache = Harness.Cache(store);

        await cache.DeleteAsync("k");

        Assert.False((await cache.TryGetAsync("k")).Found);
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task GetAsync_ReadThroughOff_MissIsDefault()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", Encoding.UTF8.GetBytes("\"stored\""), 1);
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ReadThrough = false }));

        Assert.Null(await cache.GetAsync("k"));
        Assert.Equal(0, store.LoadsOf("k"));
    }

    [Fact]
    public async Task SetAsync_AfterLoadingNewerStoredVersion_GetsAHigherVersion()
    {
        var store = new InMemoryStore<string>();
        long future = Versioning.FromTimestamp(DateTimeOffset.UtcNow.AddDays(1));
        store.Seed("k", Encoding.UTF8.GetBytes("\"stored\""), future);
        await using var cache = Harness.Cache(store);

        await cache.GetAsync("k");
        var write = await cache.SetAsync("k", "mine", WriteConsistency.Committed).AsTask().Within();

        Assert.True(write.Version > future);
        Assert.Equal("mine", Harness.Text(store.Rows["k"].Value));
    }

    [Fact]
    public async Task MaxCachedEntries_CleanEntriesEvictedAndReloadedFromStore()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { ShardCount = 1, Parallelism = 1, MaxCachedEntries = 10, MaxBatchSize = 50 }));
        for (int i = 0; i < 100; i++)
        {
            await cache.SetAsync($"k{i}", $"v{i}");
        }

        await cache.FlushAsync().Within();
        var evicted = await cache.GetStatusAsync("k0");

        Assert.Equal(KeyStatus.NotCached, evicted);
        Assert.Equal("v0", await cache.GetAsync("k0"));
        Assert.Equal(1, store.LoadsOf("k0"));
    }
}
