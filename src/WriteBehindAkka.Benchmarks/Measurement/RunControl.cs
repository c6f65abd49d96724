using System.Diagnostics;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>The phase of one run, shared by its workers: warm-up, measured window, stop.</summary>
internal sealed class RunControl
{
    private volatile bool _measuring;
    private volatile bool _stopping;

    /// <summary>Whether the measured window is open: workers record latencies only then.</summary>
    public bool Measuring => _measuring;

    /// <summary>Whether workers should finish the operation in hand and return.</summary>
    public bool Stopping => _stopping;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the run's start: the time series counts from here.</summary>
    public long StartedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>Seconds since the start of the run.</summary>
    public double Elapsed => Stopwatch.GetElapsedTime(StartedAt).TotalSeconds;

    public double? WindowStart { get; private set; }

    public double? WindowEnd { get; private set; }

    public double? StopAt { get; private set; }

    public void OpenWindow()
    {
        WindowStart = Elapsed;
        _measuring = true;
    }

    public void CloseWindow()
    {
        _measuring = false;
        WindowEnd = Elapsed;
    }

    public void Stop()
    {
        _measuring = false;
        StopAt = Elapsed;
        _stopping = true;
    }

    public static double ToNanoseconds(long stopwatchTicks) => stopwatchTicks * (1e9 / Stopwatch.Frequency);
}
