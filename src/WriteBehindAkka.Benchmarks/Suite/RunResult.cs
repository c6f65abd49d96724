using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>Every figure of one run (one repetition of one contender on one workload). Null: does not apply.</summary>
internal sealed record RunResult
{
    public int Repetition { get; init; }

    public double WindowSeconds { get; init; }

    /// <summary>Writes acknowledged inside the window (ceilings: rows sent in committed batches).</summary>
    public long Writes { get; init; }

    public double WritesPerSecond { get; init; }

    public double? AckP50Us { get; init; }

    public double? AckP99Us { get; init; }

    public double? AckP999Us { get; init; }

    public double? AckMaxUs { get; init; }

    public double? ReadsPerSecond { get; init; }

    public double? ReadP50Us { get; init; }

    public double? ReadP99Us { get; init; }

    /// <summary>Rows committed to PostgreSQL inside the window.</summary>
    public long Rows { get; init; }

    public double RowsPerSecond { get; init; }

    public double? LagP50Ms { get; init; }

    public double? LagP99Ms { get; init; }

    public double? LagMaxMs { get; init; }

    public long? LagSamples { get; init; }

    /// <summary>The largest number of entries written but not committed.</summary>
    public long? MaxBacklog { get; init; }

    /// <summary>Rows written to the database / writes acknowledged, over the whole run (warm-up and drain included).</summary>
    public double? CoalescingRatio { get; init; }

    /// <summary>CPU seconds of this process per million writes acknowledged inside the window.</summary>
    public double? CpuSecondsPerMillion { get; init; }

    /// <summary>CPU seconds of the PostgreSQL server per million writes acknowledged (local cluster only).</summary>
    public double? ServerCpuSecondsPerMillion { get; init; }

    public long PeakWorkingSetBytes { get; init; }

    /// <summary>Managed bytes allocated by this process per write acknowledged inside the window (everything: callers, cache, pipeline, Npgsql).</summary>
    public double? AllocatedBytesPerWrite { get; init; }

    /// <summary>Share of the window this process spent paused for garbage collection.</summary>
    public double? GcPausePercent { get; init; }

    /// <summary>The longest single garbage-collection pause seen inside the window, in milliseconds.</summary>
    public double? MaxGcPauseMs { get; init; }

    /// <summary>Collections of generation 0/1/2 inside the window.</summary>
    public string? GcCollections { get; init; }

    /// <summary>Seconds from the end of the window until the backlog was committed (write-behind).</summary>
    public double? DrainSeconds { get; init; }

    /// <summary>Entries written but not committed when the writers stopped.</summary>
    public long? BacklogAtStop { get; init; }

    /// <summary>
    /// Rows committed per second while the backlog drained after the writers stopped: the pipeline's pace with the
    /// whole machine to itself, as the ceilings have it (meaningful when <see cref="BacklogAtStop"/> is large).
    /// </summary>
    public double? DrainRowsPerSecond { get; init; }

    public double? MeanBatchRows { get; init; }

    /// <summary>Concurrent callers of this run (null: the suite's concurrency).</summary>
    public int? Callers { get; init; }

    /// <summary>Journal fsyncs per second inside the window (journal contenders).</summary>
    public double? FsyncsPerSecond { get; init; }

    /// <summary>Writes acknowledged per journal fsync inside the window: what group commit gives.</summary>
    public double? WritesPerFsync { get; init; }

    /// <summary>The journal's group fsync time inside the window (the cache's <c>writebehind.journal.sync.duration</c>), median, p99 and longest, in microseconds.</summary>
    public double? FsyncP50Us { get; init; }

    public double? FsyncP99Us { get; init; }

    public double? FsyncMaxUs { get; init; }

    /// <summary>The journal's bytes on disk when the writers stopped (before the drain).</summary>
    public long? JournalBytesAtStop { get; init; }

    /// <summary>The journal's bytes on disk at the end of the run, after the drain (before the cache is disposed).</summary>
    public long? JournalBytesAtEnd { get; init; }

    /// <summary>With <c>--alloc-profile</c>: sampled allocation by type inside the window, in bytes per write, largest first.</summary>
    public IReadOnlyList<AllocationShare>? AllocationProfile { get; init; }

    public bool? Verified { get; init; }

    public string? Verification { get; init; }

    public double WindowStart { get; init; }

    public double WindowEnd { get; init; }

    public IReadOnlyList<TimeSample> Series { get; init; } = [];
}
