using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using WriteBehindAkka.Demo.Load;
using WriteBehindAkka.Hosting;

namespace WriteBehindAkka.Demo.Metrics;

/// <summary><c>/metrics</c> (Prometheus text) and <c>/api/stats</c> (the page's numbers).</summary>
internal static class MetricsEndpoints
{
    public static void MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (MetricsCollector collector) => Results.Text(PrometheusFormatter.Format(collector.Collect()), PrometheusFormatter.ContentType));
        app.MapGet("/api/stats", StatsAsync);
    }

    private static async Task<IResult> StatsAsync(
        long? since,
        LiveStats stats,
        LoadGenerator load,
        HealthCheckService health,
        IOptions<DemoOptions> options,
        CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(check => check.Tags.Contains(WriteBehindServiceCollectionExtensions.HealthCheckTag), cancellationToken);
        var checks = report.Entries.Select(e => new HealthCheckView(e.Key, e.Value.Status.ToString(), e.Value.Description)).ToArray();
        return TypedResults.Ok(new StatsView(
            DemoHost.CacheName,
            options.Value.SampleInterval.TotalMilliseconds,
            stats.LagSource,
            new HealthView(report.Status.ToString(), checks),
            load.Status(),
            stats.Totals,
            stats.Since(since ?? 0)));
    }
}
