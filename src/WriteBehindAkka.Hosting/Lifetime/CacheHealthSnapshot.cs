using WriteBehindAkka.Hosting.Health;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>What the health check reads from a hosted cache at one instant.</summary>
/// <param name="State">Where the cache is in its life.</param>
/// <param name="Statistics">The cache's counters, or <see langword="null"/> before it was created.</param>
/// <param name="MaxPendingEntries">The cache's bound on pending entries.</param>
/// <param name="MaxPendingBytes">The cache's bound on pending bytes.</param>
/// <param name="OldestPendingAge">The age of the oldest pending write (zero when the core does not report it).</param>
/// <param name="StoreFailingFor">How long every batch write has failed with transient errors, or <see langword="null"/> when the last one was committed (or records fail for good, which nothing retries).</param>
/// <param name="Thresholds">The health check's thresholds.</param>
/// <param name="Failure">What the store (or the dead-letter sink) is failing with, and the cache's own account of it (with the SQLSTATE): Permanent when most recent writes failed for good; or <see langword="null"/>.</param>
/// <param name="AtBound">Whether the cache holds writes back (its backlog, or its journal, is at its bound).</param>
/// <param name="ReadFailure">The cache's account of failing read-through loads (most of the last minute's failed), or <see langword="null"/>.</param>
internal sealed record CacheHealthSnapshot(
    CacheState State,
    CacheStatistics? Statistics,
    long MaxPendingEntries,
    long MaxPendingBytes,
    TimeSpan OldestPendingAge,
    TimeSpan? StoreFailingFor,
    WriteBehindHealthCheckOptions Thresholds,
    (Storage.StoreErrorKind Kind, string Description)? Failure = null,
    bool AtBound = false,
    string? ReadFailure = null);
