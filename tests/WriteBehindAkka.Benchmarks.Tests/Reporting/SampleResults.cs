using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Reporting;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Tests.Reporting;

/// <summary>A small suite result made up for the report writers' tests.</summary>
internal static class SampleResults
{
    public const string JournalSkipped = "not run: the journal contenders run on uniform-1M-100B only (--journal-workloads all runs them on every workload)";

    /// <summary>
    /// The sample; <paramref name="withJournal"/> adds journal contenders with runs (Always at 16 and 256 callers,
    /// EverySecond); <paramref name="drainSeconds"/> adds a backlog drain of 104k rows/s (the best upsert's median is
    /// 115k) whose drains lasted that long.
    /// </summary>
    public static SuiteResult Create(string workloadName = "zipf0.99-100k-100B", bool withJournal = false, double? drainSeconds = null)
    {
        var result = new SuiteResult
        {
            StartedAt = new DateTimeOffset(2026, 11, 22, 6, 0, 0, TimeSpan.Zero),
            Machine = new Dictionary<string, string> { ["processors"] = "2", ["runtime"] = ".NET 10" },
            Database = new Dictionary<string, string> { ["server_version"] = "15.18", ["fsync"] = "on", ["origin"] = "test" },
            Settings = new SuiteSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 2, 16, 10_000, 2, 100, 1000),
        };
        var workload = new WorkloadResult { Workload = new WorkloadSpec(workloadName, 100_000, 100, KeyDistribution.Zipf, 0.99, 0) };
        result.Workloads.Add(workload);

        var ceiling = new ContenderResult { Name = Targets.UpsertUnnest, Kind = ContenderKind.Ceiling, Description = "ceiling" };
        ceiling.Runs.Add(Run(1, writes: 0, rows: 120_000, lag: null, backlog: null));
        ceiling.Runs.Add(Run(2, writes: 0, rows: 110_000, lag: null, backlog: null));
        var through = new ContenderResult { Name = Targets.WriteThrough, Kind = ContenderKind.WriteThrough, Description = "write-through" };
        through.Runs.Add(Run(1, writes: 1_000, rows: 1_000, lag: 0, backlog: null));
        through.Runs.Add(Run(2, writes: 2_000, rows: 2_000, lag: 0, backlog: null));
        var behind = new ContenderResult { Name = Targets.WriteBehind, Kind = ContenderKind.WriteBehind, Description = "write-behind" };
        behind.Runs.Add(Run(1, writes: 400_000, rows: 100_000, lag: 250, backlog: 50_000));
        behind.Runs.Add(Run(2, writes: 500_000, rows: 110_000, lag: double.NaN, backlog: 60_000));
        var journal = new ContenderResult { Name = "write-behind, journal: No", Kind = ContenderKind.WriteBehind, Description = "journal", Unavailable = JournalSkipped };
        workload.Contenders.AddRange([ceiling, through, behind, journal]);
        if (withJournal)
        {
            // Always, 16 callers: 100k writes/s, 2,000 fsyncs/s; Always, 256 callers: 320k writes/s at p99 800 µs; EverySecond: 380k against 450k.
            var always = new ContenderResult { Name = Targets.JournalAlways, Kind = ContenderKind.WriteBehind, Description = "journal Always" };
            always.Runs.Add(Run(1, writes: 100_000, rows: 50_000, lag: 300, backlog: 20_000) with { Callers = 16, FsyncsPerSecond = 2_000, WritesPerFsync = 50, JournalBytesAtStop = 40L << 20 });
            var wide = new ContenderResult { Name = Targets.JournalAlways + ", 256 callers", Kind = ContenderKind.WriteBehind, Description = "journal Always, 256 callers" };
            wide.Runs.Add(Run(1, writes: 320_000, rows: 60_000, lag: 300, backlog: 20_000) with { Callers = 256, FsyncsPerSecond = 1_000, WritesPerFsync = 320, FsyncP50Us = 250, FsyncP99Us = 1_800, FsyncMaxUs = 12_500, JournalBytesAtStop = 80L << 20 });
            var everySecond = new ContenderResult { Name = Targets.JournalEverySecond, Kind = ContenderKind.WriteBehind, Description = "journal EverySecond" };
            everySecond.Runs.Add(Run(1, writes: 380_000, rows: 60_000, lag: 300, backlog: 20_000) with { Callers = 16, FsyncsPerSecond = 1, WritesPerFsync = 380_000, JournalBytesAtStop = 90L << 20 });
            var bulk = new ContenderResult { Name = Targets.JournalAlways + ", bulk 64", Kind = ContenderKind.WriteBehind, Description = "journal Always, bulk 64" };
            bulk.Runs.Add(Run(1, writes: 200_000, rows: 60_000, lag: 300, backlog: 20_000) with { Callers = 16, FsyncsPerSecond = 600, WritesPerFsync = 333, JournalBytesAtStop = 80L << 20 });
            workload.Contenders.AddRange([always, wide, bulk, everySecond]);
        }

        if (drainSeconds is { } seconds)
        {
            var drain = new ContenderResult { Name = Targets.BacklogDrain, Kind = ContenderKind.Drain, Description = "backlog drain" };
            drain.Runs.Add(Run(1, writes: 0, rows: 104_000, lag: null, backlog: 200_000) with { DrainSeconds = seconds, BacklogAtStop = 200_000, DrainRowsPerSecond = 104_000 });
            drain.Runs.Add(Run(2, writes: 0, rows: 104_000, lag: null, backlog: 200_000) with { DrainSeconds = seconds, BacklogAtStop = 200_000, DrainRowsPerSecond = 104_000 });
            workload.Contenders.Add(drain);
        }

        result.Memory = new MemoryResult(1000, 8, 100, 300, 192, 28, "test");
        result.Targets = Targets.Evaluate(result.Workloads, result.Memory);
        return result;
    }

    private static RunResult Run(int rep, double writes, double rows, double? lag, long? backlog) => new()
    {
        Repetition = rep,
        WindowSeconds = 2,
        Writes = (long)(writes * 2),
        WritesPerSecond = writes,
        AckP50Us = writes > 0 ? 12 : null,
        AckP99Us = writes > 0 ? 800 : null,
        AckP999Us = writes > 0 ? 2500 : null,
        Rows = (long)(rows * 2),
        RowsPerSecond = rows,
        LagP50Ms = lag,
        LagP99Ms = lag * 2,
        MaxBacklog = backlog,
        CoalescingRatio = writes > 0 ? rows / writes : 1,
        CpuSecondsPerMillion = 3.5,
        ServerCpuSecondsPerMillion = double.NaN,
        PeakWorkingSetBytes = 150L << 20,
        WindowStart = 1,
        WindowEnd = 3,
        Series =
        [
            new TimeSample(0.1, writes, rows, backlog, lag, lag, 100L << 20),
            new TimeSample(1.5, writes * 1.1, 0, backlog, null, null, 120L << 20),
            new TimeSample(3.2, 0, rows, 0, lag, lag * 3, 140L << 20),
        ],
    };
}
