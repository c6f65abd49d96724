using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
    public async Task StartWriteBehindCachesAsync_NoHost_RunsTheStoresStartUpWorkAndReleasesTheHeldWrites()
    {
        // A tool or a test with its own service provider and a store with start-up work (ensureTable): nothing starts
        // the cache, so its writes were held until disposal, which then reported them not flushed.
        var store = new InMemoryStore<string>();
        int initialized = 0;
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(logs));
        services.AddWriteBehindCache<string, string>(configure: TestHost.Small)
            .UseStore((_, _) => store, ownsStore: false, initializer: (_, _) =>
            {
                Interlocked.Increment(ref initialized);
                return Task.CompletedTask;
            });
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IWriteBehindCache<string, string>>();
        await cache.SetAsync("k", "v");

        await provider.StartWriteBehindCachesAsync().WaitAsync(TestHost.Within);
        await provider.StartWriteBehindCachesAsync().WaitAsync(TestHost.Within); // once is enough; again does nothing more
        await cache.FlushAsync().WaitAsync(TestHost.Within);

        Assert.Equal(1, initialized);
        Assert.Equal(["k"], store.Rows.Keys);
        Assert.Same(cache, provider.GetRequiredService<IWriteBehindCache<string, string>>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Dispose_NoHostAndNoStart_StoreWithStartUpWork_DrainsTheHeldWritesIntoTheStore(bool synchronously)
    {
        // The provider disposes the cache it made before the cache's runtime, which releases the writes held for the
        // store's start-up work: the cache's own drain waited on them for its ShutdownTimeout and lost them.
        var store = new InMemoryStore<string>();
        var services = new ServiceCollection();
        services.AddWriteBehindCache<string, string>(configure: options => TestHost.Small(options) with { ShutdownTimeout = TimeSpan.FromSeconds(2) })
            .UseStore((_, _) => store, ownsStore: false, initializer: (_, _) => Task.CompletedTask);
        var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IWriteBehindCache<string, string>>();
        await cache.SetAsync("k", "v");

        if (synchronously)
        {
            await Task.Run(provider.Dispose).WaitAsync(TestHost.Within);
        }
        else
        {
            await provider.DisposeAsync().AsTask().WaitAsync(TestHost.Within);
        }

        Assert.Equal(["k"], store.Rows.Keys);
    }

    [Fact]
    public async Task Dispose_AfterAStartWhoseInitializerThrewSynchronously_DrainsTheHeldWritesIntoTheStore()
    {
        // The held writes go "however the start-up work ends": an initializer that throws before returning a task
        // ended too. The cache's drain waited on them for its ShutdownTimeout and lost them.
        var store = new InMemoryStore<string>();
        var services = new ServiceCollection();
        services.AddWriteBehindCache<string, string>(configure: options => TestHost.Small(options) with { ShutdownTimeout = TimeSpan.FromSeconds(30) })
            .UseStore((_, _) => store, ownsStore: false, initializer: (_, _) => throw new InvalidOperationException("no schema"));
        var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<IWriteBehindCache<string, string>>();
        await cache.SetAsync("k", "v");
        await Assert.ThrowsAsync<InvalidOperationException>(() => provider.StartWriteBehindCachesAsync().WaitAsync(TestHost.Within));

        await provider.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["k"], store.Rows.Keys);
    }

    [Fact]
    public async Task StartAndDispose_Racing_TheHeldWritesReachTheStore_WithoutWaitingOutTheShutdownTimeout()
    {
        // Whichever comes first, the start (the initializer's end releases the writes) or the cache's shutdown (it
        // releases them when nothing began to start it), the drain has them well before its 30 s timeout.
        for (int round = 0; round < 50; round++)
        {
            var store = new InMemoryStore<string>();
            var services = new ServiceCollection();
            services.AddWriteBehindCache<string, string>(configure: options => TestHost.Small(options) with { ShutdownTimeout = TimeSpan.FromSeconds(30) })
                .UseStore((_, _) => store, ownsStore: false, initializer: async (_, _) => await Task.Yield());
            var provider = services.BuildServiceProvider();
            var cache = provider.GetRequiredService<IWriteBehindCache<string, string>>();
            await cache.SetAsync("k", "v");

            var start = Task.Run(() => provider.StartWriteBehindCachesAsync());
            var dispose = Task.Run(async () => await provider.DisposeAsync());
            await dispose.WaitAsync(TimeSpan.FromSeconds(10));
            try
            {
                await start.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (ObjectDisposedException)
            {
                // The start came after the provider was disposed.
            }

            Assert.Equal(["k"], store.Rows.Keys);
        }
    }

    [Fact]
    public async Task AddWriteBehindCache_NoHostAndNoStart_WarnsThatTheWritesAreHeld()
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddProvider(logs));
        services.AddWriteBehindCache<string, string>("scores", TestHost.Small)
            .UseStore((_, _) => new InMemoryStore<string>(), ownsStore: true, initializer: (_, _) => Task.CompletedTask);
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredKeyedService<IWriteBehindCache<string, string>>("scores");

        _ = cache.SetAsync("k", "v", WriteConsistency.Committed); // held: its batch waits for the store's start-up work
        var deadline = DateTime.UtcNow + TestHost.Within;
        while (!logs.WithEventId(2010).Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var warning = Assert.Single(logs.WithEventId(2010));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Cache 'scores' holds its writes", warning.Message, StringComparison.Ordinal);
        Assert.Contains("StartWriteBehindCachesAsync()", warning.Message, StringComparison.Ordinal);
        await provider.StartWriteBehindCachesAsync().WaitAsync(TestHost.Within);
        await cache.FlushAsync().WaitAsync(TestHost.Within);
        Assert.Single(logs.WithEventId(2010));
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
