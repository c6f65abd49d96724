using System.Globalization;
using System.Text;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Options;

namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>The closing report on stdout: per workload a Markdown table of medians, then ranges, the targets and the memory figure.</summary>
internal static class TableWriter
{
    private static readonly Figure[] Columns =
    [
        Figure.WritesPerSecond, Figure.AckP50, Figure.AckP99, Figure.AckP999, Figure.RowsPerSecond, Figure.LagP50, Figure.LagP99,
        Figure.MaxBacklog, Figure.DrainRowsPerSecond, Figure.Coalescing, Figure.Cpu, Figure.ServerCpu, Figure.AllocatedPerWrite, Figure.GcPause, Figure.MaxGcPause, Figure.PeakWorkingSet,
    ];

    /// <summary>How the reason of a contender skipped on a workload starts: listed under the table instead of as a row.</summary>
    private const string NotRun = "not run:";

    private static readonly Figure[] JournalColumns = [Figure.FsyncsPerSecond, Figure.WritesPerFsync, Figure.FsyncP50, Figure.FsyncP99, Figure.FsyncMax, Figure.JournalAtStop];

    private static readonly Figure[] RangeColumns = [Figure.WritesPerSecond, Figure.RowsPerSecond, Figure.AckP99, Figure.LagP99];

    public static string Render(SuiteResult result)
    {
        var text = new StringBuilder();
        var s = result.Settings;
        text.AppendLine(CultureInfo.InvariantCulture, $"WriteBehindAkka standard suite, {result.StartedAt:yyyy-MM-dd HH:mm zzz}: {result.Machine["processors"]} cores, {result.Machine["runtime"]}, PostgreSQL {result.Database.GetValueOrDefault("server_version")} ({result.Database.GetValueOrDefault("origin")}, fsync={result.Database.GetValueOrDefault("fsync")}, synchronous_commit={result.Database.GetValueOrDefault("synchronous_commit")}, shared_buffers={result.Database.GetValueOrDefault("shared_buffers")})");
        text.AppendLine(CultureInfo.InvariantCulture, $"{s.Repetitions} repetitions x ({s.Warmup.TotalSeconds:0.#} s warm-up + {s.Duration.TotalSeconds:0.#} s measured), {s.Concurrency} concurrent callers (write-through: {s.Concurrency} connections), ceilings: {s.CeilingWriters} writers x {s.CeilingBatch:N0}-row batches, write-behind: Parallelism {s.Parallelism ?? new WriteBehindOptions().Parallelism}{(s.Parallelism is null ? " (the default)" : string.Empty)}. Medians over the repetitions.");
        text.AppendLine();
        foreach (var w in result.Workloads)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"### {w.Workload.Name}: {w.Workload.Describe()}");
            text.AppendLine();
            var columns = w.Workload.ReadPercent > 0 ? [.. Columns, Figure.ReadsPerSecond, Figure.ReadP99] : Columns;
            if (w.Contenders.Any(c => c.Runs.Any(r => r.FsyncsPerSecond is not null)))
            {
                columns = [.. columns, .. JournalColumns];
            }
            text.AppendLine("| contender | " + string.Join(" | ", columns.Select(c => c.Label)) + " |");
            text.AppendLine("|---|" + string.Concat(columns.Select(_ => "---:|")));
            var notRun = w.Contenders.Where(c => c.Unavailable?.StartsWith(NotRun, StringComparison.Ordinal) == true).ToList();
            foreach (var c in w.Contenders.Except(notRun))
            {
                if (c.Unavailable is not null)
                {
                    text.AppendLine($"| {c.Name} | {c.Unavailable} |" + string.Concat(columns.Skip(1).Select(_ => " |")));
                    continue;
                }

                text.AppendLine($"| {c.Name} | " + string.Join(" | ", columns.Select(f => Cell(c, f))) + " |");
            }

            foreach (var reason in notRun.GroupBy(c => c.Unavailable!))
            {
                text.AppendLine();
                text.AppendLine($"Not run on this workload: {string.Join(", ", reason.Select(c => c.Name))} ({reason.Key[NotRun.Length..].Trim()}).");
            }

            if (s.Repetitions > 1)
            {
                text.AppendLine();
                text.AppendLine("Ranges (min to max over the repetitions): " + string.Join("; ", w.Contenders.Where(c => c.Runs.Count > 0).Select(c =>
                    $"{c.Name}: " + string.Join(", ", RangeColumns.Where(f => c.Of(f).HasValue && !(f == Figure.WritesPerSecond && c.Kind is ContenderKind.Ceiling or ContenderKind.Drain)).Select(f =>
                    {
                        var spread = c.Of(f);
                        return $"{f.Label} {f.Format(spread.Min)} to {f.Format(spread.Max)}";
                    })))));
            }

            text.AppendLine();
        }

        if (result.Memory is { } m)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Memory: {m.Entries:N0} pending entries ({m.KeyBytes}-byte keys, {m.ValueBytes}-byte values) over a never-committing store: {m.HeapBytesPerEntry:0} bytes per entry on the managed heap, {m.OverheadBytesPerEntry:0} bytes beyond key and value (of which {m.ValueArrayHeaderBytes} are the value's own byte[] header and padding){(m.MarginalOverheadBytesPerEntry is { } marginal ? string.Create(CultureInfo.InvariantCulture, $"; each entry past the first half added {marginal:0} bytes beyond key and value, the rest of the average is {m.FixedBytes / (1024 * 1024):0.0} MiB that does not grow with the entries (the lanes' bounded buffers and in-flight batches)") : string.Empty)}.");
            if (m.EntryObjectBytes is { } entry && m.DictionaryBytesPerEntry is { } dictionary)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"Per entry: value byte[] {m.ValueArrayHeaderBytes + m.ValueBytes} B, CacheEntry object {entry:0} B (its key included), shard entry table {dictionary:0} B (a hash set of entries keyed by the entry's own key, with slack from doubling), the rest (ready queue, pipeline buffers, in-flight batches) {m.OtherBytesPerEntry:0} B.");
            }

            text.AppendLine();
        }

        text.AppendLine("| target | workload | measured | met |");
        text.AppendLine("|---|---|---:|---|");
        foreach (var t in result.Targets)
        {
            string met = t.Met switch { true => "met", false => "MISSED", null => "n/a" };
            text.AppendLine($"| {t.Target} | {t.Workload} | {t.Display} | {met}{(t.Note is null ? string.Empty : $" ({t.Note})")} |");
        }

        text.AppendLine();
        text.AppendLine(result.LagMethod);
        if (result.VerificationFailures.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("VERIFICATION FAILED:");
            foreach (var failure in result.VerificationFailures)
            {
                text.AppendLine("  " + failure);
            }
        }
        else if (result.Workloads.Sum(w => w.Contenders.Sum(c => c.Runs.Count(r => r.Verified == true))) is var verified and > 0)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Verification: after every write-behind and write-through run ({verified} runs), every acknowledged write was found in the table at its latest acknowledged version and value."));
        }
        else
        {
            text.AppendLine("Verification: no write-behind or write-through run took place, so no acknowledged write was checked.");
        }

        return text.ToString();
    }

    private static string Cell(ContenderResult c, Figure f)
    {
        if (c.Kind is ContenderKind.Ceiling or ContenderKind.Drain && (f == Figure.WritesPerSecond || f == Figure.LagP50 || f == Figure.LagP99))
        {
            return "—";
        }

        var spread = c.Of(f);
        return spread.HasValue ? f.Format(spread.Median) : "—";
    }
}
