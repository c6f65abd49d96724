using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests;

public sealed class WriteBehindServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddWriteBehindCache_DefaultAndNamedCaches_ResolveSeparatelyAndWriteToTheirOwnStores()
    {
        var defaultStore = new InMemoryStore<string>();
        var scoresStore = new InMemoryStore<long>();
        var sessionsStore = new InMemoryStore<string>();
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>().UseStore(defaultStore);
        builder.Services.AddWriteBehindCache<long, int>("scores").UseStore(scoresStore);
        builder.Services.AddWriteBehindCache<string, string>("sessions").UseStore(sessionsStore);
        using var host = builder.Build();
        await host.StartAsync();

        var unnamed = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();
        var defaultByKey = host.Services.GetRequiredKeyedService<IWriteBehindCache<string, string>>("default");
        var sessions = host.Services.GetRequiredKeyedService<IWriteBehindCache<string, string>>("sessions");
        var scores = host.Services.GetRequiredKeyedService<IWriteBehindCache<long, int>>("scores");
        await unnamed.SetAsync("a", "from-default");
        await sessions.SetAsync("b", "from-sessions");
        await scores.SetAsync(7, 700);
        await Task.WhenAll(unnamed.FlushAsync(), sessions.FlushAsync(), scores.FlushAsync()).WaitAsync(TestHost.Within);

        Assert.Same(unnamed, defaultByKey);
        Assert.NotSame(unnamed, sessions);
        Assert.Equal(("default", "sessions", "scores"), (unnamed.Name, sessions.Name, scores.Name));
        Assert.Equal(["a"], defaultStore.Rows.Keys);
        Assert.Equal(["b"], sessionsStore.Rows.Keys);
        Assert.Equal([7L], scoresStore.Rows.Keys);
        Assert.Null(host.Services.GetService<IWriteBehindCache<long, int>>());
        await host.StopAsync();
    }

    [Fact]
    public void AddWriteBehindCache_ProviderDisposedSynchronously_DrainsTheCacheInsteadOfThrowing()
    {
        // A user's own test or tool: a plain service provider, no host, disposed with `using` (synchronously).
        var store = new InMemoryStore<string>();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWriteBehindCache<string, string>().UseStore(store);
        var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IWriteBehindCache<string, string>>();
        Assert.True(cache.TrySet("k", "v"));

        provider.Dispose(); // throws InvalidOperationException for a service that is only IAsyncDisposable

        Assert.Equal(["k"], store.Rows.Keys);
        Assert.Throws<ObjectDisposedException>(() => cache.TrySet("late", "v"));
    }

    [Fact]
    public async Task AddWriteBehindCache_KeyedConstructorParameter_GetsTheNamedCache()
    {
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>().UseStore(new InMemoryStore<string>());
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>());
        builder.Services.AddSingleton<ScoreBoard>();
        using var host = builder.Build();
        await host.StartAsync();

        var board = host.Services.GetRequiredService<ScoreBoard>();

        Assert.Equal("scores", board.Cache.Name);
        await host.StopAsync();
    }

    [Fact]
    public void AddWriteBehindCache_SameNameTwice_ThrowsNamingTheFix()
    {
        var services = new ServiceCollection();
        services.AddWriteBehindCache<string, string>("scores");

        var error = Assert.Throws<InvalidOperationException>(() => services.AddWriteBehindCache<long, string>("scores"));

        Assert.Equal(
            "A write-behind cache named 'scores' is already registered. Give each cache its own name: AddWriteBehindCache<TKey, TValue>(\"another-name\").",
            error.Message);
    }

    [Fact]
    public void AddWriteBehindCache_NamesDifferingOnlyInCase_ThrowsSayingSo()
    {
        var services = new ServiceCollection();
        services.AddWriteBehindCache<string, string>("Scores");

        var error = Assert.Throws<InvalidOperationException>(() => services.AddWriteBehindCache<long, string>("scores"));

        Assert.Equal(
            "A write-behind cache named 'Scores' (the same name but for case: configuration keys and health-check names ignore case) is already registered. Give each cache its own name: AddWriteBehindCache<TKey, TValue>(\"another-name\").",
            error.Message);
    }

    [Fact]
    public async Task AddWriteBehindCache_ConfigureAndBuilderMethods_ApplyInCallOrder()
    {
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>(configure: o => o with { MaxBatchSize = 10, WriteDelay = TimeSpan.FromSeconds(1) })
            .UseStore(new InMemoryStore<string>())
            .WithSharding(3, mailboxCapacity: 64)
            .WithBatching(20, TimeSpan.FromMilliseconds(5), parallelism: 3)
            .WithRestart(r => r with { MaxBackoff = TimeSpan.FromSeconds(3) });
        using var host = builder.Build();
        await host.StartAsync();

        var cache = (WriteBehindCache<string, string>)host.Services.GetRequiredService<IWriteBehindCache<string, string>>();

        Assert.Equal(
            (3, 64, 20, TimeSpan.FromMilliseconds(5), 3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)),
            (cache.Options.ShardCount, cache.Options.MailboxCapacity, cache.Options.MaxBatchSize, cache.Options.MaxBatchDelay, cache.Options.Parallelism, cache.Options.WriteDelay, cache.Options.Restart.MaxBackoff));
        await host.StopAsync();
    }

    public sealed class ScoreBoard([FromKeyedServices("scores")] IWriteBehindCache<string, string> cache)
    {
        public IWriteBehindCache<string, string> Cache { get; } = cache;
    }
}
