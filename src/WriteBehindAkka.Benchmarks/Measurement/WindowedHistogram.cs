namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// A latency histogram that keeps only what is recorded while the measured window is open (thread-safe: the
/// values come from a meter listener on the cache's threads).
/// </summary>
internal sealed class WindowedHistogram
{
    private readonly Lock _gate = new();
    private LatencyHistogram _window = new();
    private bool _open;

    /// <summary>Records a value in nanoseconds if the window is open.</summary>
    public void Record(long nanoseconds)
    {
        lock (_gate)
        {
            if (_open)
            {
                _window.Record(nanoseconds);
            }
        }
    }

    /// <summary>Forgets what came before and starts keeping values.</summary>
    public void Open()
    {
        lock (_gate)
        {
            _window = new LatencyHistogram();
            _open = true;
        }
    }

    /// <summary>Stops keeping values and returns those recorded since <see cref="Open"/>.</summary>
    public LatencyHistogram Close()
    {
        lock (_gate)
        {
            _open = false;
            return _window;
        }
    }
}
