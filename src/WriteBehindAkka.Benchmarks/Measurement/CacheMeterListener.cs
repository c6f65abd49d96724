using System.Diagnostics.Metrics;
using WriteBehindAkka.Diagnostics;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// Listens to one cache's metrics on the <see cref="WriteBehindMetrics.MeterName"/> meter:
/// <c>writebehind.rows.committed</c>, <c>writebehind.batches.committed</c> and the journal's
/// <c>writebehind.journal.sync.duration</c> as they are recorded, and the <c>writebehind.pending.entries</c> gauge
/// whenever <see cref="PendingEntries"/> is read (the sampler reads it every 100 ms). Only those instruments are
/// enabled, so the per-write counters cost nothing extra.
/// </summary>
internal sealed class CacheMeterListener : IDisposable
{
    private readonly string _cache;
    private readonly MeterListener _listener = new();
    private long _rows;
    private long _batches;
    private long _pending;

    public CacheMeterListener(string cacheName)
    {
        _cache = cacheName;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == WriteBehindMetrics.MeterName
                && instrument.Name is "writebehind.rows.committed" or "writebehind.batches.committed" or "writebehind.pending.entries" or "writebehind.journal.sync.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.SetMeasurementEventCallback<double>(OnSync);
        _listener.Start();
    }

    /// <summary>The journal's group fsync durations (nanoseconds) inside the measured window.</summary>
    public WindowedHistogram FsyncDurations { get; } = new();

    /// <summary>Rows this cache has committed.</summary>
    public long RowsCommitted => Volatile.Read(ref _rows);

    public long BatchesCommitted => Volatile.Read(ref _batches);

    /// <summary>Observes the pending-entries gauge now and returns this cache's value.</summary>
    public long PendingEntries
    {
        get
        {
            lock (_listener)
            {
                _listener.RecordObservableInstruments();
                return Volatile.Read(ref _pending);
            }
        }
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (!IsOurs(tags))
        {
            return;
        }

        switch (instrument.Name)
        {
            case "writebehind.rows.committed":
                Interlocked.Add(ref _rows, value);
                break;
            case "writebehind.batches.committed":
                Interlocked.Add(ref _batches, value);
                break;
            case "writebehind.pending.entries":
                Volatile.Write(ref _pending, value);
                break;
        }
    }

    private void OnSync(Instrument instrument, double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (instrument.Name == "writebehind.journal.sync.duration" && IsOurs(tags))
        {
            FsyncDurations.Record((long)(seconds * 1e9));
        }
    }

    private bool IsOurs(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "writebehind.cache")
            {
                return tag.Value is string name && name == _cache;
            }
        }

        return false;
    }

    public void Dispose() => _listener.Dispose();
}
