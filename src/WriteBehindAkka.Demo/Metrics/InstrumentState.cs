using System.Diagnostics.Metrics;

namespace WriteBehindAkka.Demo.Metrics;

/// <summary>What the collector keeps per instrument: its kind, bucket bounds and one stream per set of tags.</summary>
internal sealed class InstrumentState
{
    private static readonly double[] SecondBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
    private static readonly double[] DefaultBounds = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    private readonly Lock _gate = new();

    /// <summary>The streams; replaced (never changed) when one is added, so readers need no lock.</summary>
    private MetricStream[] _streams = [];

    public InstrumentState(Instrument instrument)
    {
        Instrument = instrument;
        var definition = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
        Kind = definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>) ? InstrumentKind.Counter
            : definition == typeof(Histogram<>) ? InstrumentKind.Histogram
            : InstrumentKind.Gauge;
        SetsValue = instrument.IsObservable || definition == typeof(Gauge<>);
        Bounds = Kind != InstrumentKind.Histogram ? [] : AdvisedBounds(instrument) ?? (instrument.Unit == "s" ? SecondBounds : DefaultBounds);
    }

    public Instrument Instrument { get; }

    public InstrumentKind Kind { get; }

    /// <summary>Gets a value indicating whether each measurement is the whole value (observable instruments, gauges), not an increment.</summary>
    public bool SetsValue { get; }

    public IReadOnlyList<double> Bounds { get; }

    public MetricStream[] Streams => Volatile.Read(ref _streams);

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var stream = Find(tags) ?? Add(tags);
        if (Kind == InstrumentKind.Histogram)
        {
            stream.Observe(value);
        }
        else if (SetsValue)
        {
            stream.Set(value);
        }
        else
        {
            stream.Add(value); // Counter, UpDownCounter: increments
        }
    }

    /// <summary>Forgets the observable streams before a collection, so that a series whose source is gone disappears.</summary>
    public void ClearObserved()
    {
        if (Instrument.IsObservable)
        {
            lock (_gate)
            {
                Volatile.Write(ref _streams, []);
            }
        }
    }

    /// <summary>The bucket bounds the instrument advises exporters to use (the journal's fsync histogram's start at 0.1 ms), if any.</summary>
    private static double[]? AdvisedBounds(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { Count: > 0 } bounds } => [.. bounds],
        Histogram<int> { Advice.HistogramBucketBoundaries: { Count: > 0 } bounds } => [.. bounds.Select(b => (double)b)],
        Histogram<long> { Advice.HistogramBucketBoundaries: { Count: > 0 } bounds } => [.. bounds.Select(b => (double)b)],
        _ => null,
    };

    private MetricStream? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var stream in Streams)
        {
            if (stream.Matches(tags))
            {
                return stream;
            }
        }

        return null;
    }

    private MetricStream Add(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_gate)
        {
            if (Find(tags) is { } existing)
            {
                return existing;
            }

            var stream = new MetricStream(tags.ToArray(), Bounds);
            Volatile.Write(ref _streams, [.. _streams, stream]);
            return stream;
        }
    }
}
