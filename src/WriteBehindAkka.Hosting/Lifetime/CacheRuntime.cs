using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hosting.Diagnostics;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>
/// One hosted cache: makes its store and the cache when the host starts (or when something resolves the cache
/// first), drains it when the host stops, and disposes the store it made.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
internal sealed class CacheRuntime<TKey, TValue> : ICacheRuntime, IAsyncDisposable, IDisposable
    where TKey : notnull
{
    private readonly CacheRegistration<TKey, TValue> _registration;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Guards the creation of the store and the cache.</summary>
    private readonly Lock _gate = new();

    private WriteBehindCacheOptions? _options;
    private IValueSerializer<TValue>? _serializer;
    private IWriteBehindStore<TKey>? _store;
    private WriteBehindCache<TKey, TValue>? _cache;
    private Task? _started;
    private Task<ShutdownReport?>? _stopped;

    /// <summary>
    /// Opens once the store's start-up work has ended (run, failed, or run on after a cancelled start), or the cache
    /// stops: a cache resolved before the host started (a hosted service that takes it in its constructor) holds its
    /// writes until then. Only a store with start-up work is held.
    /// </summary>
    private readonly TaskCompletionSource _storeReady = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long a stop waits, before disposing the store, for a store initializer still running after its start was cancelled.</summary>
    private static readonly TimeSpan InitializerGrace = TimeSpan.FromSeconds(10);

    /// <summary>The store's start-up work while (or after) it runs.</summary>
    private Task? _initializing;

    public CacheRuntime(CacheRegistration<TKey, TValue> registration, IServiceProvider services)
    {
        _registration = registration;
        _services = services;
        Time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        // As the cache's own logger: a provider that throws loses the line, not the start or the drain it reports.
        _logger = new WriteBehindAkka.Diagnostics.GuardedLogger(_loggerFactory.CreateLogger("WriteBehindAkka.Hosting"));
    }

    /// <inheritdoc />
    public string Name => _registration.Name;

    /// <summary>Gets the clock of the cache and its health check.</summary>
    public TimeProvider Time { get; }

    /// <summary>Gets the cache, creating it (and its store) if the host has not started it yet.</summary>
    /// <remarks>A cache created this way, before the host starts, takes writes at once but holds them (and its read-through loads) until the store's start-up work (such as creating its table) has run.</remarks>
    public IWriteBehindCache<TKey, TValue> Cache => Volatile.Read(ref _cache) ?? CreateCache();

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _started ??= StartCoreAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public Task<ShutdownReport?> StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _stopped ??= StopCoreAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public CacheHealthSnapshot Snapshot()
    {
        var cache = Volatile.Read(ref _cache);
        var options = Volatile.Read(ref _options);
        if (cache is null || options is null)
        {
            return new CacheHealthSnapshot(CacheState.NotStarted, null, 0, 0, TimeSpan.Zero, null, options?.Health ?? new());
        }

        var statistics = cache.GetStatistics();

        // The cache's own health says how long its writers have been failing against the store (or its dead-letter sink).
        var health = cache.GetHealth();
        return new CacheHealthSnapshot(
            statistics.IsRunning ? CacheState.Running : CacheState.Stopped,
            statistics,
            cache.Options.MaxPendingEntries,
            cache.Options.MaxPendingBytes,
            statistics.OldestPendingAge,
            health.FailureKind is null or StoreErrorKind.Permanent ? null : health.FailingFor, // Permanent: failed for good, nothing retried
            options.Health,
            health.FailureKind is { } kind ? (kind, health.Description) : null,
            AtBound: cache.IsAtBound,
            ReadFailure: (cache.HungLoad() ?? cache.LoadFailures())?.Description);
    }

    /// <summary>Drains and stops the cache if the host did not (for example, when the host never started).</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        bool stoppedBefore;
        lock (_gate)
        {
            stoppedBefore = _stopped is not null;
        }

        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error) when (!stoppedBefore)
        {
            // Logged, not thrown: the container disposes its other services (data sources, exporters) after this one.
            Log.CacheStopFailed(_logger, error, Name);
        }
        catch (Exception)
        {
            // The host's stop failed already, and said so.
        }
    }

    /// <summary>
    /// As <see cref="DisposeAsync"/>, blocking: a service provider disposed synchronously (<c>using</c>, no host)
    /// refuses a service that is only <see cref="IAsyncDisposable"/>. Runs on the thread pool, so a caller's
    /// synchronization context cannot deadlock it.
    /// </summary>
    public void Dispose() => Task.Run(() => DisposeAsync().AsTask()).GetAwaiter().GetResult();

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        try
        {
            var store = CreateStore();
            if (_registration.StoreInitializer is { } initialize)
            {
                // An initializer that ignores the token still lets the host's start be cancelled; a stop waits for
                // it a while (InitializerGrace) before disposing the store under it; the held writes wait for it.
                // Recorded before it runs, under the lock a stop takes: a stop either finds it (and leaves the held
                // writes to it) or came first, and then it does not run.
                var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_gate)
                {
                    if (_stopped is not null)
                    {
                        throw new ObjectDisposedException(GetType().Name, $"The write-behind cache '{Name}' was stopped before its store's start-up work ran.");
                    }

                    _initializing = ran.Task;
                }

                Task initializing;
                try
                {
                    initializing = initialize(store, cancellationToken);
                }
                catch (Exception error)
                {
                    initializing = Task.FromException(error);
                }

                // Held writes go once it has run, however it ends (even after the start stopped waiting for it).
                _ = initializing.ContinueWith(
                    (_, state) =>
                    {
                        ran.TrySetResult();
                        ((TaskCompletionSource)state!).TrySetResult();
                    },
                    _storeReady,
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
                await initializing.WaitAsync(cancellationToken).ConfigureAwait(false);
                Log.StoreInitialized(_logger, Name, Describe(store));
            }

            CreateCache();
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            Log.CacheStartFailed(_logger, error, Name, error.Message);
            throw;
        }
    }

    private async Task<ShutdownReport?> StopCoreAsync(CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        Task? initializing;
        lock (_gate)
        {
            initializing = _initializing;
        }

        if (initializing is null)
        {
            // Nothing started the store's start-up work: a cache created early but never started drains into the
            // store as it is. An initializer under way releases the held writes itself when it has run; until then
            // they stay held, so the drain either writes them into a ready store or reports them as not written
            // (the journal keeps them), rather than sending them to a store whose table may not be there yet.
            _storeReady.TrySetResult();
        }

        WriteBehindCache<TKey, TValue>? cache;
        lock (_gate)
        {
            cache = _cache;
        }

        ShutdownReport? report = null;
        try
        {
            report = cache is null ? null : await DrainAsync(cache, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Even when the drain failed (a journal that could not be closed, say): the store's connections go.
            await DisposeStoreAsync(initializing).ConfigureAwait(false);
        }

        return report;
    }

    private async Task<ShutdownReport> DrainAsync(WriteBehindCache<TKey, TValue> cache, CancellationToken cancellationToken)
    {
        ShutdownReport report;
        {
            var before = cache.GetStatistics();
            Log.Draining(_logger, Name, before.PendingEntries, before.PendingBytes);
            long started = Time.GetTimestamp();
            report = await cache.ShutdownAsync(cancellationToken).ConfigureAwait(false);
            var elapsed = Time.GetElapsedTime(started);
            if (report.Flushed)
            {
                Log.Drained(_logger, Name, elapsed, report.FailedKeys);
            }
            else
            {
                string fate = cache.Options.Journal is { } journal
                    ? $"they stay in the journal ('{journal.Directory}') and are replayed at the next start"
                    : "they are lost (no journal is configured)";
                Log.NotDrained(_logger, Name, elapsed, report.UnflushedEntries, report.UnflushedBytes, fate, report.FailedKeys);
            }
        }

        return report;
    }

    private IWriteBehindStore<TKey> CreateStore()
    {
        lock (_gate)
        {
            if (_store is not null)
            {
                return _store;
            }

            _options = _services.GetRequiredService<IOptionsMonitor<WriteBehindCacheOptions>>().Get(Name);
            _serializer = _registration.SerializerFactory?.Invoke(_services) ?? new JsonValueSerializer<TValue>();
            var factory = _registration.StoreFactory ?? throw new InvalidOperationException(
                $"The write-behind cache '{Name}' has no store: call UsePostgreSql(...) or UseStore(...) on the builder that AddWriteBehindCache returned.");
            var inner = factory(_services, _serializer) ?? throw new InvalidOperationException(
                $"The store factory of the write-behind cache '{Name}' returned null: return an IWriteBehindStore<{typeof(TKey).Name}>.");
            // Handed to the cache as it is, so that everything the store offers (its dead-letter table, its error
            // codes) reaches the cache; the cache's own health reports store failures.
            _store = inner;
            return _store;
        }
    }

    private WriteBehindCache<TKey, TValue> CreateCache()
    {
        var store = CreateStore();
        lock (_gate)
        {
            if (_cache is not null)
            {
                return _cache;
            }

            if (_stopped is not null)
            {
                throw new ObjectDisposedException(
                    GetType().Name, $"The write-behind cache '{Name}' was stopped with the host; resolve it from a running host.");
            }

            var options = _options!.Cache;
            var held = _registration.StoreInitializer is null || _storeReady.Task.IsCompleted ? store : new HeldUntilReadyStore<TKey>(store, _storeReady.Task, WarnIfNotStarted);
            var cache = new WriteBehindCache<TKey, TValue>(held, options, _serializer, Time, _loggerFactory, _registration.KeyHasher, Name);
            if (!ReferenceEquals(held, store))
            {
                // A service provider disposes the cache it made before this runtime: without this, a cache that
                // nothing started would wait out its ShutdownTimeout on its held writes and lose them.
                cache.ShutdownStarting = ReleaseHeldWritesIfNeverStarted;
            }

            Volatile.Write(ref _cache, cache);
            Log.CacheStarted(_logger, Name, options.ShardCount, options.Parallelism, options.MaxBatchSize, Describe(store));
            if (_options.MissingSection is { } missing)
            {
                Log.SectionMissing(_logger, Name, missing);
            }

            return cache;
        }
    }

    /// <summary>
    /// The cache is shutting down: if nothing has begun to start it, its held writes drain into the store as it is,
    /// as <see cref="StopCoreAsync"/> lets them. A start under way releases them when the store's start-up work ends.
    /// </summary>
    private void ReleaseHeldWritesIfNeverStarted()
    {
        lock (_gate)
        {
            if (_started is not null)
            {
                return;
            }
        }

        _storeReady.TrySetResult();
    }

    /// <summary>A held write or load arrived: say so if nothing has begun to start the cache (no host, and no StartWriteBehindCachesAsync).</summary>
    private void WarnIfNotStarted()
    {
        bool started;
        lock (_gate)
        {
            started = _started is not null || _stopped is not null;
        }

        if (!started)
        {
            Log.HeldWithoutStart(_logger, Name);
        }
    }

    private async Task DisposeStoreAsync(Task? initializing)
    {
        IWriteBehindStore<TKey>? store;
        lock (_gate)
        {
            store = _store;
        }

        if (store is null || !_registration.OwnsStore)
        {
            return;
        }

        if (initializing is { IsCompleted: false })
        {
            // A start cancelled while its initializer ran on: let it finish first, for a while (one that ignores
            // every token could run for ever), so that the store is not disposed under it.
            try
            {
                await initializing.WaitAsync(InitializerGrace, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Its failure was the start's to report; the store is disposed either way.
            }
        }

        try
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        catch (Exception error)
        {
            Log.StoreDisposeFailed(_logger, error, Name);
        }
    }

    private static string Describe(object store) =>
        store is PostgreSqlStore<TKey, TValue> postgres ? $"PostgreSQL table {postgres.TableName} ({postgres.BatchForm})" : Readable(store.GetType());

    /// <summary>A type's name as C# writes it: <c>InMemoryStore&lt;String&gt;</c>, not <c>InMemoryStore`1</c>.</summary>
    private static string Readable(Type type)
    {
        int tick = type.Name.IndexOf('`', StringComparison.Ordinal);
        return type.IsGenericType && tick > 0
            ? $"{type.Name[..tick]}<{string.Join(", ", type.GetGenericArguments().Select(Readable))}>"
            : type.Name;
    }
}
