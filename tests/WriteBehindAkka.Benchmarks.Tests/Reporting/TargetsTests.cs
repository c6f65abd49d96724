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
    public void Render_Table_ListsEveryContenderAndTarget()
    {
        var table = TableWriter.Render(SampleResults.Create());

        Assert.Contains("| write-behind (default) | 450k |", table, StringComparison.Ordinal);
        Assert.Contains("| write-behind, journal: Always | not available: this build has no journal |", table, StringComparison.Ordinal);
        Assert.Contains("MISSED", table, StringComparison.Ordinal);
    }
}
