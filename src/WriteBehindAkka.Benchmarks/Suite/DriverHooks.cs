using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>What a contender tells the load driver beyond its workers' own counters.</summary>
internal sealed class DriverHooks
{
    /// <summary>Rows committed so far; null to sum the workers' <see cref="WorkerStats.Rows"/>.</summary>
    public Func<long>? Rows { get; init; }

    /// <summary>Entries written but not committed; null when the contender has no backlog.</summary>
    public Func<long?>? Backlog { get; init; }

    /// <summary>The lag samples, when the contender has a lag.</summary>
    public LagTracker? Lag { get; init; }

    /// <summary>Runs after the workers stopped: commits the backlog (timed as the drain).</summary>
    public Func<Task>? Drain { get; init; }

    /// <summary>The journal's fsyncs so far, when the contender has a journal.</summary>
    public Func<long>? Fsyncs { get; init; }

    /// <summary>The journal's group fsync durations, kept while the window is open, when the contender has a journal.</summary>
    public WindowedHistogram? FsyncDurations { get; init; }

    /// <summary>The journal's bytes on disk, when the contender has a journal.</summary>
    public Func<long>? JournalBytes { get; init; }

    /// <summary>The mean rows per committed batch, when known.</summary>
    public Func<double?>? MeanBatchRows { get; init; }
}
