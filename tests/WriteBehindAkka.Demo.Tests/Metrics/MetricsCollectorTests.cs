using System.Diagnostics.Metrics;
using WriteBehindAkka.Demo.Metrics;

namespace WriteBehindAkka.Demo.Tests.Metrics;

public sealed class MetricsCollectorTests
{
    [Fact]
    public void Collect_CountersGaugesAndHistograms_AggregatePerTagSet()
    {
        string meterName = "test." + Guid.NewGuid().ToString("N");
        using var meter = new Meter(meterName);
        using var collector = new MetricsCollector(meterName);
        var counter = meter.CreateCounter<long>("c", "{write}");
        var histogram = meter.CreateHistogram<double>("h", "s");
        long observed = 7;
        meter.CreateObservableUpDownCounter("g", () => new Measurement<long>(observed, new KeyValuePair<string, object?>("cache", "a")));

        counter.Add(2, new KeyValuePair<string, object?>("cache", "a"));
        counter.Add(3, new KeyValuePair<string, object?>("cache", "a"));
        counter.Add(10, new KeyValuePair<string, object?>("cache", "b"));
        histogram.Record(0.004);
        histogram.Record(0.2);
        histogram.Record(99);
        var first = collector.Collect();
        observed = 9;
        var second = collector.Collect();

        Assert.Equal(
            [("c", "a", 5.0), ("c", "b", 10.0), ("g", "a", 7.0), ("h", null, 99.204)],
            first.Select(p => (p.Instrument, p.Tag("cache"), Math.Round(p.Value, 6))));
        var h = first.Single(p => p.Instrument == "h");
        Assert.Equal((InstrumentKind.Histogram, 3L), (h.Kind, h.Count));
        Assert.Equal([0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1], h.BucketCounts);
        Assert.Equal(9.0, second.Single(p => p.Instrument == "g").Value);
    }

    [Fact]
    public void Collect_HistogramWithAdvisedBuckets_UsesThem()
    {
        // The journal's fsync histogram advises buckets from 0.1 ms: with the collector's own (from 1 ms) every
        // fsync of an SSD fell in the first one.
        string meterName = "test." + Guid.NewGuid().ToString("N");
        using var meter = new Meter(meterName);
        using var collector = new MetricsCollector(meterName);
        var histogram = meter.CreateHistogram("h", "s", null, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.0005, 0.001] });

        histogram.Record(0.00005);
        histogram.Record(0.0003);
        histogram.Record(0.0003);
        histogram.Record(2);
        var h = Assert.Single(collector.Collect());

        Assert.Equal([0.0001, 0.0005, 0.001], h.Bounds);
        Assert.Equal([1, 2, 0, 1], h.BucketCounts);
    }
}
