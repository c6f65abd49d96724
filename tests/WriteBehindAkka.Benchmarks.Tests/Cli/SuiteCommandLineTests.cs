using WriteBehindAkka.Benchmarks.Cli;

namespace WriteBehindAkka.Benchmarks.Tests.Cli;

public class SuiteCommandLineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 6, 5, 4, TimeSpan.Zero);

    [Fact]
    public void Parse_NoArguments_UsesTheDefaults()
    {
        var command = SuiteCommandLine.Parse([], Now);

        Assert.Equal(3, command.Settings.Repetitions);
        Assert.Equal(16, command.Settings.Concurrency);
        Assert.Equal(4, command.Workloads.Count);
        Assert.Equal(Path.Combine("artifacts", "bench", "20261122-060504"), command.OutputDirectory);
    }

    [Fact]
    public void Parse_Quick_IsOneShortRepetition()
    {
        var command = SuiteCommandLine.Parse(["--quick", "--out", "x"], Now);

        Assert.Equal(1, command.Settings.Repetitions);
        Assert.Equal(TimeSpan.FromSeconds(2), command.Settings.Duration);
        Assert.Equal("x", command.OutputDirectory);
    }

    [Fact]
    public void Parse_WorkloadPrefixes_PickThoseWorkloads()
    {
        var command = SuiteCommandLine.Parse(["--workloads", "zipf,mixed"], Now);

        Assert.Equal(["zipf0.99-100k-100B", "mixed-90w10r-100k-100B"], command.Workloads.Select(w => w.Name));
    }

    [Fact]
    public void Parse_ContendersAndAllocationProfile_AreKept()
    {
        var command = SuiteCommandLine.Parse(["--contenders", "write-behind, write-through", "--alloc-profile"], Now);

        Assert.Equal(["write-behind", "write-through"], command.Contenders);
        Assert.True(command.Settings.AllocationProfile);
    }

    [Fact]
    public void Parse_ContendersWithSemicolons_KeepNamesThatHaveCommas()
    {
        var command = SuiteCommandLine.Parse(["--contenders", "write-behind, journal: Always, 512; write-through"], Now);

        Assert.Equal(["write-behind, journal: Always, 512", "write-through"], command.Contenders);
    }

    [Fact]
    public void Parse_JournalOptions_AreKept()
    {
        var defaults = SuiteCommandLine.Parse([], Now);
        var command = SuiteCommandLine.Parse(["--journal-callers", "512", "--journal-workloads", "all"], Now);

        Assert.Null(defaults.Settings.JournalCallers);
        Assert.False(defaults.Settings.JournalOnAllWorkloads);
        Assert.Equal([512], command.Settings.JournalCallers!);
        Assert.Empty(SuiteCommandLine.Parse(["--journal-callers", "0"], Now).Settings.JournalCallers!);
        Assert.Equal([64, 1024], SuiteCommandLine.Parse(["--journal-callers", "64,1024"], Now).Settings.JournalCallers!);
        Assert.True(command.Settings.JournalOnAllWorkloads);
        Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["--journal-workloads", "some"], Now));
    }

    [Fact]
    public void Parse_CeilingWritersAndParallelism_AreKept()
    {
        var defaults = SuiteCommandLine.Parse([], Now);
        var command = SuiteCommandLine.Parse(["--ceiling-writers", "2", "--parallelism", "8"], Now);

        Assert.Equal(4, defaults.Settings.CeilingWriters);
        Assert.Null(defaults.Settings.Parallelism);
        Assert.Equal(2, command.Settings.CeilingWriters);
        Assert.Equal(8, command.Settings.Parallelism);
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["--parallelism", "0", "--ceiling-writers", "x"], Now));
        Assert.Contains("--parallelism is '0': use a whole number from 1 to 256.", error.Message, StringComparison.Ordinal);
        Assert.Contains("--ceiling-writers is 'x'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralProblems_ListsEveryOne()
    {
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["--reps", "0", "--duration", "abc", "--bogus", "--workloads", "nope"], Now));

        Assert.Contains("--reps is '0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("--duration is 'abc'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown option '--bogus'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no workload starts with 'nope'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DrainEntries_SetsTheBacklogOfTheDrainContender()
    {
        Assert.Equal(500_000, SuiteCommandLine.Parse([], Now).Settings.DrainEntries);
        Assert.Equal(200_000, SuiteCommandLine.Parse(["--quick"], Now).Settings.DrainEntries);
        Assert.Equal(50_000, SuiteCommandLine.Parse(["--drain-entries", "50000"], Now).Settings.DrainEntries);
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["--drain-entries", "0"], Now));
        Assert.Contains("--drain-entries is '0'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--duration", "NaN")]
    [InlineData("--warmup", "NaN")]
    [InlineData("--duration", "-Infinity")]
    [InlineData("--duration", "0")]
    [InlineData("--warmup", "-1")]
    public void Parse_SecondsThatAreNotANumberOrOutOfRange_AreRefusedByName(string option, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse([option, value], Now));

        Assert.Contains($"{option} is '{value}': use seconds from", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--workloads", ",")]
    [InlineData("--workloads", "")]
    [InlineData("--contenders", ",")]
    [InlineData("--contenders", "")]
    [InlineData("--contenders", " ; ")]
    [InlineData("--journal-callers", "")]
    [InlineData("--journal-callers", ",")]
    public void Parse_AnEmptyList_IsRefusedInsteadOfRunningNothingOrEverything(string option, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse([option, value], Now));

        Assert.Contains($"{option} names nothing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ContenderNameThatMatchesNothing_IsRefusedWithTheOtherProblems()
    {
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["--contenders", "write-behind,wrte-through", "--reps", "0"], Now));

        Assert.Contains("--contenders: no contender starts with 'wrte-through'; the contenders are ", error.Message, StringComparison.Ordinal);
        Assert.Contains("--reps is '0'", error.Message, StringComparison.Ordinal);
        Assert.Equal(["none"], SuiteCommandLine.Parse(["--contenders", "none"], Now).Contenders);
        Assert.Equal(["write-behind, journal: Always, 512"], SuiteCommandLine.Parse(["--contenders", "write-behind, journal: Always, 512;", "--journal-callers", "512"], Now).Contenders);
    }

    [Fact]
    public void Parse_ReadsWithOptions_SaysTheCommandTakesNone()
    {
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["reads", "--reps", "2"], Now));

        Assert.Contains("'reads' is a command of its own and takes no options", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Unknown option 'reads'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a\0b")]
    public void Parse_OutputFolderThatIsNoPath_IsRefused(string folder)
    {
        var error = Assert.Throws<ArgumentException>(() => SuiteCommandLine.Parse(["--out", folder], Now));

        Assert.Contains("--out is '", error.Message, StringComparison.Ordinal);
        Assert.Contains("name a folder", error.Message, StringComparison.Ordinal);
    }
}
