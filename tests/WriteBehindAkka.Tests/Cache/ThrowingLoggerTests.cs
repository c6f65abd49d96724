using Microsoft.Extensions.Logging;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>A logging provider that throws must not leave the cache's state half-changed.</summary>
public sealed class ThrowingLoggerTests
{
    [Fact]
    public async Task StoreRefusesRecords_LoggerThrowsOnTheFailureEvent_EveryAskIsAnsweredAndTheFlushCompletes()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad1"] = true;
        store.PoisonKeys["bad2"] = true;
        store.Pause();
        using var loggers = new ThrowingFactory(eventId: 1004);
        await using var cache = new WriteBehindCache<string, string>(
            store, Harness.Options(o => o with { ShardCount = 1, MaxBatchSize = 10 }), loggerFactory: loggers, jitter: () => 0.0);

        var bad1 = cache.SetAsync("bad1", "v", WriteConsistency.Committed).AsTask();
        var bad2 = cache.SetAsync("bad2", "v", WriteConsistency.Committed).AsTask();
        var good = cache.SetAsync("good", "v", WriteConsistency.Committed).AsTask();
        store.Resume();

        await Assert.ThrowsAsync<WriteFailedException>(() => bad1.Within());
        await Assert.ThrowsAsync<WriteFailedException>(() => bad2.Within());
        await good.Within();
        Assert.Equal(new FlushResult(2), await cache.FlushAsync().Within());
        Assert.Equal(2, await store.DeadLetters.CountAsync(CancellationToken.None));
        Assert.Equal(0, cache.GetStatistics().PendingEntries);
        store.PoisonKeys.Clear();
        await cache.SetAsync("bad1", "w", WriteConsistency.Committed).AsTask().Within();
        Assert.Equal("w", Harness.Text(store.Rows["bad1"].Value));
    }

    /// <summary>Loggers that throw on one event, as Microsoft.Extensions.Logging rethrows a provider's exception.</summary>
    private sealed class ThrowingFactory(int eventId) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Thrower(eventId);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Thrower(int eventId) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId id, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (id.Id == eventId)
                {
                    throw new InvalidOperationException("the log sink is down");
                }
            }
        }
    }
}
