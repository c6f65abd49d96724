using WriteBehindAkka.Benchmarks.Suite;

namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>One figure of a run, with how to read it and how to print it.</summary>
/// <param name="Key">The JSON name.</param>
/// <param name="Label">The table header.</param>
/// <param name="Read">Reads it from a run; null when it does not apply.</param>
/// <param name="Format">Formats a value for the table.</param>
internal sealed record Figure(string Key, string Label, Func<RunResult, double?> Read, Func<double, string> Format)
{
    public static readonly Figure WritesPerSecond = new("writesPerSecond", "acked writes/s", r => r.WritesPerSecond, Fmt.Rate);
    public static readonly Figure AckP50 = new("ackP50Us", "ack p50", r => r.AckP50Us, Fmt.Micros);
    public static readonly Figure AckP99 = new("ackP99Us", "ack p99", r => r.AckP99Us, Fmt.Micros);
    public static readonly Figure AckP999 = new("ackP999Us", "ack p99.9", r => r.AckP999Us, Fmt.Micros);
    public static readonly Figure RowsPerSecond = new("rowsPerSecond", "rows/s to PG", r => r.RowsPerSecond, Fmt.Rate);
    public static readonly Figure LagP50 = new("lagP50Ms", "lag p50", r => r.LagP50Ms, Fmt.Millis);
    public static readonly Figure LagP99 = new("lagP99Ms", "lag p99", r => r.LagP99Ms, Fmt.Millis);
    public static readonly Figure MaxBacklog = new("maxBacklog", "max backlog", r => r.MaxBacklog, Fmt.Count);
    public static readonly Figure Coalescing = new("coalescingRatio", "rows/writes", r => r.CoalescingRatio, v => v.ToString("0.000", Fmt.Culture));
    public static readonly Figure Cpu = new("cpuSecondsPerMillion", "CPU s/M", r => r.CpuSecondsPerMillion, v => v.ToString("0.00", Fmt.Culture));
    public static readonly Figure ServerCpu = new("serverCpuSecondsPerMillion", "PG CPU s/M", r => r.ServerCpuSecondsPerMillion, v => v.ToString("0.00", Fmt.Culture));
    public static readonly Figure PeakWorkingSet = new("peakWorkingSetBytes", "peak WS", r => r.PeakWorkingSetBytes, Fmt.Bytes);
    public static readonly Figure Drain = new("drainSeconds", "drain", r => r.DrainSeconds, v => v.ToString("0.0", Fmt.Culture) + " s");
    public static readonly Figure BacklogAtStop = new("backlogAtStop", "backlog at stop", r => r.BacklogAtStop, Fmt.Count);
    public static readonly Figure DrainRowsPerSecond = new("drainRowsPerSecond", "drain rows/s", r => r.DrainRowsPerSecond, Fmt.Rate);
    public static readonly Figure AllocatedPerWrite = new("allocatedBytesPerWrite", "alloc B/write", r => r.AllocatedBytesPerWrite, v => v.ToString("0", Fmt.Culture));
    public static readonly Figure GcPause = new("gcPausePercent", "GC pause", r => r.GcPausePercent, v => v.ToString("0.0", Fmt.Culture) + "%");
    public static readonly Figure MaxGcPause = new("maxGcPauseMs", "longest GC pause", r => r.MaxGcPauseMs, Fmt.Millis);
    public static readonly Figure ReadsPerSecond = new("readsPerSecond", "reads/s", r => r.ReadsPerSecond, Fmt.Rate);
    public static readonly Figure ReadP99 = new("readP99Us", "read p99", r => r.ReadP99Us, Fmt.Micros);
    public static readonly Figure FsyncsPerSecond = new("fsyncsPerSecond", "fsyncs/s", r => r.FsyncsPerSecond, Fmt.Rate);
    public static readonly Figure WritesPerFsync = new("writesPerFsync", "writes/fsync", r => r.WritesPerFsync, v => v < 1000 ? v.ToString("0.0", Fmt.Culture) : Fmt.Count(v));
    public static readonly Figure FsyncP50 = new("fsyncP50Us", "fsync p50", r => r.FsyncP50Us, Fmt.Micros);
    public static readonly Figure FsyncP99 = new("fsyncP99Us", "fsync p99", r => r.FsyncP99Us, Fmt.Micros);
    public static readonly Figure FsyncMax = new("fsyncMaxUs", "longest fsync", r => r.FsyncMaxUs, Fmt.Micros);
    public static readonly Figure JournalAtStop = new("journalBytesAtStop", "journal at stop", r => r.JournalBytesAtStop, Fmt.Bytes);
    public static readonly Figure JournalAtEnd = new("journalBytesAtEnd", "journal after drain", r => r.JournalBytesAtEnd, Fmt.Bytes);
    public static readonly Figure MeanBatch = new("meanBatchRows", "rows/batch", r => r.MeanBatchRows, Fmt.Count);

    /// <summary>Every figure, in table order.</summary>
    public static readonly IReadOnlyList<Figure> All =
    [
        WritesPerSecond, AckP50, AckP99, AckP999, RowsPerSecond, LagP50, LagP99, MaxBacklog, Coalescing, Cpu, ServerCpu, PeakWorkingSet, AllocatedPerWrite, GcPause, MaxGcPause, Drain, BacklogAtStop, DrainRowsPerSecond, MeanBatch, ReadsPerSecond, ReadP99,
        FsyncsPerSecond, WritesPerFsync, FsyncP50, FsyncP99, FsyncMax, JournalAtStop, JournalAtEnd,
    ];
}
