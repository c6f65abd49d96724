namespace WriteBehindAkka.Hosting.Health;

/// <summary>
/// When a cache's health check reports Degraded. It reports Unhealthy, whatever these say, when the cache is not
/// running; and Degraded, whatever these say, when it holds its full bound of pending writes (so writes are being
/// refused or held), when its store refuses every batch because of how it is set up, or when most of its recent
/// writes fail for good.
/// </summary>
public sealed class WriteBehindHealthCheckOptions
{
    /// <summary>Gets or sets the backlog above which the cache is Degraded: pending (written, not yet committed) entries.</summary>
    /// <value>The default value is 100,000 entries.</value>
    public long BacklogThreshold { get; set; } = WriteBehindHealthCheckDefaults.BacklogThreshold;

    /// <summary>
    /// Gets or sets how long every batch write may fail with a transient store error (the cache retrying with
    /// backoff, nothing committed) before the cache is Degraded.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan StoreFailureThreshold { get; set; } = WriteBehindHealthCheckDefaults.StoreFailureThreshold;

    /// <summary>Gets or sets the age of the oldest pending write above which the cache is Degraded.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan LagThreshold { get; set; } = WriteBehindHealthCheckDefaults.LagThreshold;

    /// <summary>Returns a copy that later changes to this object cannot reach.</summary>
    /// <returns>The copy.</returns>
    internal WriteBehindHealthCheckOptions Copy() => new()
    {
        BacklogThreshold = BacklogThreshold,
        StoreFailureThreshold = StoreFailureThreshold,
        LagThreshold = LagThreshold,
    };
}
