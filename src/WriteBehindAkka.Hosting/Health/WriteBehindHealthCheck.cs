using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WriteBehindAkka.Hosting.Lifetime;

namespace WriteBehindAkka.Hosting.Health;

/// <summary>
/// The health of one hosted cache. Unhealthy: not running (not started yet, or stopped). Degraded: holding its full
/// bound of pending writes (writes are refused with <c>OverflowStrategy.Fail</c> and by <c>TrySet</c>, or held with
/// <c>Backpressure</c>: the cache doing what it is set up to do, as its own <c>GetHealth</c> says), the backlog is above
/// <see cref="WriteBehindHealthCheckOptions.BacklogThreshold"/>, the store has failed every batch for longer than
/// <see cref="WriteBehindHealthCheckOptions.StoreFailureThreshold"/>, the store refuses every batch because of how it
/// is set up, most recent writes fail for good (the cache's own account), or the oldest pending write is older than
/// <see cref="WriteBehindHealthCheckOptions.LagThreshold"/>. Healthy otherwise.
/// </summary>
internal sealed class WriteBehindHealthCheck : IHealthCheck
{
    private readonly ICacheRuntime _runtime;

    public WriteBehindHealthCheck(ICacheRuntime runtime) => _runtime = runtime;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Evaluate(_runtime.Name, _runtime.Snapshot()));

    /// <summary>Turns a snapshot into a result.</summary>
    /// <param name="name">The cache's name.</param>
    /// <param name="snapshot">What the cache reports.</param>
    /// <returns>The result, with the numbers in its data.</returns>
    internal static HealthCheckResult Evaluate(string name, CacheHealthSnapshot snapshot)
    {
        if (snapshot.Statistics is not { } statistics)
        {
            return HealthCheckResult.Unhealthy($"Cache '{name}' has not started: the host has not started it yet (a service provider that no host starts needs StartWriteBehindCachesAsync()).");
        }

        var data = Data(snapshot, statistics);
        if (snapshot.State != CacheState.Running)
        {
            return HealthCheckResult.Unhealthy($"Cache '{name}' is stopped: it accepts no writes.", data: data);
        }

        var thresholds = snapshot.Thresholds;
        var reasons = new List<string>();
        if (statistics.PendingEntries >= snapshot.MaxPendingEntries || statistics.PendingBytes >= snapshot.MaxPendingBytes || snapshot.AtBound)
        {
            // Degraded, as the cache's own report says, not Unhealthy: the bound is backpressure working as set up,
            // and what Unhealthy usually brings, a restart, would not drain the store's backlog faster and, without
            // a journal, would lose it. A bound held for long shows in the lag and store-failure reasons too.
            reasons.Add(
                $"at its bound: {statistics.PendingEntries} of {snapshot.MaxPendingEntries} entries, {statistics.PendingBytes} of {snapshot.MaxPendingBytes} bytes pending" +
                (snapshot.AtBound && statistics.PendingEntries < snapshot.MaxPendingEntries && statistics.PendingBytes < snapshot.MaxPendingBytes ? ", and its journal is at MaxJournalBytes" : string.Empty) +
                "; new writes are refused or held until the store catches up");
        }

        if (statistics.PendingEntries > thresholds.BacklogThreshold)
        {
            reasons.Add($"{statistics.PendingEntries} entries pending, above the threshold of {thresholds.BacklogThreshold}");
        }

        if (snapshot.Failure is { Kind: Storage.StoreErrorKind.Configuration or Storage.StoreErrorKind.Permanent } atOnce)
        {
            // No data can fix a configuration error and waiting will not either; records failing for good at a high
            // rate are measured over the cache's own window already: say so at once, with the cache's account.
            reasons.Add(atOnce.Description);
        }
        else if (snapshot.StoreFailingFor is { } failing && failing > thresholds.StoreFailureThreshold)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"writes have been failing for {failing.TotalSeconds:0.#} s (threshold {thresholds.StoreFailureThreshold.TotalSeconds:0.#} s)") +
                (snapshot.Failure is { } failure ? ": " + failure.Description : string.Empty));
        }

        if (snapshot.ReadFailure is { } reads && !reasons.Contains(reads))
        {
            // Reads failing for most of the last minute (the cache's own window): a service that reads more than it
            // writes is not healthy by its writes alone.
            reasons.Add(reads);
        }

        if (snapshot.OldestPendingAge > thresholds.LagThreshold)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"the oldest pending write is {snapshot.OldestPendingAge.TotalSeconds:0.#} s old (threshold {thresholds.LagThreshold.TotalSeconds:0.#} s)"));
        }

        return reasons.Count > 0
            ? HealthCheckResult.Degraded($"Cache '{name}' is degraded: {string.Join("; ", reasons.Select(reason => reason.TrimEnd('.')))}.", data: data)
            : HealthCheckResult.Healthy($"Cache '{name}' is running: {statistics.PendingEntries} entries pending.", data);
    }

    private static Dictionary<string, object> Data(CacheHealthSnapshot snapshot, CacheStatistics statistics) => new()
    {
        ["pendingEntries"] = statistics.PendingEntries,
        ["pendingBytes"] = statistics.PendingBytes,
        ["failedKeys"] = statistics.FailedKeys,
        ["shardRestarts"] = statistics.ShardRestarts,
        ["writerRestarts"] = statistics.WriterRestarts,
        ["oldestPendingAgeSeconds"] = snapshot.OldestPendingAge.TotalSeconds,
        ["storeFailingForSeconds"] = snapshot.StoreFailingFor?.TotalSeconds ?? 0.0,
    };
}
