using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

public sealed class HealthTests
{
    [Fact]
    public async Task GetHealth_WritingNormally_Healthy()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store);
        await cache.SetAsync("k", "v");
        await cache.FlushAsync().Within();

        Assert.Equal(
            new CacheHealthReport(CacheHealth.Healthy, "Writing normally; 0 pending writes (0 bytes) are kept.", null, null, null, TimeSpan.Zero, 0, 0),
            cache.GetHealth());
    }

    [Fact]
    public async Task GetHealth_BacklogAtBound_DegradedWithTheBound()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        await using var cache = Harness.Cache(store, Harness.Options(o => o with { MaxPendingEntries = 2 }));
        await cache.SetAsync("a", "v");
        await cache.SetAsync("b", "v");

        var health = cache.GetHealth();
        store.Resume();

        Assert.Equal(
            (CacheHealth.Degraded, "The backlog is at its bound (2 of 2 entries, 6 of 268435456 bytes): writers wait or are refused until the store catches up."),
            (health.Status, health.Description));
    }

    [Fact]
    public async Task GetHealth_ShutDown_Unhealthy()
    {
        var cache = Harness.Cache(new InMemoryStore<string>());
        await cache.ShutdownAsync().Within();

        Assert.Equal(
            new CacheHealthReport(CacheHealth.Unhealthy, "The cache 'default' is shut down and accepts no writes.", null, null, null, TimeSpan.Zero, 0, 0),
            cache.GetHealth());
    }
}
