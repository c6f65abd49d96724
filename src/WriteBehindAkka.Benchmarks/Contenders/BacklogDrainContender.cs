using System.Diagnostics;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Verification;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Options;
using WriteBehindAkka.PostgreSql;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// The cache's sustained drain, measured as the ceilings are: the pipeline committing a backlog while nothing else
/// runs. The cache (default options) sits on the PostgreSQL store behind a <see cref="GatedStore{TKey}"/>; with the
/// gate closed, <c>Concurrency</c> callers write the workload's keys (its reads skipped) until the cache holds
/// <c>DrainEntries</c> pending entries (at most half the workload's keys, and fewer when three quarters of
/// <c>MaxPendingBytes</c> comes first), each key at most once a round (see <see cref="BacklogFill"/>); then
/// the gate opens and the flush is timed. Three rounds per run, the callers' key streams going on from one to the next:
/// the first two warm up the pipeline, the JIT and the table, the third is measured (on a uniform workload it finds
/// about three quarters of its keys in the table; a ceiling's window, from about two fifths at its start to more than
/// four fifths at its end). Every acknowledged
/// write is checked against the table afterwards, as for the other write-behind contenders.
/// </summary>
internal sealed class BacklogDrainContender : IContender
{
    private const string Table = "bench_backlog_drain";

    /// <summary>Rounds before the measured one, so that it finds the table much as a ceiling's window does: rows to update and keys to insert, dead versions to prune.</summary>
    private const int WarmRounds = 2;

    public string Name => "write-behind, backlog drain";

    public ContenderKind Kind => ContenderKind.Drain;

    /// <summary>The shortest measured drain that gives a pace: shorter ones are mostly the first batches' start and the last ones' tail.</summary>
    public const double MinimumSeconds = 1.0;

    public string Description =>
        "WriteBehindAkka, default WriteBehindOptions, PostgreSqlStore (unnest): a backlog written while the store held every batch back, then committed with no caller writing (the flush timed)";

    public string? Unavailable => null;

    public Task PrepareAsync(RunContext context) => context.Database.CreateTableAsync(Table, indexed: true, context.Cancellation);

    /// <summary>
    /// The backlog a round fills up to: <paramref name="wanted"/> entries, or fewer to stay within three quarters of
    /// the cache's bounds (a write over a bound would wait for commits the closed gate holds back).
    /// </summary>
    public static long TargetBacklog(long wanted, int valueBytes, WriteBehindOptions options) =>
        Math.Max(1, Math.Min(wanted, Math.Min(options.MaxPendingEntries * 3 / 4, options.MaxPendingBytes * 3 / 4 / Math.Max(1, valueBytes))));

    public async Task<RunResult> RunAsync(RunContext context)
    {
        var db = context.Database;
        await db.ResetAsync(Table, context.Cancellation).ConfigureAwait(false);
        var inner = db.Store(Table);
        await using var innerScope = inner.ConfigureAwait(false);
        var store = new GatedStore<long>(inner);
        var options = new WriteBehindOptions();
        if (context.Settings.Parallelism is { } lanes)
        {
            options = options with { Parallelism = lanes };
        }

        string name = $"bench-drain-{context.Workload.Name}-{context.Repetition}-{Guid.NewGuid():N}";
        var cache = new WriteBehindCache<long, byte[]>(store, options, ByteArraySerializer.Instance, name: name);
        await using var cacheScope = cache.ConfigureAwait(false);
        using var metrics = new CacheMeterListener(name);
        var ledger = new AckLedger(context.Workload.KeyCount);
        // At most half the key space a round: with the streams going on from round to round, the measured (third) round
        // of a uniform workload whose rounds fill half its keys then finds about three quarters of them in the table
        // (fewer when DrainEntries is under half the keys: with --quick's 200,000 on 1M keys, about a third).
        long target = TargetBacklog(Math.Min(context.Settings.DrainEntries, context.Workload.KeyCount / 2), context.Workload.ValueBytes, options);
        int callers = context.Settings.Concurrency;

        // The streams go on from round to round, as a ceiling's writers' streams go on through its run.
        var fill = new BacklogFill(context.Workload, context.Zipf, context.SeedFor, callers, ledger);

        var server = db.ServerCpu;

        // One round: fill with the gate closed, then open it and time the flush, with the CPU and GC of the flush alone.
        async Task<Round> RoundAsync()
        {
            store.Close();
            await fill.FillAsync(cache, target, options, context.Cancellation).ConfigureAwait(false);
            long backlog = cache.GetStatistics().PendingEntries;
            long workingSet;
            using (var process = Process.GetCurrentProcess())
            {
                workingSet = process.WorkingSet64; // with the whole backlog in memory: the drain's largest
            }

            long rows0 = metrics.RowsCommitted, batches0 = metrics.BatchesCommitted;
            double cpu0 = ProcessCpu.Seconds(), serverCpu0 = server.Seconds();
            var gc0 = GcSnapshot.Take();
            var clock = Stopwatch.StartNew();
            store.Open();
            var flushed = await cache.FlushAsync(context.Cancellation).ConfigureAwait(false);
            double seconds = clock.Elapsed.TotalSeconds;
            if (!flushed.AllCommitted)
            {
                throw new InvalidOperationException($"The flush of the backlog reported {flushed.FailedWrites} failed keys.");
            }

            return new Round(
                backlog,
                metrics.RowsCommitted - rows0,
                metrics.BatchesCommitted - batches0,
                seconds,
                ProcessCpu.Seconds() - cpu0,
                server.Seconds() - serverCpu0,
                GcSnapshot.Take() - gc0,
                workingSet);
        }

        for (int warm = 0; warm < WarmRounds; warm++)
        {
            await RoundAsync().ConfigureAwait(false);
        }

        var round = await RoundAsync().ConfigureAwait(false);
        var verification = Verifier.Verify(ledger, await db.SnapshotAsync(Table, context.Workload.KeyCount, context.Cancellation).ConfigureAwait(false));
        double perMillion = Math.Max(1, round.Rows) / 1e6;
        return new RunResult
        {
            Repetition = context.Repetition,
            WindowSeconds = round.Seconds,
            Writes = round.Rows,
            Rows = round.Rows,
            RowsPerSecond = round.Rows / round.Seconds,
            MaxBacklog = round.Backlog,
            BacklogAtStop = round.Backlog,
            DrainSeconds = round.Seconds,
            DrainRowsPerSecond = round.Rows / round.Seconds,
            MeanBatchRows = round.Batches == 0 ? null : (double)round.Rows / round.Batches,
            CpuSecondsPerMillion = round.CpuSeconds / perMillion,
            ServerCpuSecondsPerMillion = server.Available ? round.ServerCpuSeconds / perMillion : null,
            GcPausePercent = round.Gc.PauseSeconds / round.Seconds * 100,
            AllocatedBytesPerWrite = round.Gc.AllocatedBytes / (double)Math.Max(1, round.Rows),
            PeakWorkingSetBytes = round.WorkingSet,
            GcCollections = $"{round.Gc.Gen0}/{round.Gc.Gen1}/{round.Gc.Gen2}",
            Callers = callers,
            Verified = verification.Passed,
            Verification = verification.ToString(),
        };
    }

    private sealed record Round(long Backlog, long Rows, long Batches, double Seconds, double CpuSeconds, double ServerCpuSeconds, GcSnapshot Gc, long WorkingSet);
}
