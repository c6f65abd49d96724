namespace WriteBehindAkka;

/// <summary>How well a cache is doing, for health checks.</summary>
public enum CacheHealth
{
    /// <summary>Writes are accepted and drain into the store.</summary>
    Healthy = 0,

    /// <summary>
    /// Writes are accepted but not draining as they should: the store or the dead-letter sink keeps failing (the
    /// cache retries with backoff and keeps every accepted write), most recent writes fail for good (the store
    /// refuses them and they are dead-lettered), or the backlog is at its bound (writers wait or are refused).
    /// Restarting the process does not help and, without a journal, loses the backlog.
    /// </summary>
    Degraded = 1,

    /// <summary>The cache is shut down and accepts nothing.</summary>
    Unhealthy = 2,
}
