using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WriteBehindAkka.Hosting.Configuration;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Hosting.Lifetime;
using WriteBehindAkka.Keys;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Hosting;

/// <summary>
/// Configures one cache registered with <see cref="WriteBehindServiceCollectionExtensions.AddWriteBehindCache{TKey, TValue}"/>:
/// its store, its settings (in code or from configuration), its serializer and its health thresholds. Settings are
/// applied in the order of the calls, so a later call (or a later <see cref="BindConfiguration"/>) wins.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class WriteBehindCacheBuilder<TKey, TValue>
    where TKey : notnull
{
    private readonly CacheRegistration<TKey, TValue> _registration;

    internal WriteBehindCacheBuilder(IServiceCollection services, CacheRegistration<TKey, TValue> registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>Gets the service collection the cache is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Gets the cache's name: its options name, its service key, and the <c>writebehind.cache</c> tag of its metrics.</summary>
    public string Name => _registration.Name;

    /// <summary>Changes the cache's settings.</summary>
    /// <param name="configure">Returns the new settings from the current ones, for example <c>o =&gt; o with { WriteDelay = TimeSpan.FromMilliseconds(100) }</c>.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> Configure(Func<WriteBehindOptions, WriteBehindOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<WriteBehindCacheOptions>(Name, options => options.Cache = configure(options.Cache ?? new WriteBehindOptions()));
        return this;
    }

    /// <summary>Drains the cache into a store made by <paramref name="factory"/> when the host starts; the cache disposes it after it stops.</summary>
    /// <param name="factory">Makes the store.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> UseStore(Func<IServiceProvider, IWriteBehindStore<TKey>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return UseStore((services, _) => factory(services), ownsStore: true);
    }

    /// <summary>Drains the cache into <paramref name="store"/>, which stays yours: the cache never disposes it.</summary>
    /// <param name="store">The store, for example the test kit's <c>InMemoryStore</c>.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> UseStore(IWriteBehindStore<TKey> store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return UseStore((_, _) => store, ownsStore: false);
    }

    /// <summary>Sets how the key space is split.</summary>
    /// <param name="shardCount">How many shard actors (<see cref="WriteBehindOptions.ShardCount"/>).</param>
    /// <param name="mailboxCapacity">Commands each shard's mailbox holds (<see cref="WriteBehindOptions.MailboxCapacity"/>); <see langword="null"/> keeps the current value.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithSharding(int shardCount, int? mailboxCapacity = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardCount);
        if (mailboxCapacity is { } capacity)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity, nameof(mailboxCapacity));
        }

        return Configure(o => o with { ShardCount = shardCount, MailboxCapacity = mailboxCapacity ?? o.MailboxCapacity });
    }

    /// <summary>Sets the pipeline's <c>GroupedWithin(maxBatchSize, maxBatchDelay)</c> and how many batches are written at once.</summary>
    /// <param name="maxBatchSize">The most records in one batch.</param>
    /// <param name="maxBatchDelay">How long a batch waits for more records after its first one.</param>
    /// <param name="parallelism">How many writer loops (<see cref="WriteBehindOptions.Parallelism"/>); <see langword="null"/> keeps the current value.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithBatching(int maxBatchSize, TimeSpan maxBatchDelay, int? parallelism = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxBatchDelay, TimeSpan.Zero);
        if (parallelism is { } writers)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(writers, nameof(parallelism));
        }

        // Without a count, Parallelism keeps following its default (a ShardCount set later may lower it).
        return Configure(o => parallelism is { } lanes
            ? o with { MaxBatchSize = maxBatchSize, MaxBatchDelay = maxBatchDelay, Parallelism = lanes }
            : o with { MaxBatchSize = maxBatchSize, MaxBatchDelay = maxBatchDelay });
    }

    /// <summary>Sets the retry backoff for transient store errors and crashed writer loops.</summary>
    /// <param name="restart">The settings.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithRestart(RestartSettings restart)
    {
        ArgumentNullException.ThrowIfNull(restart);
        var copy = restart with { };
        return Configure(o => o with { Restart = copy });
    }

    /// <summary>Changes the retry backoff.</summary>
    /// <param name="configure">Returns the new settings from the current ones, for example <c>r =&gt; r with { MaxBackoff = TimeSpan.FromSeconds(30) }</c>.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithRestart(Func<RestartSettings, RestartSettings> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return Configure(o => o with { Restart = configure(o.Restart ?? new RestartSettings()) });
    }

    /// <summary>Sets the value serializer (the default is System.Text.Json). The store gets the same one.</summary>
    /// <param name="serializer">The serializer.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithSerializer(IValueSerializer<TValue> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        _registration.SerializerFactory = _ => serializer;
        return this;
    }

    /// <summary>Sets the value serializer, made from the application's services.</summary>
    /// <param name="factory">Makes the serializer.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithSerializer(Func<IServiceProvider, IValueSerializer<TValue>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registration.SerializerFactory = factory;
        return this;
    }

    /// <summary>Sets the stable key hash, for key types without a built-in one.</summary>
    /// <param name="hasher">The hasher.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithKeyHasher(IKeyHasher<TKey> hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        _registration.KeyHasher = hasher;
        return this;
    }

    /// <summary>Changes when the cache's health check reports Degraded.</summary>
    /// <param name="configure">Changes the thresholds.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> WithHealthCheck(Action<WriteBehindHealthCheckOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure<WriteBehindCacheOptions>(Name, options =>
        {
            var health = options.Health?.Copy() ?? new WriteBehindHealthCheckOptions();
            configure(health);
            options.Health = health;
        });
        return this;
    }

    /// <summary>
    /// Reads the cache's settings from a configuration section when the options are built: its root binds to
    /// <see cref="WriteBehindOptions"/> (with a <c>Restart</c> child), its <c>Health</c> child to the health
    /// thresholds and its <c>PostgreSql</c> child to <see cref="PostgreSqlStoreOptions"/>. Durations are
    /// <see cref="TimeSpan"/> strings (<c>00:00:00.0500000</c>), which is what the HOCON provider makes of <c>50ms</c>.
    /// A key that names no setting is reported at start-up, as is a value the binder would take wrongly or not at all;
    /// for a value from a HOCON source (<c>AddHoconFile</c>, <c>AddHoconString</c>) the report names the file, line and column.
    /// </summary>
    /// <param name="sectionPath">The section, for example <c>WriteBehind:Caches:scores</c>.</param>
    /// <returns>This builder.</returns>
    public WriteBehindCacheBuilder<TKey, TValue> BindConfiguration(string sectionPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionPath);
        _registration.ConfigurationSection = sectionPath;
        Services.AddOptions<WriteBehindCacheOptions>(Name)
            .Configure<IConfiguration>((options, configuration) => CacheConfigurationBinder.Bind(configuration.GetSection(sectionPath), options, configuration));
        Services.AddOptions<PostgreSqlStoreOptions>(Name)
            .Configure<IConfiguration>((options, configuration) => CacheConfigurationBinder.BindPostgreSql(configuration.GetSection(sectionPath), options));
        return this;
    }

    /// <summary>Chooses the store (the last call wins).</summary>
    /// <param name="factory">Makes the store from the services and the cache's serializer.</param>
    /// <param name="ownsStore">Whether the cache disposes the store after it stops.</param>
    /// <param name="initializer">Work to do on the store when the host starts, before the cache is created.</param>
    /// <returns>This builder.</returns>
    internal WriteBehindCacheBuilder<TKey, TValue> UseStore(
        Func<IServiceProvider, IValueSerializer<TValue>, IWriteBehindStore<TKey>> factory,
        bool ownsStore,
        Func<IWriteBehindStore<TKey>, CancellationToken, Task>? initializer = null)
    {
        _registration.StoreFactory = factory;
        _registration.OwnsStore = ownsStore;
        _registration.StoreInitializer = initializer;
        return this;
    }
}
