namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>One hosted cache, whatever its key and value types: what the hosted service and the health check need.</summary>
internal interface ICacheRuntime
{
    /// <summary>Gets the cache's name.</summary>
    string Name { get; }

    /// <summary>Prepares the store and creates the cache (once; later calls return the same task).</summary>
    /// <param name="cancellationToken">The host's start token.</param>
    /// <returns>A task that completes when the cache accepts writes.</returns>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops intake, drains until <paramref name="cancellationToken"/> fires, logs what was left, and disposes an owned store.</summary>
    /// <param name="cancellationToken">Fires at the host's shutdown deadline.</param>
    /// <returns>The cache's report, or <see langword="null"/> when it was never created.</returns>
    Task<ShutdownReport?> StopAsync(CancellationToken cancellationToken);

    /// <summary>Reads what the health check needs.</summary>
    /// <returns>The snapshot.</returns>
    CacheHealthSnapshot Snapshot();
}
