using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Tests.Workloads;

public class KeyStreamTests
{
    [Fact]
    public void NextKey_Uniform_StaysInRangeAndCoversIt()
    {
        var spec = new WorkloadSpec("u", 100, 8, KeyDistribution.Uniform, 0, 0);
        var stream = new KeyStream(spec, null, 7);
        var seen = new HashSet<long>();
        for (int i = 0; i < 10_000; i++)
        {
            long key = stream.NextKey();
            Assert.InRange(key, 0, 99);
            seen.Add(key);
        }

        Assert.Equal(100, seen.Count);
    }

    [Fact]
    public void NextIsRead_TenPercent_IsAboutOneInTen()
    {
        var spec = new WorkloadSpec("m", 100, 8, KeyDistribution.Uniform, 0, 10);
        var stream = new KeyStream(spec, null, 11);

        int reads = Enumerable.Range(0, 100_000).Count(_ => stream.NextIsRead());

        Assert.InRange(reads, 9_500, 10_500);
    }

    [Fact]
    public void ValueStamp_WriteThenRead_RoundTrips()
    {
        var buffer = ValueStamp.NewBuffer(100, new FastRandom(1));
        long stamp = ValueStamp.Make(worker: 3, sequence: 123_456);

        ValueStamp.Write(buffer, stamp);

        Assert.Equal(stamp, ValueStamp.Read(buffer));
        Assert.Equal(100, buffer.Length);
        Assert.NotEqual(ValueStamp.Make(4, 123_456), stamp);
    }
}
