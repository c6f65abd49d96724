using Microsoft.Extensions.Hosting;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>
/// Starts every hosted cache with the host and drains them all, at once, when it stops.
/// </summary>
/// <remarks>
/// Caches are created in <see cref="StartingAsync"/>, before any hosted service's <c>StartAsync</c>, so the
/// application's own services find them running; a cache resolved earlier (a hosted service that takes it in its
/// constructor) is created then, takes writes at once, and holds them until its store's start-up work has run. They are drained in <see cref="StoppedAsync"/>, after every hosted
/// service (a web server, a background producer) has stopped, so no write arrives after intake has stopped. The token
/// the host passes fires at <c>HostOptions.ShutdownTimeout</c>; whatever is not committed by then is logged and lost.
/// </remarks>
internal sealed class WriteBehindHostedService : IHostedLifecycleService
{
    private readonly ICacheRuntime[] _caches;

    public WriteBehindHostedService(IEnumerable<ICacheRuntime> caches) => _caches = caches.ToArray();

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_caches.Select(cache => cache.StartAsync(cancellationToken)));

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_caches.Select(cache => cache.StopAsync(cancellationToken)));
}
