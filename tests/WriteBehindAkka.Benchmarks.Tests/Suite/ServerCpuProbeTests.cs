using WriteBehindAkka.Benchmarks.Suite;

namespace WriteBehindAkka.Benchmarks.Tests.Suite;

public class ServerCpuProbeTests
{
    [Fact]
    public void TryParseStat_NameWithSpacesAndParens_ReadsParentAndTimes()
    {
        const string Stat = "4242 (postgres: wal (x) writer) S 4000 4000 4000 0 -1 4194368 100 0 0 0 150 25 7 3 20 0 1 0 123 0 0";

        Assert.True(ServerCpuProbe.TryParseStat(Stat, out int parent, out long own, out long children));
        Assert.Equal(4000, parent);
        Assert.Equal(175, own);
        Assert.Equal(10, children);
    }

    [Fact]
    public void TryParseStat_Garbage_ReturnsFalse() => Assert.False(ServerCpuProbe.TryParseStat("nonsense", out _, out _, out _));

    [Fact]
    public void Seconds_NoServer_IsNaN() => Assert.True(double.IsNaN(new ServerCpuProbe(null).Seconds()));
}
