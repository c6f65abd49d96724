using WriteBehindAkka.Benchmarks.Reporting;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>Everything one suite run measured.</summary>
internal sealed class SuiteResult
{
    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; set; }

    public required IReadOnlyDictionary<string, string> Machine { get; init; }

    public required IReadOnlyDictionary<string, string> Database { get; init; }

    public required SuiteSettings Settings { get; init; }

    public string LagMethod { get; } =
        "Lag (ack to commit): one write in LagSampleEvery per caller is issued with SetAsync(key, value, WriteConsistency.Committed) without waiting; " +
        "the lag is the time from issuing it until that call completes (the write, or a later one of the same key, is committed). " +
        "Rows/s and the backlog over time: a MeterListener on writebehind.rows.committed and writebehind.pending.entries, sampled every 100 ms.";

    public List<WorkloadResult> Workloads { get; } = [];

    public MemoryResult? Memory { get; set; }

    public List<TargetCheck> Targets { get; set; } = [];

    /// <summary>Runs whose verification failed, in words; the program exits non-zero when there is any.</summary>
    public List<string> VerificationFailures { get; } = [];
}
