using WriteBehindAkka.Benchmarks.Contenders;
using WriteBehindAkka.Benchmarks.Suite;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Tests.Contenders;

public class JournalContenderTests
{
    private static readonly SuiteSettings Settings = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), 1, 16, 10_000, 2, 100, 0);

    [Fact]
    public void Contenders_Default_HaveEveryJournalPolicyAndAHighConcurrencyAlways()
    {
        var names = StandardSuite.Contenders().Select(c => c.Name).ToList();

        Assert.Contains("write-behind (default)", names);
        Assert.Contains("write-behind, journal: Always", names);
        Assert.Contains("write-behind, journal: Always, 256 callers", names);
        Assert.Contains("write-behind, journal: Always, 512 callers", names);
        Assert.Contains($"write-behind, journal: Always, bulk {StandardSuite.BulkSize}", names);
        Assert.Contains("write-behind, journal: EverySecond", names);
        Assert.Contains("write-behind, journal: No", names);
        Assert.Contains("write-behind, UpdateAsync", names);
        Assert.All(StandardSuite.Contenders(), c => Assert.Null(c.Unavailable));
        Assert.DoesNotContain(StandardSuite.Contenders(journalCallers: []), c => c.Name.Contains("callers", StringComparison.Ordinal));
    }

    [Fact]
    public void SkipOn_JournalContenders_RunOnUniform1MOnlyUnlessAll()
    {
        var uniform = WorkloadSpec.Standard.Single(w => w.Name == WriteBehindContender.JournalDefaultWorkload);
        var zipf = WorkloadSpec.Standard.First(w => w.Name.StartsWith("zipf", StringComparison.Ordinal));
        IContender journal = new WriteBehindContender(JournalMode.Always);
        IContender everywhere = new WriteBehindContender(JournalMode.Always, journalOnAllWorkloads: true);
        IContender plain = new WriteBehindContender();

        Assert.Null(journal.SkipOn(uniform));
        Assert.StartsWith("not run:", journal.SkipOn(zipf), StringComparison.Ordinal);
        Assert.Null(everywhere.SkipOn(zipf));
        Assert.Null(plain.SkipOn(zipf));
    }

    [Fact]
    public void SkipOn_UpdateContender_RunsOnTheHotKeyWorkloadOnly()
    {
        IContender update = new WriteBehindContender(update: true);

        Assert.All(WorkloadSpec.Standard, w => Assert.Equal(w.Name == WriteBehindContender.UpdateWorkload, update.SkipOn(w) is null));
        Assert.StartsWith("zipf", WriteBehindContender.UpdateWorkload, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new WriteBehindContender(JournalMode.Always, update: true));
    }

    [Fact]
    public void CallersFor_Override_WinsOverTheSuiteConcurrency()
    {
        Assert.Equal(16, new WriteBehindContender(JournalMode.Always).CallersFor(Settings));
        Assert.Equal(512, new WriteBehindContender(JournalMode.Always, 512).CallersFor(Settings));
    }
}
