using System.Globalization;
using System.Runtime.InteropServices;
using WriteBehindAkka.Benchmarks.Reporting;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>
/// Runs every contender on every workload against one database, repetitions interleaved (rep 1 of every contender,
/// then rep 2, ...) so that a noisy neighbour hits all contenders alike, printing one line per run.
/// </summary>
internal sealed class SuiteRunner
{
    private readonly BenchDatabase _db;
    private readonly SuiteSettings _settings;
    private readonly IReadOnlyList<IContender> _contenders;
    private readonly TextWriter _progress;

    public SuiteRunner(BenchDatabase db, SuiteSettings settings, IReadOnlyList<IContender> contenders, TextWriter progress)
    {
        _db = db;
        _settings = settings;
        _contenders = contenders;
        _progress = progress;
    }

    public async Task<SuiteResult> RunAsync(IReadOnlyList<WorkloadSpec> workloads, CancellationToken cancellationToken)
    {
        var result = new SuiteResult
        {
            StartedAt = DateTimeOffset.Now,
            Machine = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["processors"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
                ["os"] = RuntimeInformation.OSDescription,
                ["runtime"] = RuntimeInformation.FrameworkDescription,
                ["gc"] = System.Runtime.GCSettings.IsServerGC ? "server" : "workstation",
                ["host"] = Environment.MachineName,
            },
            Database = new Dictionary<string, string>(await _db.DescribeAsync(cancellationToken).ConfigureAwait(false), StringComparer.Ordinal) { ["origin"] = _db.Origin },
            Settings = _settings,
        };

        // First, on a fresh heap: after the contenders, pooled buffers they left behind are trimmed while the
        // probe measures, which moves its baseline.
        if (_settings.MemoryEntries > 0)
        {
            result.Memory = await MemoryProbe.MeasureAsync(_settings.MemoryEntries, _settings.Parallelism, cancellationToken).ConfigureAwait(false);
            _progress.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"== memory: {result.Memory.Entries:N0} pending entries of {result.Memory.ValueBytes}-byte values: {result.Memory.HeapBytesPerEntry:0} B/entry on the heap, {result.Memory.OverheadBytesPerEntry:0} B beyond key and value{(result.Memory.MarginalOverheadBytesPerEntry is { } marginal ? $"; {marginal:0} B for each entry past the first half" : " (too few entries to tell what each one costs from what the lanes hold)")}"));
        }

        foreach (var workload in workloads)
        {
            var zipf = KeyStream.SamplerFor(workload);
            var workloadResult = new WorkloadResult { Workload = workload };
            result.Workloads.Add(workloadResult);
            _progress.WriteLine($"== {workload.Name}: {workload.Describe()}");
            var runnable = new List<(IContender Contender, ContenderResult Result)>();
            foreach (var contender in _contenders)
            {
                string? unavailable = contender.Unavailable ?? contender.SkipOn(workload);
                var contenderResult = new ContenderResult { Name = contender.Name, Kind = contender.Kind, Description = contender.Description, Unavailable = unavailable };
                workloadResult.Contenders.Add(contenderResult);
                if (unavailable is not null)
                {
                    _progress.WriteLine($"   {contender.Name}: {unavailable}");
                    continue;
                }

                await contender.PrepareAsync(new RunContext(workload, zipf, _db, _settings, 0, cancellationToken)).ConfigureAwait(false);
                runnable.Add((contender, contenderResult));
            }

            for (int rep = 1; rep <= _settings.Repetitions; rep++)
            {
                foreach (var (contender, contenderResult) in runnable)
                {
                    var run = await contender.RunAsync(new RunContext(workload, zipf, _db, _settings, rep, cancellationToken)).ConfigureAwait(false);
                    contenderResult.Runs.Add(run);
                    _progress.WriteLine(Describe(workload, contender, rep, run));
                    foreach (var share in run.AllocationProfile ?? [])
                    {
                        _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      alloc {share.BytesPerWrite,8:0.0} B/write  {share.Type}"));
                    }

                    if (VerificationFailure(workload.Name, contender.Name, contender.Kind, rep, run) is { } failure)
                    {
                        result.VerificationFailures.Add(failure);
                        _progress.WriteLine($"!! VERIFICATION FAILED: {run.Verification}");
                    }
                }
            }
        }

        result.Targets = Targets.Evaluate(result.Workloads, result.Memory);
        result.FinishedAt = DateTimeOffset.Now;
        return result;
    }

    /// <summary>
    /// The line that fails the suite for a run whose table did not match its acknowledged writes, or null. A write
    /// contender's run that was not verified at all fails as one that was and lost a write; ceilings are not verified.
    /// </summary>
    internal static string? VerificationFailure(string workload, string contender, ContenderKind kind, int rep, RunResult run) =>
        kind != ContenderKind.Ceiling && run.Verified != true
            ? $"{workload} / {contender} rep {rep}: {run.Verification ?? "not verified"}"
            : null;

    private string Describe(WorkloadSpec workload, IContender contender, int rep, RunResult run)
    {
        var parts = new List<string>();
        if (contender.Kind == ContenderKind.Drain)
        {
            return string.Create(
                CultureInfo.InvariantCulture,
                $"   [{workload.Name}] {contender.Name} rep {rep}/{_settings.Repetitions}: a backlog of {Fmt.Count(run.BacklogAtStop ?? 0)} entries committed in {run.DrainSeconds:0.00} s, {Fmt.Rate(run.RowsPerSecond)} rows/s, {run.MeanBatchRows:0} rows/batch, CPU {run.CpuSecondsPerMillion:0.00} s/M rows (PostgreSQL {run.ServerCpuSecondsPerMillion:0.00}), GC pause {run.GcPausePercent:0.0}%, {(run.Verified == true ? "verified" : "NOT VERIFIED")}");
        }

        if (contender.Kind != ContenderKind.Ceiling)
        {
            parts.Add($"{Fmt.Rate(run.WritesPerSecond)} acked writes/s");
            if (run.AckP99Us is { } p99)
            {
                parts.Add($"ack p50 {Fmt.Micros(run.AckP50Us ?? double.NaN)} p99 {Fmt.Micros(p99)}");
            }
        }

        parts.Add($"{Fmt.Rate(run.RowsPerSecond)} rows/s");
        if (contender.Kind == ContenderKind.WriteBehind)
        {
            parts.Add($"lag p50 {Fmt.Millis(run.LagP50Ms ?? double.NaN)} p99 {Fmt.Millis(run.LagP99Ms ?? double.NaN)}");
            parts.Add($"backlog max {Fmt.Count(run.MaxBacklog ?? 0)}");
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"rows/writes {run.CoalescingRatio:0.000}"));
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"drain {run.DrainSeconds:0.0} s"));
        }

        if (run.FsyncsPerSecond is { } fsyncs)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{fsyncs:0} fsyncs/s ({(run.WritesPerFsync is { } perFsync ? perFsync.ToString("0.0", CultureInfo.InvariantCulture) : "—")} writes/fsync), journal {Fmt.Bytes(run.JournalBytesAtStop ?? 0)} at stop"));
            if (run.FsyncP99Us is { } fsyncP99)
            {
                parts.Add($"fsync p50 {Fmt.Micros(run.FsyncP50Us ?? double.NaN)} p99 {Fmt.Micros(fsyncP99)} longest {Fmt.Micros(run.FsyncMaxUs ?? double.NaN)}");
            }
        }

        if (run.ReadsPerSecond is { } reads)
        {
            parts.Add($"{Fmt.Rate(reads)} reads/s");
        }

        parts.Add(string.Create(CultureInfo.InvariantCulture, $"CPU {run.CpuSecondsPerMillion:0.00} s/M, GC pause {run.GcPausePercent:0.0}%{(run.MaxGcPauseMs is { } longest ? $" (longest {longest:0} ms)" : string.Empty)}"));
        if (run.Verification is not null)
        {
            parts.Add(run.Verified == true ? "verified" : "NOT VERIFIED");
        }

        return $"   [{workload.Name}] {contender.Name} rep {rep}/{_settings.Repetitions}: {string.Join(", ", parts)}";
    }
}
