using Microsoft.Extensions.Options;

namespace WriteBehindAkka.Demo.Metrics;

/// <summary>
/// Samples the collected metrics of the demo's cache every <see cref="DemoOptions.SampleInterval"/>: writes/s and rows/s
/// from the counters, the backlog from the pending-entries gauge, and the database lag from core's
/// <c>writebehind.lag</c> gauge, or else the mean of <c>writebehind.commit.lag</c> over the interval, or else an
/// estimate (backlog divided by rows/s) when the core in use publishes neither.
/// </summary>
public sealed class LiveStatsSampler : BackgroundService
{
    private readonly MetricsCollector _collector;
    private readonly LiveStats _stats;
    private readonly TimeSpan _interval;
    private readonly string _cache;
    private readonly TimeProvider _time;

    public LiveStatsSampler(MetricsCollector collector, LiveStats stats, IOptions<DemoOptions> options, TimeProvider time)
    {
        _collector = collector;
        _stats = stats;
        _interval = options.Value.SampleInterval;
        _cache = DemoHost.CacheName;
        _time = time;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var previous = Read();
        long previousAt = _time.GetTimestamp();
        double lag = 0;
        using var timer = new PeriodicTimer(_interval, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var current = Read();
            long now = _time.GetTimestamp();
            double seconds = Math.Max(_time.GetElapsedTime(previousAt, now).TotalSeconds, 1e-6);
            double writesPerSecond = (current.Totals.WritesAccepted - previous.Totals.WritesAccepted) / seconds;
            double rowsPerSecond = (current.Totals.RowsCommitted - previous.Totals.RowsCommitted) / seconds;
            string source;
            if (current.Lag is { } gauge)
            {
                (lag, source) = (gauge, "writebehind.lag");
            }
            else if (current.CommitLagCount > previous.CommitLagCount)
            {
                lag = (current.CommitLagSum - previous.CommitLagSum) / (current.CommitLagCount - previous.CommitLagCount);
                source = "writebehind.commit.lag";
            }
            else
            {
                // Little's law: time in the queue = backlog / drain rate; with nothing draining, the lag grows with the clock.
                lag = current.Backlog == 0 ? 0 : rowsPerSecond > 0 ? current.Backlog / rowsPerSecond : lag + seconds;
                source = "estimate (backlog / rows per second)";
            }

            _stats.Add(new LiveSample(_time.GetUtcNow().ToUnixTimeMilliseconds(), writesPerSecond, rowsPerSecond, current.Backlog, lag), current.Totals, source);
            previous = current;
            previousAt = now;
        }
    }

    private Reading Read()
    {
        double Sum(IEnumerable<MetricPoint> points, string instrument) =>
            points.Where(p => p.Instrument == instrument).Sum(p => p.Value);

        var points = _collector.Collect().Where(p => p.Tag("writebehind.cache") == _cache).ToList();
        var totals = new LiveTotals(
            Sum(points, "writebehind.writes.accepted"),
            Sum(points, "writebehind.writes.coalesced"),
            Sum(points, "writebehind.writes.rejected"),
            Sum(points, "writebehind.writes.failed"),
            Sum(points, "writebehind.rows.committed"),
            Sum(points, "writebehind.batches.committed"),
            Sum(points, "writebehind.retries"));
        var lagGauge = points.FirstOrDefault(p => p.Instrument == "writebehind.lag");
        var commitLag = points.FirstOrDefault(p => p.Instrument == "writebehind.commit.lag");
        return new Reading(
            totals,
            (long)Sum(points, "writebehind.pending.entries"),
            lagGauge?.Value,
            commitLag?.Value ?? 0,
            commitLag?.Count ?? 0);
    }

    private sealed record Reading(LiveTotals Totals, long Backlog, double? Lag, double CommitLagSum, long CommitLagCount);
}
