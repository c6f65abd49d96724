using System.Diagnostics;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// Every 100 ms, reads the run's counters (writes, rows, backlog, lag samples, working set) and keeps a point of the
/// time series. Runs from the start of warm-up until the end of the drain after the window.
/// </summary>
internal sealed class TimeSeriesSampler : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly RunControl _control;
    private readonly Func<long> _writes;
    private readonly Func<long> _rows;
    private readonly Func<long?> _backlog;
    private readonly LagTracker? _lag;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TimeSample> _samples = [];
    private readonly Task _loop;
    private double _lastSeconds;
    private long _lastWrites;
    private long _lastRows;
    private long _lastGcIndex = GC.GetGCMemoryInfo(GCKind.Any).Index;

    public TimeSeriesSampler(RunControl control, Func<long> writes, Func<long> rows, Func<long?> backlog, LagTracker? lag)
    {
        _control = control;
        _writes = writes;
        _rows = rows;
        _backlog = backlog;
        _lag = lag;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>The largest backlog seen.</summary>
    public long? MaxBacklog { get; private set; }

    /// <summary>
    /// The longest pause of one garbage collection that ended inside the measured window, in milliseconds (null:
    /// none seen). Read from the last collection at each sample, so with two collections in one 100 ms interval
    /// only the later one counts.
    /// </summary>
    public double? MaxGcPauseMs { get; private set; }

    /// <summary>The largest working set seen.</summary>
    public long PeakWorkingSet { get; private set; }

    public IReadOnlyList<TimeSample> Samples => _samples;

    /// <summary>Takes one sample now (also used for the last point).</summary>
    private void Sample()
    {
        double now = _control.Elapsed;
        long writes = _writes();
        long rows = _rows();
        long? backlog = _backlog();
        using var process = Process.GetCurrentProcess();
        long workingSet = process.WorkingSet64;
        double dt = Math.Max(1e-6, now - _lastSeconds);
        var lags = _lag?.DrainInterval();
        double? p50 = lags is { Count: > 0 } ? Percentiles.Median(lags) : null;
        double? max = lags is { Count: > 0 } ? lags.Max() : null;
        _samples.Add(new TimeSample(Math.Round(now, 3), (writes - _lastWrites) / dt, (rows - _lastRows) / dt, backlog, p50, max, workingSet));
        _lastSeconds = now;
        _lastWrites = writes;
        _lastRows = rows;
        if (backlog is { } b)
        {
            MaxBacklog = Math.Max(MaxBacklog ?? 0, b);
        }

        PeakWorkingSet = Math.Max(PeakWorkingSet, workingSet);
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        if (gc.Index != _lastGcIndex)
        {
            _lastGcIndex = gc.Index;
            if (_control.Measuring)
            {
                double pause = 0;
                foreach (var p in gc.PauseDurations)
                {
                    pause += p.TotalMilliseconds;
                }

                MaxGcPauseMs = Math.Max(MaxGcPauseMs ?? 0, pause);
            }
        }
    }

    private async Task LoopAsync()
    {
        _lastSeconds = _control.Elapsed;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Sample();
        _stop.Dispose();
    }
}
