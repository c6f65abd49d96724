using WriteBehindAkka.Demo.Load;

namespace WriteBehindAkka.Demo.Metrics;

/// <summary>Everything the page shows, from <c>GET /api/stats?since=...</c>.</summary>
/// <param name="Cache">The cache's name.</param>
/// <param name="SampleIntervalMs">How often samples are taken.</param>
/// <param name="LagSource">Where the lag numbers come from.</param>
/// <param name="Health">The health checks.</param>
/// <param name="Load">The load generator.</param>
/// <param name="Totals">Counters since start.</param>
/// <param name="Samples">Samples newer than <c>since</c>, oldest first.</param>
public sealed record StatsView(string Cache, double SampleIntervalMs, string LagSource, HealthView Health, LoadStatus Load, LiveTotals Totals, IReadOnlyList<LiveSample> Samples);
