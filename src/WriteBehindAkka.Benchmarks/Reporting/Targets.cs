using System.Globalization;
using WriteBehindAkka.Benchmarks.Contenders;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>Checks the issue's targets against the medians of one suite run: ratios of contenders measured side by side.</summary>
internal static class Targets
{
    public static readonly string WriteBehind = new WriteBehindContender().Name;
    public static readonly string WriteThrough = new WriteThroughContender().Name;
    public static readonly string UpsertUnnest = new UpsertCeilingContender(PostgreSqlBatchForm.Unnest).Name;
    public static readonly string UpsertCopy = new UpsertCeilingContender(PostgreSqlBatchForm.Copy).Name;
    public static readonly string CopyRaw = new CopyCeilingContender().Name;
    public static readonly string JournalAlways = new WriteBehindContender(JournalMode.Always).Name;
    public static readonly string JournalEverySecond = new WriteBehindContender(JournalMode.EverySecond).Name;
    public static readonly string BacklogDrain = new BacklogDrainContender().Name;

    /// <summary>Issue 5: the journal at Always acknowledges at least this many writes/s ...</summary>
    public const double JournalAlwaysWrites = 300_000;

    /// <summary>... with an ack p99 under this (µs).</summary>
    public const double JournalAlwaysP99Us = 5_000;

    /// <summary>Issue 5: the journal at EverySecond acknowledges at least this share of the writes/s without the journal.</summary>
    public const double JournalEverySecondShare = 0.8;

    /// <summary>Backlog above which the drain counts as limited by the database rather than by the writers.</summary>
    public const long SaturatedBacklog = 10_000;

    /// <summary>Backlog at stop from which the drain after the writers stop lasts long enough to give a pace.</summary>
    public const long DrainBacklog = 50_000;

    public static List<TargetCheck> Evaluate(IReadOnlyList<WorkloadResult> workloads, MemoryResult? memory)
    {
        var checks = new List<TargetCheck>();
        foreach (var w in workloads)
        {
            var wb = w.Find(WriteBehind);
            var wt = w.Find(WriteThrough);
            string name = w.Workload.Name;
            double best = new[] { w.Find(UpsertUnnest), w.Find(UpsertCopy) }
                .Where(c => c is { Runs.Count: > 0 })
                .Select(c => c!.Of(Figure.RowsPerSecond).Median)
                .DefaultIfEmpty(double.NaN)
                .Max();
            checks.AddRange(JournalChecks(w, wb));
            var behind = wb is { Runs.Count: > 0 } ? wb : null;
            if (behind is not null)
            {
                double wbAcks = behind.Of(Figure.WritesPerSecond).Median;
                if (wt is { Runs.Count: > 0 })
                {
                    double throughAcks = wt.Of(Figure.WritesPerSecond).Median;
                    double ratio = Share(wbAcks, throughAcks);
                    double? threshold = w.Workload.Name.StartsWith("uniform-1M", StringComparison.Ordinal) ? 100
                        : w.Workload.Name.StartsWith("zipf", StringComparison.Ordinal) ? 300 : null;
                    checks.Add(new TargetCheck(
                        threshold is { } t ? $"acked writes/s >= {t:0}x write-through" : "acked writes/s vs write-through (no target)",
                        name,
                        ratio,
                        Fmt.Ratio(ratio),
                        threshold is { } t2 && !double.IsNaN(ratio) ? ratio >= t2 : null,
                        double.IsNaN(ratio) ? NoBaseline("write-through", throughAcks, "acknowledged writes/s") : null));
                }

                if (!double.IsNaN(best))
                {
                    double drain = Share(behind.Of(Figure.RowsPerSecond).Median, best);
                    double backlog = behind.Of(Figure.MaxBacklog).Median;
                    bool saturated = backlog >= SaturatedBacklog;
                    checks.Add(new TargetCheck(
                        "sustained drain >= 90% of the best batched upsert",
                        name,
                        drain,
                        Fmt.Percent(drain),
                        saturated && !double.IsNaN(drain) ? drain >= 0.9 : null,
                        double.IsNaN(drain) ? NoBaseline("the best batched upsert", best, "rows/s")
                        : saturated
                            ? string.Create(CultureInfo.InvariantCulture, $"database-bound: backlog up to {backlog:N0} entries")
                            : string.Create(CultureInfo.InvariantCulture, $"not database-bound (backlog at most {backlog:N0} entries): the writers, not PostgreSQL, set the pace, so the drain cannot show its ceiling here")));

                    double drainRate = behind.Of(Figure.DrainRowsPerSecond).Median;
                    double afterStop = Share(drainRate, best);
                    double atStop = behind.Of(Figure.BacklogAtStop).Median;
                    if (!double.IsNaN(drainRate))
                    {
                        bool large = atStop >= DrainBacklog;
                        checks.Add(new TargetCheck(
                            "drain after the writers stop >= 90% of the best batched upsert",
                            name,
                            afterStop,
                            Fmt.Percent(afterStop),
                            large && !double.IsNaN(afterStop) ? afterStop >= 0.9 : null,
                            double.IsNaN(afterStop) ? NoBaseline("the best batched upsert", best, "rows/s") : string.Create(CultureInfo.InvariantCulture, $"backlog of {atStop:N0} entries at stop{(large ? string.Empty : $", too small to measure a pace (under {DrainBacklog:N0})")}; the cache's pipeline alone, with the CPU the ceilings had")));
                    }
                }
            }

            if (BacklogDrainCheck(w, best) is { } backlogCheck)
            {
                checks.Add(backlogCheck);
            }

            if (behind is not null)
            {
                double p99 = behind.Of(Figure.AckP99).Median;
                checks.Add(new TargetCheck("ack p99 < 1 ms (no journal)", name, p99, Fmt.Micros(p99), p99 < 1000, null));
            }
        }

        // The journal checks come after the others of their workload in the table.
        if (memory is { OtherBytesPerEntry: < 0 })
        {
            // The parts measured on their own (value array, entry, table) exceed the whole: the heap baseline moved
            // during the measurement, so the figure cannot be trusted either way.
            checks.Add(new TargetCheck(
                "memory per pending entry <= 150 bytes beyond key and value",
                string.Create(CultureInfo.InvariantCulture, $"{memory.Entries:N0} entries, {memory.ValueBytes}-byte values"),
                memory.OverheadBytesPerEntry,
                memory.OverheadBytesPerEntry.ToString("0", CultureInfo.InvariantCulture) + " B",
                null,
                string.Create(CultureInfo.InvariantCulture, $"not trusted: the parts measured alone add up to more than the whole ({memory.OtherBytesPerEntry:0} B left for the rest); run it alone: --contenders none --memory-entries {memory.Entries}")));
        }
        else if (memory is not null)
        {
            // Checked on what one more entry costs; the average over all the entries also carries the lanes' bounded
            // buffers and in-flight batches, a fixed cost that grows with Parallelism, not with the entries.
            double perEntry = memory.MarginalOverheadBytesPerEntry ?? memory.OverheadBytesPerEntry;
            checks.Add(new TargetCheck(
                "memory per pending entry <= 150 bytes beyond key and value",
                string.Create(CultureInfo.InvariantCulture, $"{memory.Entries:N0} entries, {memory.ValueBytes}-byte values"),
                perEntry,
                perEntry.ToString("0", CultureInfo.InvariantCulture) + " B",
                perEntry <= 150,
                memory.MarginalOverheadBytesPerEntry is null
                    ? string.Create(CultureInfo.InvariantCulture, $"{memory.HeapBytesPerEntry:0} B on the heap per entry; {memory.ValueArrayHeaderBytes} B of the overhead is the byte[] header and padding of the value itself")
                    : string.Create(CultureInfo.InvariantCulture, $"each entry past the first half; {memory.OverheadBytesPerEntry:0} B on average over all of them, which includes {memory.FixedBytes / (1024 * 1024):0.0} MiB of the lanes' bounded buffers and batches; {memory.ValueArrayHeaderBytes} B of the overhead is the byte[] header and padding of the value itself")));
        }

        return [.. checks.Where(c => !c.Target.StartsWith("journal", StringComparison.Ordinal)), .. checks.Where(c => c.Target.StartsWith("journal", StringComparison.Ordinal))];
    }

    /// <summary>
    /// A figure as a share of its baseline; NaN (no verdict) when either is missing or the baseline is not above zero:
    /// a baseline of 0 would make any figure an infinite ratio that meets every target.
    /// </summary>
    internal static double Share(double value, double baseline) =>
        double.IsFinite(value) && double.IsFinite(baseline) && baseline > 0 ? value / baseline : double.NaN;

    private static string NoBaseline(string baseline, double measured, string unit) => double.IsNaN(measured)
        ? $"no baseline: {baseline} has no {unit} figure, so the ratio cannot be taken"
        : string.Create(CultureInfo.InvariantCulture, $"no baseline: {baseline} measured {measured:0.#} {unit}, so the ratio cannot be taken");

    /// <summary>
    /// The backlog drain against the best batched upsert of the workload (null when either did not run); no verdict for a
    /// drain shorter than <see cref="BacklogDrainContender.MinimumSeconds"/>.
    /// </summary>
    private static TargetCheck? BacklogDrainCheck(WorkloadResult w, double best)
    {
        if (w.Find(BacklogDrain) is not { Runs.Count: > 0 } drain || double.IsNaN(best))
        {
            return null;
        }

        double rate = drain.Of(Figure.RowsPerSecond).Median;
        double share = Share(rate, best);
        double seconds = drain.Of(Figure.Drain).Median;
        bool paced = seconds >= BacklogDrainContender.MinimumSeconds;
        return new TargetCheck(
            "backlog drain >= 90% of the best batched upsert",
            w.Workload.Name,
            share,
            Fmt.Percent(share),
            paced && !double.IsNaN(share) ? share >= 0.9 : null,
            double.IsNaN(share) ? NoBaseline("the best batched upsert", best, "rows/s") : string.Create(CultureInfo.InvariantCulture, $"a backlog of {drain.Of(Figure.BacklogAtStop).Median:N0} entries committed in {seconds:0.00} s with no caller writing, as the ceilings run: {Fmt.Rate(rate)} against {Fmt.Rate(best)} rows/s{(paced ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; under {BacklogDrainContender.MinimumSeconds:0} s, too short to give a pace (the workload has too few keys for a longer backlog)"))}"));
    }

    /// <summary>Issue 5's journal targets: Always (every run of it, at each concurrency) and EverySecond against no journal.</summary>
    private static IEnumerable<TargetCheck> JournalChecks(WorkloadResult w, ContenderResult? noJournal)
    {
        string name = w.Workload.Name;
        foreach (var always in w.Contenders.Where(c => c.Name.StartsWith(JournalAlways, StringComparison.Ordinal) && c.Runs.Count > 0))
        {
            double acks = always.Of(Figure.WritesPerSecond).Median;
            double p99 = always.Of(Figure.AckP99).Median;
            double perFsync = always.Of(Figure.WritesPerFsync).Median;
            int? callers = always.Runs[0].Callers;
            int bulkAt = always.Name.IndexOf(", bulk ", StringComparison.Ordinal);
            string bulk = bulkAt < 0 ? string.Empty : always.Name[bulkAt..]; // ", bulk 64": SetManyAsync, 64 writes a call
            yield return new TargetCheck(
                string.Create(CultureInfo.InvariantCulture, $"journal Always{(callers is { } c ? $", {c} callers" : string.Empty)}{bulk}: acked writes/s >= {JournalAlwaysWrites / 1000:0}k with ack p99 < {JournalAlwaysP99Us / 1000:0} ms"),
                name,
                acks,
                $"{Fmt.Rate(acks)}/s, p99 {Fmt.Micros(p99)}",
                acks >= JournalAlwaysWrites && p99 < JournalAlwaysP99Us,
                string.Create(CultureInfo.InvariantCulture, $"{(acks >= JournalAlwaysWrites ? "rate met" : "rate missed")}, {(p99 < JournalAlwaysP99Us ? "p99 met" : "p99 missed")}; {(double.IsNaN(perFsync) ? "no fsync in the window" : $"{perFsync:0.0} writes per fsync")}"));
        }

        var everySecond = w.Find(JournalEverySecond);
        if (everySecond is { Runs.Count: > 0 } && noJournal is { Runs.Count: > 0 })
        {
            double with = everySecond.Of(Figure.WritesPerSecond).Median;
            double without = noJournal.Of(Figure.WritesPerSecond).Median;
            double share = Share(with, without);
            yield return new TargetCheck(
                string.Create(CultureInfo.InvariantCulture, $"journal EverySecond: acked writes/s >= {JournalEverySecondShare:0%} of no journal"),
                name,
                share,
                Fmt.Percent(share),
                double.IsNaN(share) ? null : share >= JournalEverySecondShare,
                double.IsNaN(share) ? NoBaseline("write-behind without the journal", without, "acknowledged writes/s") : $"{Fmt.Rate(with)} against {Fmt.Rate(without)} acked writes/s");
        }
    }
}
