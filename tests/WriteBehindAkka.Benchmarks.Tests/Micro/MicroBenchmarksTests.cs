using WriteBehindAkka.Benchmarks.Micro;

namespace WriteBehindAkka.Benchmarks.Tests.Micro;

public class MicroBenchmarksTests
{
    [Fact]
    public void Run_FilterThatMatchesNoBenchmark_FailsInsteadOfReportingSuccess()
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        int exitCode;
        try
        {
            exitCode = MicroBenchmarks.Run(["--filter", "*NoSuchBenchmarkAnywhere*"]);
        }
        finally
        {
            Console.SetError(previous);
        }

        Assert.NotEqual(0, exitCode);
        Assert.Contains("no micro-benchmark matches", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_List_IsNoFailure()
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        int exitCode;
        try
        {
            exitCode = MicroBenchmarks.Run(["--list", "flat"]);
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.Equal(0, exitCode);
        Assert.Contains("ShardSetBenchmarks", output.ToString(), StringComparison.Ordinal);
    }
}
