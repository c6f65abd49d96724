using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WriteBehindAkka.Hosting.Tests.Fixtures;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Hosting.Tests.Lifetime;

public sealed class WriteBehindHostedServiceTests
{
    [Fact]
    public void HeldUntilReadyStore_PassesOnEveryMemberOfTheStoreInterface()
    {
        // A member left to the interface's default answers for the wrapper, not the store (IsTimeout's default does
        // not know PostgreSQL's statement timeout, so a held PostgreSQL store's big batches were never split).
        var map = typeof(WriteBehindAkka.Hosting.Lifetime.HeldUntilReadyStore<string>).GetInterfaceMap(typeof(WriteBehindAkka.Storage.IWriteBehindStore<string>));

        Assert.All(map.TargetMethods, target => Assert.Equal(typeof(WriteBehindAkka.Hosting.Lifetime.HeldUntilReadyStore<string>), target.DeclaringType));
    }

    [Fact]
    public async Task LoggingProviderThatAlwaysThrows_TheCacheStillStartsWritesAndDrainsAtStop()
    {
        // The hosting logs before and around the cache's start and drain; a throw there would leave a started cache
        // unrecorded (a second one on the next resolve) or skip the drain and dispose the store under it.
        var store = new InMemoryStore<string>();
        var builder = TestHost.Builder();
        builder.Logging.AddProvider(new ThrowingLoggerProvider());
        builder.Services.AddWriteBehindCache<string, string>().UseStore(store);
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TestHost.Within);
        var cache = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();
        Assert.True(cache.TrySet("k", "v"));

        await host.StopAsync().WaitAsync(TestHost.Within);

        Assert.Equal(["k"], store.Rows.Keys);
        Assert.Same(cache, host.Services.GetRequiredService<IWriteBehindCache<string, string>>());
    }

    /// <summary>A logging provider whose loggers for the library's categories throw on every event, as a broken sink does (the host's own are left alone: it does not guard them).</summary>
    private sealed class ThrowingLoggerProvider : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("WriteBehindAkka", StringComparison.Ordinal) ? new Thrower() : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Thrower : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                throw new InvalidOperationException("the log sink is down");
        }
    }

    [Fact]
    public async Task StartAsync_Host_CreatesTheCacheBeforeAnythingResolvesIt()
    {
        var logs = new CapturingLoggerProvider();
        var builder = TestHost.Builder(logs);
        builder.Services.AddWriteBehindCache<string, string>("scores", TestHost.Small).UseStore(new InMemoryStore<string>());
        using var host = builder.Build();

        await host.StartAsync();

        var started = Assert.Single(logs.WithEventId(2001));
        Assert.Equal("Cache 'scores' started: 2 shards, 1 writers, batches of up to 1 records, store InMemoryStore<String>.", started.Message);
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_StoreInitializerThatIgnoresItsToken_TheHostsStartCanStillBeCancelled()
    {
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>("scores", TestHost.Small)
            .UseStore((_, _) => new InMemoryStore<string>(), ownsStore: true, initializer: (_, _) => Task.Delay(Timeout.Infinite));
        using var host = builder.Build();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.StartAsync(cancel.Token).WaitAsync(TestHost.Within));
    }

    [Fact]
    public async Task Cache_ResolvedBeforeTheHostStarts_HoldsItsWritesUntilTheStoresStartUpWorkHasRun()
    {
        var store = new InMemoryStore<string>();
        bool ready = false;
        int tooEarly = 0;
        store.FailWhen = _ =>
        {
            if (Volatile.Read(ref ready))
            {
                return null;
            }

            Interlocked.Increment(ref tooEarly);
            return new SimulatedStoreException(Storage.StoreErrorKind.Configuration, "relation \"scores\" does not exist") { Code = "42P01" };
        };
        var initializing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>("scores", TestHost.Small)
            .UseStore((_, _) => store, ownsStore: false, initializer: async (_, _) =>
            {
                initializing.TrySetResult();
                await release.Task;
                Volatile.Write(ref ready, true); // the table exists from here on
            });
        using var host = builder.Build();

        // As a hosted service that takes the cache in its constructor: resolved, and written to, before the host starts.
        var cache = host.Services.GetRequiredKeyedService<IWriteBehindCache<string, string>>("scores");
        await cache.SetAsync("k", "v");
        var starting = host.StartAsync();
        await initializing.Task.WaitAsync(TestHost.Within);
        await Assert.ThrowsAsync<TimeoutException>(() => store.ExpectBatchAsync(TimeSpan.FromMilliseconds(300))); // nothing reaches the store yet
        release.SetResult();
        await starting.WaitAsync(TestHost.Within);
        await cache.FlushAsync().WaitAsync(TestHost.Within);

        Assert.Equal(0, Volatile.Read(ref tooEarly));
        Assert.Equal("v", System.Text.Json.JsonSerializer.Deserialize<string>(store.Rows["k"].Value));
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_StartCancelledWhileTheInitializerRunsOn_HeldWritesAreReportedUnflushedNotSentToTheUnreadyStore()
    {
        // The start is cancelled while the store's start-up work (creating its table) runs on, and the host stops:
        // the writes held for that work must not go to the store before it has run (they would fail against a table
        // that is not there); the drain reports them as not written.
        var logs = new CapturingLoggerProvider();
        var store = new InMemoryStore<string>();
        bool ready = false;
        int tooEarly = 0;
        store.FailWhen = _ =>
        {
            if (Volatile.Read(ref ready))
            {
                return null;
            }

            Interlocked.Increment(ref tooEarly);
            return new SimulatedStoreException(Storage.StoreErrorKind.Configuration, "relation \"scores\" does not exist") { Code = "42P01" };
        };
        var initializing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = TestHost.Builder(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        builder.Services.AddWriteBehindCache<string, string>("scores", o => TestHost.Small(o) with { ShutdownTimeout = TimeSpan.FromMilliseconds(300) })
            .UseStore((_, _) => store, ownsStore: false, initializer: async (_, _) =>
            {
                initializing.TrySetResult();
                await release.Task; // ignores its token, as a slow CREATE TABLE behind a lock does
                Volatile.Write(ref ready, true);
            });
        using var host = builder.Build();
        var cache = host.Services.GetRequiredKeyedService<IWriteBehindCache<string, string>>("scores");
        await cache.SetAsync("k", "v");
        using var cancel = new CancellationTokenSource();
        var starting = host.StartAsync(cancel.Token);
        await initializing.Task.WaitAsync(TestHost.Within);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting.WaitAsync(TestHost.Within));

        await host.StopAsync().WaitAsync(TestHost.Within);

        Assert.Equal(0, Volatile.Read(ref tooEarly));
        Assert.Empty(store.Rows);
        var lost = Assert.Single(logs.WithEventId(2006));
        Assert.Equal(1L, (long)lost.Values["Entries"]!);
        release.SetResult();
    }

    [Fact]
    public async Task HostedCache_StoreWithDeadLetterTable_RefusedRecordsReachTheStoresDeadLetters()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>(configure: TestHost.Small).UseStore(store);
        using var host = builder.Build();
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();

        await cache.SetAsync("bad", "v");
        await cache.SetAsync("good", "v");
        await cache.FlushAsync().WaitAsync(TestHost.Within);

        // The hosted cache gets the store itself, so the store's dead-letter table is the cache's sink.
        Assert.Equal("bad", Assert.Single(store.DeadLetters.Letters).Key);
        Assert.True(store.Rows.ContainsKey("good"));
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_PendingWrites_DrainsThemIntoTheStoreBeforeReturning()
    {
        var logs = new CapturingLoggerProvider();
        var store = new InMemoryStore<string>();
        var builder = TestHost.Builder(logs);
        builder.Services.AddWriteBehindCache<string, string>(configure: TestHost.Small).UseStore(store);
        using var host = builder.Build();
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();
        store.Pause();
        for (int i = 0; i < 50; i++)
        {
            await cache.SetAsync($"k{i}", $"v{i}");
        }

        Assert.Empty(store.Rows);
        var stopping = host.StopAsync();
        store.Resume();
        await stopping.WaitAsync(TestHost.Within);

        Assert.Equal(50, store.Rows.Count);
        Assert.False(cache.GetStatistics().IsRunning);
        var drained = Assert.Single(logs.WithEventId(2005));
        Assert.Equal(0L, drained.Values["FailedKeys"]);
    }

    [Fact]
    public async Task StopAsync_StorePastTheHostShutdownTimeout_LogsWhatWasNotWritten()
    {
        var logs = new CapturingLoggerProvider();
        var store = new InMemoryStore<string>();
        var builder = TestHost.Builder(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.Services.AddWriteBehindCache<string, string>(configure: TestHost.Small).UseStore(store);
        using var host = builder.Build();
        await host.StartAsync();
        var cache = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();
        store.Pause();
        await cache.SetAsync("a", "1");
        await cache.SetAsync("b", "2");
        await cache.SetAsync("c", "3");

        await host.StopAsync().WaitAsync(TestHost.Within);

        Assert.Empty(store.Rows);
        var lost = Assert.Single(logs.WithEventId(2006));
        Assert.Equal((3L, 9L, 0L), ((long)lost.Values["Entries"]!, (long)lost.Values["Bytes"]!, (long)lost.Values["FailedKeys"]!));
        Assert.StartsWith("Cache 'default': the shutdown deadline passed after ", lost.Message);
        Assert.Contains("not written to the store; they are lost (no journal is configured).", lost.Message);
    }

    [Fact]
    public async Task StopAsync_StorePastTheDeadline_WithTheJournal_SaysTheWritesAreKeptForReplay()
    {
        var logs = new CapturingLoggerProvider();
        var store = new InMemoryStore<string>();
        string folder = Path.Combine(Path.GetTempPath(), "wb-hosting-journal-" + Guid.NewGuid().ToString("N"));
        var builder = TestHost.Builder(logs);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.Services.AddWriteBehindCache<string, string>(configure: o => TestHost.Small(o) with
        {
            Journal = new WriteBehindAkka.Journal.JournalOptions { Directory = folder, FsyncPolicy = WriteBehindAkka.Journal.FsyncPolicy.EverySecond, SegmentBytes = 64 * 1024, MaxJournalBytes = 1024 * 1024 },
        }).UseStore(store);
        try
        {
            using var host = builder.Build();
            await host.StartAsync();
            var cache = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();
            store.Pause();
            await cache.SetAsync("a", "1");

            await host.StopAsync().WaitAsync(TestHost.Within);

            var kept = Assert.Single(logs.WithEventId(2006));
            Assert.Contains($"they stay in the journal ('{folder}') and are replayed at the next start.", kept.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("WriteBehind:Cache:scores", true)]
    [InlineData("WriteBehind:Caches:scores", false)]
    public async Task StartAsync_BindConfigurationSectionMissing_WarnsNamingThePath(string path, bool warned)
    {
        var logs = new CapturingLoggerProvider();
        var builder = TestHost.Builder(logs);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["WriteBehind:Caches:scores:MaxBatchSize"] = "5" });
        builder.Services.AddWriteBehindCache<string, string>("scores").UseStore(new InMemoryStore<string>()).BindConfiguration(path);
        using var host = builder.Build();

        await host.StartAsync();
        await host.StopAsync();

        var warnings = logs.WithEventId(2008).ToList();
        Assert.Equal(warned ? 1 : 0, warnings.Count);
        if (warned)
        {
            Assert.StartsWith("Cache 'scores': the configuration section 'WriteBehind:Cache:scores' given to BindConfiguration does not exist", warnings[0].Message);
        }
    }

    [Fact]
    public async Task StartAsync_StoreFactoryThrows_FailsTheStartWithTheStoreMessage()
    {
        var logs = new CapturingLoggerProvider();
        var builder = TestHost.Builder(logs);
        builder.Services.AddWriteBehindCache<string, string>()
            .UseStore(_ => throw new InvalidOperationException("The store cannot be made: set its connection string."));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Equal("The store cannot be made: set its connection string.", error.Message);
        Assert.Equal(
            "Cache 'default' could not start; the host stops starting. The store cannot be made: set its connection string.",
            Assert.Single(logs.WithEventId(2002)).Message);
    }

    [Fact]
    public async Task Dispose_HostNeverStartedButCacheResolved_DrainsTheCache()
    {
        var store = new InMemoryStore<string>();
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>(configure: TestHost.Small).UseStore(store);
        var host = builder.Build();
        var cache = host.Services.GetRequiredService<IWriteBehindCache<string, string>>();
        await cache.SetAsync("k", "v");

        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TestHost.Within);

        Assert.Equal(["k"], store.Rows.Keys);
    }

    [Fact]
    public async Task StopAsync_StoreMadeByFactory_IsDisposedAfterTheDrain()
    {
        var store = new DisposableStore();
        var builder = TestHost.Builder();
        builder.Services.AddWriteBehindCache<string, string>(configure: TestHost.Small).UseStore(_ => store);
        using var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IWriteBehindCache<string, string>>().SetAsync("k", "v");

        await host.StopAsync();

        Assert.Equal((1, 1), (store.Rows, store.Disposals));
    }

    private sealed class DisposableStore : WriteBehindAkka.Storage.IWriteBehindStore<string>, IAsyncDisposable
    {
        private readonly InMemoryStore<string> _inner = new();

        public int Disposals { get; private set; }

        public int Rows => _inner.Rows.Count;

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteBehindAkka.Storage.WriteRecord<string>> batch, CancellationToken cancellationToken) =>
            Disposals == 0 ? _inner.WriteBatchAsync(batch, cancellationToken) : throw new ObjectDisposedException("store");

        public ValueTask<WriteBehindAkka.Storage.StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => _inner.LoadAsync(key, cancellationToken);

        public WriteBehindAkka.Storage.StoreErrorKind Classify(Exception error) => _inner.Classify(error);

        public ValueTask DisposeAsync()
        {
            Disposals++;
            return ValueTask.CompletedTask;
        }
    }
}
