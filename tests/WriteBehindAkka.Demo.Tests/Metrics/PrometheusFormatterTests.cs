using WriteBehindAkka.Demo.Metrics;

namespace WriteBehindAkka.Demo.Tests.Metrics;

public sealed class PrometheusFormatterTests
{
    [Theory]
    [InlineData("writebehind.rows.committed", "{row}", InstrumentKind.Counter, "writebehind_rows_committed_total")]
    [InlineData("writebehind.commit.duration", "s", InstrumentKind.Histogram, "writebehind_commit_duration_seconds")]
    [InlineData("writebehind.pending.bytes", "By", InstrumentKind.Gauge, "writebehind_pending_bytes")]
    [InlineData("writebehind.pending.entries", "{entry}", InstrumentKind.Gauge, "writebehind_pending_entries")]
    [InlineData("writebehind.lag", "s", InstrumentKind.Gauge, "writebehind_lag_seconds")]
    [InlineData("http-server.request.count", null, InstrumentKind.Counter, "http_server_request_count_total")]
    public void MetricName_OpenTelemetryInstrument_FollowsThePrometheusExporterConvention(string instrument, string? unit, InstrumentKind kind, string expected) =>
        Assert.Equal(expected, PrometheusFormatter.MetricName(instrument, unit, kind));

    [Fact]
    public void Format_CounterGaugeAndHistogram_WritesTheTextFormat()
    {
        KeyValuePair<string, string>[] tags = [new("writebehind.cache", "sc\"ores")];
        var points = new[]
        {
            new MetricPoint("writebehind.batch.size", "{row}", "Records per batch.", InstrumentKind.Histogram, tags, 12, 3, [1, 10], [1, 1, 1]),
            new MetricPoint("writebehind.pending.entries", "{entry}", "Pending.", InstrumentKind.Gauge, tags, 4, 0, [], []),
            new MetricPoint("writebehind.rows.committed", "{row}", "Rows.", InstrumentKind.Counter, tags, 1.5, 0, [], []),
        };

        string text = PrometheusFormatter.Format(points);

        Assert.Equal(
            """
            # HELP writebehind_batch_size Records per batch.
            # TYPE writebehind_batch_size histogram
            writebehind_batch_size_bucket{writebehind_cache="sc\"ores",le="1"} 1
            writebehind_batch_size_bucket{writebehind_cache="sc\"ores",le="10"} 2
            writebehind_batch_size_bucket{writebehind_cache="sc\"ores",le="+Inf"} 3
            writebehind_batch_size_sum{writebehind_cache="sc\"ores"} 12
            writebehind_batch_size_count{writebehind_cache="sc\"ores"} 3
            # HELP writebehind_pending_entries Pending.
            # TYPE writebehind_pending_entries gauge
            writebehind_pending_entries{writebehind_cache="sc\"ores"} 4
            # HELP writebehind_rows_committed_total Rows.
            # TYPE writebehind_rows_committed_total counter
            writebehind_rows_committed_total{writebehind_cache="sc\"ores"} 1.5

            """.ReplaceLineEndings("\n"),
            text);
    }
}
