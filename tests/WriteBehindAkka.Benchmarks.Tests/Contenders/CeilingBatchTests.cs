using WriteBehindAkka.Benchmarks.Contenders;
using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Tests.Contenders;

public class CeilingBatchTests
{
    [Fact]
    public void Fill_Distinct_HoldsOnlyTheWritersShareWithoutRepeats()
    {
        var spec = new WorkloadSpec("z", 1000, 16, KeyDistribution.Zipf, 0.99, 0);
        var stream = new KeyStream(spec, KeyStream.SamplerFor(spec), 3);
        var batch = new CeilingBatch(stream, writer: 1, writers: 2, size: 200, valueBytes: 16, distinct: true);
        long clock = 0;

        batch.Fill(ref clock, worker: 1);

        Assert.Equal(200, batch.Records.Count);
        Assert.All(batch.Records, r => Assert.Equal(1, r.Key % 2));
        Assert.Equal(200, batch.Records.Select(r => r.Key).Distinct().Count());
        Assert.True(batch.Draws > 200, "a Zipf stream repeats hot keys");
        Assert.Equal(batch.Records.Count, batch.Records.Select(r => ValueStamp.Read(r.Value.Span)).Distinct().Count());
    }

    [Fact]
    public void Fill_NotDistinct_KeepsEveryDraw()
    {
        var spec = new WorkloadSpec("u", 10, 16, KeyDistribution.Uniform, 0, 0);
        var batch = new CeilingBatch(new KeyStream(spec, null, 5), writer: 0, writers: 1, size: 100, valueBytes: 16, distinct: false);
        long clock = 0;

        batch.Fill(ref clock, worker: 0);

        Assert.Equal(100, batch.Records.Count);
        Assert.Equal(100, batch.Draws);
        Assert.Equal(100, clock);
    }
}
