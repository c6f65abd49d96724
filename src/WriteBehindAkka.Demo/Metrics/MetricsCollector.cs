using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace WriteBehindAkka.Demo.Metrics;

/// <summary>
/// Listens to the given meters in process with a <see cref="MeterListener"/> (no exporter package needed) and keeps
/// counters' sums, gauges' current values and histograms' buckets, for <c>/metrics</c> and the page.
/// </summary>
public sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _collect = new();

    /// <summary>Starts listening.</summary>
    /// <param name="meterNames">The meters to collect, for example <c>WriteBehindAkka</c>.</param>
    public MetricsCollector(params string[] meterNames)
    {
        var meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument, _instruments.GetOrAdd(instrument, i => new InstrumentState(i)));
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _);
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Polls the observable instruments and returns every series, sorted by instrument name.</summary>
    /// <returns>The series.</returns>
    public IReadOnlyList<MetricPoint> Collect()
    {
        lock (_collect)
        {
            foreach (var state in _instruments.Values)
            {
                state.ClearObserved();
            }

            _listener.RecordObservableInstruments();
            var points = new List<MetricPoint>();
            foreach (var state in _instruments.Values.OrderBy(s => s.Instrument.Name, StringComparer.Ordinal))
            {
                foreach (var stream in state.Streams)
                {
                    var (value, count, buckets) = stream.Read();
                    var tags = stream.Tags
                        .Select(t => new KeyValuePair<string, string>(t.Key, Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? string.Empty))
                        .OrderBy(t => t.Key, StringComparer.Ordinal)
                        .ToArray();
                    points.Add(new MetricPoint(state.Instrument.Name, state.Instrument.Unit, state.Instrument.Description, state.Kind, tags, value, count, state.Bounds, buckets));
                }
            }

            return points;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
