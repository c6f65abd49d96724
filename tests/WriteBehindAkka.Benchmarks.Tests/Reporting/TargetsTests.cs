using WriteBehindAkka.Benchmarks.Reporting;

namespace WriteBehindAkka.Benchmarks.Tests.Reporting;

public class TargetsTests
{
    [Fact]
    public void Evaluate_SampleResult_ComputesRatiosOfTheMedians()
    {
        var checks = Targets.Evaluate(SampleResults.Create().Workloads, null);

        var acks = checks.Single(c => c.Target.StartsWith("acked writes/s", StringComparison.Ordinal));
        Assert.Equal(450_000 / 1_500.0, acks.Measured, 9);
        Assert.Equal(true, acks.Met);
        var drain = checks.Single(c => c.Target.StartsWith("sustained drain", StringComparison.Ordinal));
        Assert.Equal(105_000 / 115_000.0, drain.Measured, 9);
        Assert.Equal(true, drain.Met);
        var p99 = checks.Single(c => c.Target.StartsWith("ack p99", StringComparison.Ordinal));
        Assert.Equal(true, p99.Met);
    }

    [Fact]
    public void Evaluate_Memory_ComparesTheOverheadWith150Bytes()
    {
        var result = SampleResults.Create();

        var memory = Targets.Evaluate(result.Workloads, result.Memory).Single(c => c.Target.StartsWith("memory", StringComparison.Ordinal));

        Assert.Equal(192, memory.Measured);
        Assert.Equal(false, memory.Met);
    }

    [Fact]
    public void Evaluate_MemoryWithAMarginalCost_IsCheckedOnWhatOneMoreEntryCosts()
    {
        var result = SampleResults.Create();
        // 155 B on average over 1,000 entries, of which 10,000 bytes do not grow with them: 145 B per entry.
        var measured = new WriteBehindAkka.Benchmarks.Suite.MemoryResult(1000, 8, 100, 263, 155, 28, "test") { MarginalOverheadBytesPerEntry = 145, FixedBytes = 10_000 };

        var memory = Targets.Evaluate(result.Workloads, measured).Single(c => c.Target.StartsWith("memory", StringComparison.Ordinal));

        Assert.Equal(145, memory.Measured);
        Assert.Equal(true, memory.Met);
        Assert.Contains("155 B on average", memory.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_MemoryWhosePartsExceedTheWhole_IsNotTrustedEitherWay()
    {
        var result = SampleResults.Create();
        // 195 B per entry measured, but the value array (128), the entry (80) and the table (26) alone make 234.
        var inconsistent = new WriteBehindAkka.Benchmarks.Suite.MemoryResult(1000, 8, 100, 195, 87, 28, "test") { EntryObjectBytes = 80, DictionaryBytesPerEntry = 26 };

        var memory = Targets.Evaluate(result.Workloads, inconsistent).Single(c => c.Target.StartsWith("memory", StringComparison.Ordinal));

        Assert.Null(memory.Met);
        Assert.StartsWith("not trusted: the parts measured alone add up to more than the whole (-39 B left for the rest)", memory.Note);
    }

    [Fact]
    public void Render_Table_ListsEveryContenderAndTarget()
    {
        var table = TableWriter.Render(SampleResults.Create());

        Assert.Contains("| write-behind (default) | 450k |", table, StringComparison.Ordinal);
        Assert.Contains("Not run on this workload: write-behind, journal: No (the journal contenders run on uniform-1M-100B only (--journal-workloads all runs them on every workload)).", table, StringComparison.Ordinal);
        Assert.DoesNotContain("| write-behind, journal: No |", table, StringComparison.Ordinal);
        Assert.Contains("MISSED", table, StringComparison.Ordinal);
        Assert.DoesNotContain("fsyncs/s", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Journal_ChecksAlwaysAtEachConcurrencyAndEverySecondAgainstNoJournal()
    {
        var checks = Targets.Evaluate(SampleResults.Create(withJournal: true).Workloads, null);

        var always = checks.Single(c => c.Target.StartsWith("journal Always, 16 callers:", StringComparison.Ordinal));
        Assert.Equal(100_000, always.Measured);
        Assert.Equal(false, always.Met);
        Assert.Contains("rate missed, p99 met; 50.0 writes per fsync", always.Note, StringComparison.Ordinal);
        var wide = checks.Single(c => c.Target.StartsWith("journal Always, 256 callers", StringComparison.Ordinal));
        var bulk = checks.Single(c => c.Target.StartsWith("journal Always, 16 callers, bulk 64:", StringComparison.Ordinal)); // told apart from the 16 Asks
        Assert.Equal(200_000, bulk.Measured);
        Assert.Equal(true, wide.Met);
        var everySecond = checks.Single(c => c.Target.StartsWith("journal EverySecond", StringComparison.Ordinal));
        Assert.Equal(380_000 / 450_000.0, everySecond.Measured, 9);
        Assert.Equal(true, everySecond.Met);
        Assert.Single(checks, c => c.Target.StartsWith("acked writes/s", StringComparison.Ordinal));
        Assert.StartsWith("journal", checks[^1].Target, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Journal_AddsTheJournalColumnsAndTargets()
    {
        var table = TableWriter.Render(SampleResults.Create(withJournal: true));

        Assert.Contains("| fsyncs/s | writes/fsync | fsync p50 | fsync p99 | longest fsync | journal at stop |", table, StringComparison.Ordinal);
        Assert.Contains("| 1000 | 320.0 | 250.0 µs | 1.80 ms | 12.50 ms | 80 MiB |", table, StringComparison.Ordinal);
        Assert.Contains("| write-behind, journal: Always, 256 callers | 320k |", table, StringComparison.Ordinal);
        Assert.Contains("| journal Always, 256 callers: acked writes/s >= 300k with ack p99 < 5 ms | zipf0.99-100k-100B | 320k/s, p99 800.0 µs | met", table, StringComparison.Ordinal);
        Assert.Contains("| journal EverySecond: acked writes/s >= 80% of no journal | zipf0.99-100k-100B | 84% | met", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_BacklogDrain_IsComparedWithTheBestUpsertWhenItLastedASecond()
    {
        var check = Targets.Evaluate(SampleResults.Create(drainSeconds: 2).Workloads, null)
            .Single(c => c.Target.StartsWith("backlog drain", StringComparison.Ordinal));

        Assert.Equal(104_000 / 115_000.0, check.Measured, 9);
        Assert.Equal(true, check.Met);
        Assert.Contains("committed in 2.00 s", check.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_BacklogDrainShorterThanASecond_GivesNoVerdict()
    {
        var checks = Targets.Evaluate(SampleResults.Create(drainSeconds: 0.4).Workloads, null);
        var check = checks.Single(c => c.Target.StartsWith("backlog drain", StringComparison.Ordinal));

        Assert.Null(check.Met);
        Assert.Contains("too short to give a pace", check.Note, StringComparison.Ordinal);
        // Listed after the other drain checks of its workload.
        Assert.True(checks.IndexOf(check) > checks.FindIndex(c => c.Target.StartsWith("sustained drain", StringComparison.Ordinal)));
    }

    [Fact]
    public void Render_BacklogDrain_ShowsNoAcknowledgedWrites()
    {
        var table = TableWriter.Render(SampleResults.Create(drainSeconds: 2));

        Assert.Contains("| write-behind, backlog drain | — | — | — | — | 104k |", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_BaselineOfZero_GivesNoVerdictInsteadOfAnInfiniteRatioThatMeetsTheTarget()
    {
        // A write-through that acknowledged nothing and ceilings that committed nothing (a broken run) are no
        // baseline: 450k / 0 is infinity, which "met" the 300x and the 90% targets.
        var result = SampleResults.Create(withJournal: true, drainSeconds: 2);
        var workload = result.Workloads[0];
        Replace(workload.Find(Targets.WriteThrough)!, r => r with { WritesPerSecond = 0 });
        Replace(workload.Find(Targets.UpsertUnnest)!, r => r with { RowsPerSecond = 0 });
        Replace(workload.Find(Targets.WriteBehind)!, r => r with { DrainRowsPerSecond = 90_000, BacklogAtStop = 60_000 });

        var checks = Targets.Evaluate(result.Workloads, null);
        result.Targets = checks;

        foreach (var prefix in new[] { "acked writes/s", "sustained drain", "drain after the writers stop", "backlog drain" })
        {
            var check = checks.Single(c => c.Target.StartsWith(prefix, StringComparison.Ordinal));
            Assert.Null(check.Met);
            Assert.True(double.IsNaN(check.Measured), $"{prefix}: {check.Measured}");
            Assert.Equal("n/a", check.Display);
            Assert.Contains("no baseline", check.Note, StringComparison.Ordinal);
        }

        Assert.Contains("| n/a |", TableWriter.Render(result), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NoJournalBaselineOfZero_GivesTheEverySecondShareNoVerdict()
    {
        var result = SampleResults.Create(withJournal: true);
        Replace(result.Workloads[0].Find(Targets.WriteBehind)!, r => r with { WritesPerSecond = 0 });

        var check = Targets.Evaluate(result.Workloads, null).Single(c => c.Target.StartsWith("journal EverySecond", StringComparison.Ordinal));

        Assert.Null(check.Met);
        Assert.Equal("n/a", check.Display);
    }

    private static void Replace(WriteBehindAkka.Benchmarks.Suite.ContenderResult contender, Func<WriteBehindAkka.Benchmarks.Suite.RunResult, WriteBehindAkka.Benchmarks.Suite.RunResult> change)
    {
        var runs = contender.Runs.Select(change).ToList();
        contender.Runs.Clear();
        contender.Runs.AddRange(runs);
    }
}
