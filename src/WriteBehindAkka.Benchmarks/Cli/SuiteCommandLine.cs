using System.Globalization;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Cli;

/// <summary>The standard suite's command line, parsed; every problem is listed in one message.</summary>
internal sealed record SuiteCommandLine(SuiteSettings Settings, string OutputDirectory, IReadOnlyList<WorkloadSpec> Workloads, IReadOnlyList<string> Contenders, bool Help)
{
    /// <summary>Whether results.json, chart.svg and results.md of an earlier run in the output folder may be replaced.</summary>
    public bool Overwrite { get; init; }

    public const string Usage = """
        Usage:
          dotnet run -c Release --project src/WriteBehindAkka.Benchmarks [-- options]     the standard suite
          dotnet run -c Release --project src/WriteBehindAkka.Benchmarks -- micro [BenchmarkDotNet options, e.g. --filter *Routing*]
          dotnet run -c Release --project src/WriteBehindAkka.Benchmarks -- reads     cold reads: GetManyAsync against concurrent GetAsync
          dotnet run -c Release --project src/WriteBehindAkka.Benchmarks -- hits      reads answered from memory under MaxCachedEntries, against an exact LRU

        The suite writes to the PostgreSQL named by WRITEBEHIND_PG_CONNECTION, or to a throwaway local cluster it
        starts with fsync on. Options:
          --out DIR              where results.json, chart.svg and results.md go (default artifacts/bench/<timestamp>/);
                                 a folder that holds them from an earlier run is refused unless --overwrite is given
          --overwrite            replace the results of an earlier run in the --out folder
          --quick                a ~2-minute smoke run: 1 repetition, 0.5 s warm-up, 2 s measured, 100,000 memory entries, a 200,000-entry backlog drain
          --reps N               repetitions per contender and workload (default 3)
          --warmup SECONDS       warm-up of each run (default 2)
          --duration SECONDS     measured window of each run (default 5)
          --concurrency N        concurrent callers of the cache = connections of write-through (default 16)
          --ceiling-batch N      rows per batch of the ceiling contenders (default 10000; fewer for big values, at most 8 MiB of values)
          --ceiling-writers N    concurrent writers of the ceiling contenders, each on its own keys (default 4: of 2-8 measured on 2 cores, the best on 100k keys and as good as 6 on 1M)
          --parallelism N        WriteBehindOptions.Parallelism of the write-behind contenders and the memory probe (default: the cache's default, 4)
          --lag-sample N         one write in N is awaited at WriteConsistency.Committed for the lag (default 100)
          --memory-entries N     pending entries of the memory measurement; 0 skips it (default 500000)
          --drain-entries N      the backlog the backlog-drain contender commits with no caller writing (default 500000;
                                 at most half the workload's keys, and within three quarters of the cache's bounds)
          --workloads A,B        only these workloads (name prefixes): uniform-1M, zipf, uniform-100k-4KiB, mixed
          --alloc-profile        sample allocations by type in each window (runtime AllocationTick events) and print them
          --contenders A,B       only the contenders whose names start so (e.g. write-behind,write-through); all by default;
                                 separate with ';' to name one whose name has commas ("write-behind, journal: Always, 512;")
          --journal-callers N,M  one extra "journal: Always, N callers" contender per count (group commit needs writes in flight); 0: none (default 256,512)
          --journal-workloads W  "default": the journal contenders run on uniform-1M-100B only, to keep the suite short; "all": on every workload
          --help                 this text
        """;

    public static SuiteCommandLine Parse(IReadOnlyList<string> args, DateTimeOffset now)
    {
        var problems = new List<string>();
        bool quick = args.Contains("--quick");
        double warmup = quick ? 0.5 : 2, duration = quick ? 2 : 5;
        int reps = quick ? 1 : 3, concurrency = 16, batch = 10_000, ceilingWriters = 4, lagEvery = 100, memory = quick ? 100_000 : 500_000, drain = quick ? 200_000 : 500_000;
        int? parallelism = null;
        string output = Path.Combine("artifacts", "bench", now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        IReadOnlyList<WorkloadSpec> workloads = WorkloadSpec.Standard;
        bool help = false;
        bool overwrite = false;
        bool allocationProfile = false;
        IReadOnlyList<int>? journalCallers = null;
        bool journalAll = false;
        IReadOnlyList<string> contenders = [];

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string? Value()
            {
                if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    return args[++i];
                }

                problems.Add($"{arg} needs a value.");
                return null;
            }

            switch (arg)
            {
                case "--quick":
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                case "--overwrite":
                    overwrite = true;
                    break;
                case "--out":
                    if (Value() is { } folder)
                    {
                        if (string.IsNullOrWhiteSpace(folder) || folder.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
                        {
                            problems.Add($"--out is '{folder.Replace("\0", "\\0", StringComparison.Ordinal)}': name a folder (it is made if missing).");
                        }
                        else
                        {
                            output = folder;
                        }
                    }

                    break;
                case "--reps":
                    reps = Int(arg, Value(), 1, 100, reps, problems);
                    break;
                case "--concurrency":
                    concurrency = Int(arg, Value(), 1, 1024, concurrency, problems);
                    break;
                case "--ceiling-batch":
                    batch = Int(arg, Value(), 1, 1_000_000, batch, problems);
                    break;
                case "--ceiling-writers":
                    ceilingWriters = Int(arg, Value(), 1, 64, ceilingWriters, problems);
                    break;
                case "--parallelism":
                    parallelism = Int(arg, Value(), 1, 256, 0, problems);
                    break;
                case "--lag-sample":
                    lagEvery = Int(arg, Value(), 1, 1_000_000, lagEvery, problems);
                    break;
                case "--memory-entries":
                    memory = Int(arg, Value(), 0, 50_000_000, memory, problems);
                    break;
                case "--drain-entries":
                    drain = Int(arg, Value(), 1, 50_000_000, drain, problems);
                    break;
                case "--warmup":
                    warmup = Seconds(arg, Value(), 0, warmup, problems);
                    break;
                case "--duration":
                    duration = Seconds(arg, Value(), 0.1, duration, problems);
                    break;
                case "--workloads":
                    if (Value() is { } list)
                    {
                        var picked = new List<WorkloadSpec>();
                        var workloadNames = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        if (workloadNames.Length == 0)
                        {
                            problems.Add($"--workloads names nothing ('{list}'): name one or more of {string.Join(", ", WorkloadSpec.Standard.Select(w => w.Name))}, or leave the option out for all.");
                        }

                        foreach (var name in workloadNames)
                        {
                            var match = WorkloadSpec.Standard.Where(w => w.Name.StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
                            if (match.Count == 0)
                            {
                                problems.Add($"--workloads: no workload starts with '{name}'; the workloads are {string.Join(", ", WorkloadSpec.Standard.Select(w => w.Name))}.");
                            }

                            picked.AddRange(match.Where(m => !picked.Contains(m)));
                        }

                        workloads = picked;
                    }

                    break;
                case "--alloc-profile":
                    allocationProfile = true;
                    break;
                case "--journal-callers":
                    if (Value() is { } callerList)
                    {
                        var counts = callerList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        if (counts.Length == 0)
                        {
                            problems.Add($"--journal-callers names nothing ('{callerList}'): give caller counts such as 256,512, or 0 for none.");
                        }

                        journalCallers = callerList.Trim() == "0"
                            ? []
                            : [.. counts.Select(n => Int(arg, n, 1, 4096, 0, problems)).Where(n => n > 0)];
                    }

                    break;
                case "--journal-workloads":
                    switch (Value())
                    {
                        case "all":
                            journalAll = true;
                            break;
                        case "default" or null:
                            journalAll = false;
                            break;
                        case { } other:
                            problems.Add($"--journal-workloads is '{other}': use 'default' (uniform-1M-100B only) or 'all'.");
                            break;
                    }

                    break;
                case "--contenders":
                    // Names contain commas ("write-behind, journal: Always, 512 callers"): with a ';' in the list, ';' separates.
                    if (Value() is { } names)
                    {
                        contenders = names.Split(names.Contains(';') ? ';' : ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                        if (contenders.Count == 0)
                        {
                            problems.Add($"--contenders names nothing ('{names}'): leave the option out for all the contenders, or give 'none' for the memory probe alone.");
                        }
                    }

                    break;
                case "reads" or "hits" or "micro":
                    problems.Add(i == 0
                        ? $"'{arg}' is a command of its own{(arg == "micro" ? string.Empty : " and takes no options")}: run it alone ('-- {arg}'); the suite's options do not apply to it."
                        : $"'{arg}' is a command: give it first and alone ('-- {arg}'), not among the suite's options.");
                    break;
                default:
                    problems.Add($"Unknown option '{arg}'; see --help.");
                    break;
            }
        }

        // Checked here, with the others, so that a misspelt name is told before a database is started or a folder made.
        var all = StandardSuite.Contenders(journalCallers, journalAll);
        var unknown = contenders
            .Where(n => !n.Equals("none", StringComparison.OrdinalIgnoreCase) && !all.Any(c => c.Name.StartsWith(n, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        if (unknown.Count > 0)
        {
            problems.Add($"--contenders: no contender starts with {string.Join(", ", unknown.Select(n => $"'{n}'"))}; the contenders are {string.Join("; ", all.Select(c => c.Name))} ('none' for the memory probe alone).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("The benchmark's command line is invalid:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", problems));
        }

        var settings = new SuiteSettings(TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(duration), reps, concurrency, batch, ceilingWriters, lagEvery, memory, allocationProfile, journalCallers, journalAll, parallelism, drain);
        return new SuiteCommandLine(settings, output, workloads, contenders, help) { Overwrite = overwrite };
    }

    private static int Int(string name, string? text, int min, int max, int fallback, List<string> problems)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is '{text}': use a whole number from {min} to {max}."));
            return fallback;
        }

        return value;
    }

    private static double Seconds(string name, string? text, double min, double fallback, List<string> problems)
    {
        if (text is null)
        {
            return fallback;
        }

        // Written so that NaN, which every comparison calls false, is refused too.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= 3600))
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} is '{text}': use seconds from {min} to 3600."));
            return fallback;
        }

        return value;
    }
}
