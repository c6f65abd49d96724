using WriteBehindAkka.Benchmarks.Cli;
using WriteBehindAkka.Benchmarks.Contenders;
using WriteBehindAkka.Benchmarks.Reporting;
using WriteBehindAkka.PostgreSql;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>The default command: runs the suite and writes the table, the JSON and the chart.</summary>
internal static class StandardSuite
{
    /// <summary>The default callers of the extra high-concurrency journal: Always contenders.</summary>
    public static readonly IReadOnlyList<int> DefaultJournalCallers = [256, 512];

    /// <summary>The writes per <c>SetManyAsync</c> call of the bulk journal: Always contender.</summary>
    public const int BulkSize = 64;

    /// <summary>The contenders, in table order.</summary>
    public static IReadOnlyList<IContender> Contenders(IReadOnlyList<int>? journalCallers = null, bool journalOnAllWorkloads = false)
    {
        var list = new List<IContender>
        {
            new CopyCeilingContender(),
            new UpsertCeilingContender(PostgreSqlBatchForm.Unnest),
            new UpsertCeilingContender(PostgreSqlBatchForm.Copy),
            new WriteThroughContender(),
            new WriteBehindContender(),
            new WriteBehindContender(update: true),
            new BacklogDrainContender(),
            new WriteBehindContender(JournalMode.Always, journalOnAllWorkloads: journalOnAllWorkloads),
        };
        foreach (int callers in journalCallers ?? DefaultJournalCallers)
        {
            list.Add(new WriteBehindContender(JournalMode.Always, callers, journalOnAllWorkloads));
        }

        // Always with the callers making their writes 64 at a time: one fsync wait per call instead of one per write.
        list.Add(new WriteBehindContender(JournalMode.Always, journalOnAllWorkloads: journalOnAllWorkloads, bulk: BulkSize));
        list.Add(new WriteBehindContender(JournalMode.EverySecond, journalOnAllWorkloads: journalOnAllWorkloads));
        list.Add(new WriteBehindContender(JournalMode.No, journalOnAllWorkloads: journalOnAllWorkloads));
        return list;
    }

    /// <summary>The files a run writes into its output folder.</summary>
    public static readonly IReadOnlyList<string> OutputFiles = ["results.json", "chart.svg", "results.md"];

    /// <summary>
    /// Why the run must not write into <paramref name="output"/> (it holds an earlier run's results and
    /// <paramref name="overwrite"/> is not set), or null when it may.
    /// </summary>
    public static string? CheckOutput(string output, bool overwrite)
    {
        if (File.Exists(output))
        {
            return $"--out: {output} is a file, not a folder: name a folder for results.json, chart.svg and results.md.";
        }

        var earlier = OutputFiles.Where(f => File.Exists(Path.Combine(output, f))).ToList();
        return earlier.Count == 0 || overwrite
            ? null
            : $"--out: {output} already holds {string.Join(", ", earlier)} of an earlier run, which this run would replace. Give another --out folder, or --overwrite to replace them.";
    }

    public static async Task<int> RunAsync(SuiteCommandLine command, CancellationToken cancellationToken)
    {
        var output = Path.GetFullPath(command.OutputDirectory);
        if (CheckOutput(output, command.Overwrite) is { } refused)
        {
            await Console.Error.WriteLineAsync(refused).ConfigureAwait(false);
            return 64;
        }

        var replaced = OutputFiles.Where(f => File.Exists(Path.Combine(output, f))).ToList();
        if (replaced.Count > 0)
        {
            Console.WriteLine($"--overwrite: {string.Join(", ", replaced)} of an earlier run in {output} will be replaced at the end of this run.");
        }

        // Made and written to now, so that a folder the run cannot write is told before the run, not after it.
        try
        {
            Directory.CreateDirectory(output);
            string probe = Path.Combine(output, $".write-test-{Environment.ProcessId}");
            await File.WriteAllTextAsync(probe, string.Empty, cancellationToken).ConfigureAwait(false);
            File.Delete(probe);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"--out: cannot write to {output}: {error.Message}").ConfigureAwait(false);
            return 64;
        }

        var settings = command.Settings;
        Console.WriteLine($"WriteBehindAkka standard suite: {command.Workloads.Count} workloads, {settings.Repetitions} repetitions, {settings.Warmup.TotalSeconds:0.#} s warm-up + {settings.Duration.TotalSeconds:0.#} s measured per run; output in {output}");
        var all = Contenders(settings.JournalCallers, settings.JournalOnAllWorkloads);
        var contenders = all
            .Where(c => command.Contenders.Count == 0 || command.Contenders.Any(n => c.Name.StartsWith(n, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        await using var db = await BenchDatabase.OpenAsync(sharedBuffers: "512MB", maxConnections: 200, cancellationToken).ConfigureAwait(false);
        Console.WriteLine($"database: {db.Origin}");
        var runner = new SuiteRunner(db, settings, contenders, Console.Out);
        var result = await runner.RunAsync(command.Workloads, cancellationToken).ConfigureAwait(false);

        string table = TableWriter.Render(result);
        var jsonPath = Path.Combine(output, "results.json");
        var svgPath = Path.Combine(output, "chart.svg");
        var mdPath = Path.Combine(output, "results.md");
        await JsonReportWriter.WriteAsync(result, jsonPath, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(svgPath, SvgChartWriter.Render(result), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(mdPath, table, cancellationToken).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(table);
        Console.WriteLine($"JSON: {jsonPath}");
        Console.WriteLine($"chart: {svgPath}");
        Console.WriteLine($"table: {mdPath}");
        if (result.VerificationFailures.Count > 0)
        {
            await Console.Error.WriteLineAsync($"FAILED: {result.VerificationFailures.Count} run(s) lost or left stale an acknowledged write, or had none to check; see above.").ConfigureAwait(false);
        }

        return ExitCode(result);
    }

    /// <summary>2 when a run lost, left stale or could not check an acknowledged write; 0 otherwise.</summary>
    public static int ExitCode(SuiteResult result) => result.VerificationFailures.Count > 0 ? 2 : 0;
}
