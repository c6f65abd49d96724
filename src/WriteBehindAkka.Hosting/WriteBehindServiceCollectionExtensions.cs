using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Hosting.Configuration;
using WriteBehindAkka.Hosting.Health;
using WriteBehindAkka.Hosting.Lifetime;
using WriteBehindAkka.Options;

namespace WriteBehindAkka.Hosting;

/// <summary>Registers write-behind caches in an <see cref="IServiceCollection"/>, the way Akka.Hosting's <c>AddAkka</c> registers an actor system.</summary>
public static class WriteBehindServiceCollectionExtensions
{
    /// <summary>The name of the cache registered without one.</summary>
    public const string DefaultName = "default";

    /// <summary>The tag of every write-behind health check.</summary>
    public const string HealthCheckTag = "writebehind";

    /// <summary>
    /// Registers a write-behind cache that starts with the host and drains when it stops, with options validated at
    /// start-up and a health check named <c>writebehind-{name}</c>. Choose its store on the returned builder.
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">
    /// The cache's name. The cache named <see cref="DefaultName"/> (the one registered without a name) is injected as
    /// <see cref="IWriteBehindCache{TKey, TValue}"/>; every cache, that one included, is also a keyed service under its
    /// name (<c>[FromKeyedServices("scores")]</c>).
    /// </param>
    /// <param name="configure">Changes the settings, for example <c>o =&gt; o with { MaxBatchSize = 1000 }</c>.</param>
    /// <returns>A builder for the cache's store, settings, serializer and health thresholds.</returns>
    /// <exception cref="InvalidOperationException">A cache with the same name is already registered.</exception>
    public static WriteBehindCacheBuilder<TKey, TValue> AddWriteBehindCache<TKey, TValue>(
        this IServiceCollection services,
        string? name = null,
        Func<WriteBehindOptions, WriteBehindOptions>? configure = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(services);
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
        }

        name ??= DefaultName;
        if (!Registry(services).TryAdd(name, out string existing))
        {
            string clash = existing == name ? $"named '{name}'" : $"named '{existing}' (the same name but for case: configuration keys and health-check names ignore case)";
            throw new InvalidOperationException(
                $"A write-behind cache {clash} is already registered. Give each cache its own name: AddWriteBehindCache<TKey, TValue>(\"another-name\").");
        }

        var registration = new CacheRegistration<TKey, TValue>(name);
        services.AddOptions<WriteBehindCacheOptions>(name).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WriteBehindCacheOptions>>(
            new WriteBehindCacheOptionsValidator(name, () => registration.ConfigurationSection, () => registration.StoreFactory is not null));

        services.AddKeyedSingleton(name, (provider, _) => new CacheRuntime<TKey, TValue>(registration, provider));
        services.AddSingleton<ICacheRuntime>(provider => provider.GetRequiredKeyedService<CacheRuntime<TKey, TValue>>(name));
        services.AddKeyedSingleton(name, (provider, _) => provider.GetRequiredKeyedService<CacheRuntime<TKey, TValue>>(name).Cache);
        if (name == DefaultName)
        {
            services.AddSingleton(provider => provider.GetRequiredKeyedService<CacheRuntime<TKey, TValue>>(name).Cache);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, WriteBehindHostedService>());
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "writebehind-" + name,
            provider => new WriteBehindHealthCheck(provider.GetRequiredKeyedService<CacheRuntime<TKey, TValue>>(name)),
            failureStatus: null,
            tags: [HealthCheckTag]));

        var builder = new WriteBehindCacheBuilder<TKey, TValue>(services, registration);
        return configure is null ? builder : builder.Configure(configure);
    }

    /// <summary>
    /// Starts every write-behind cache registered in <paramref name="services"/> as a host's start would: runs each
    /// store's start-up work (<c>ensureTable</c>, an initializer) and creates the cache. For a service provider that no
    /// host starts (your own <c>BuildServiceProvider()</c> in a tool or a test); under a host it is not needed, and
    /// calling it as well does nothing more (each cache starts once).
    /// </summary>
    /// <param name="services">The service provider the caches were registered in.</param>
    /// <param name="cancellationToken">Cancels the wait (a store's start-up work gets it too).</param>
    /// <returns>A task that completes when every cache accepts writes and its store is ready; it fails as a host's start would.</returns>
    public static Task StartWriteBehindCachesAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Task.WhenAll(services.GetServices<ICacheRuntime>().Select(cache => cache.StartAsync(cancellationToken)));
    }

    private static CacheNameRegistry Registry(IServiceCollection services)
    {
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(CacheNameRegistry) && !descriptor.IsKeyedService && descriptor.ImplementationInstance is CacheNameRegistry existing)
            {
                return existing;
            }
        }

        var registry = new CacheNameRegistry();
        services.AddSingleton(registry);
        return registry;
    }
}
