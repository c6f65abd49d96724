using System.Diagnostics;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// Database lag (ack to commit) from sampled writes: a worker issues one write in N at
/// <c>WriteConsistency.Committed</c> without waiting, and a continuation records the time from issue to commit.
/// Keeps a histogram of the samples issued inside the measured window, and the samples of each 100 ms interval
/// for the time series. Thread-safe (continuations run on pool threads).
/// </summary>
internal sealed class LagTracker
{
    private readonly object _gate = new();
    private readonly LatencyHistogram _window = new();
    private List<double> _interval = [];

    /// <summary>Lag of the samples issued inside the measured window, in nanoseconds.</summary>
    public LatencyHistogram Window
    {
        get
        {
            lock (_gate)
            {
                var copy = new LatencyHistogram();
                copy.Add(_window);
                return copy;
            }
        }
    }

    /// <summary>Records a sample: issued at <paramref name="issuedAt"/> (a Stopwatch timestamp), committed now.</summary>
    public void Record(long issuedAt, bool inWindow)
    {
        long lagNs = (long)RunControl.ToNanoseconds(Stopwatch.GetTimestamp() - issuedAt);
        lock (_gate)
        {
            if (inWindow)
            {
                _window.Record(lagNs);
            }

            _interval.Add(lagNs / 1e6);
        }
    }

    /// <summary>Returns (and forgets) the lags in milliseconds of the samples committed since the last call.</summary>
    public List<double> DrainInterval()
    {
        lock (_gate)
        {
            var drained = _interval;
            _interval = [];
            return drained;
        }
    }
}
