using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Tests.Measurement;

public class LatencyHistogramTests
{
    [Fact]
    public void Percentile_SmallValues_AreExact()
    {
        var histogram = new LatencyHistogram();
        for (int v = 1; v <= 100; v++)
        {
            histogram.Record(v);
        }

        Assert.Equal(50, histogram.Percentile(50));
        Assert.Equal(99, histogram.Percentile(99));
        Assert.Equal(100, histogram.Percentile(100));
        Assert.Equal(1, histogram.Percentile(0));
    }

    [Fact]
    public void Percentile_WideRange_IsWithinTheBucketPrecisionOfTheExactValue()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 200_000).Select(_ => (long)Math.Exp(random.NextDouble() * 20)).ToArray();
        var histogram = new LatencyHistogram();
        foreach (long v in values)
        {
            histogram.Record(v);
        }

        Array.Sort(values);
        foreach (double p in new[] { 50, 90, 99, 99.9 })
        {
            long exact = values[(int)Math.Ceiling(p / 100 * values.Length) - 1];
            Assert.InRange(histogram.Percentile(p), exact * (1 - (1 / 64.0)), exact * (1 + (1 / 64.0)));
        }

        Assert.Equal(values[^1], histogram.Max);
        Assert.Equal(values.Length, histogram.Count);
    }

    [Fact]
    public void Add_TwoHistograms_EqualsOneWithEveryValue()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var both = new LatencyHistogram();
        for (long v = 0; v < 10_000; v += 7)
        {
            (v % 2 == 0 ? a : b).Record(v * 1000);
            both.Record(v * 1000);
        }

        a.Add(b);

        Assert.Equal(both.Count, a.Count);
        Assert.Equal(both.Percentile(99), a.Percentile(99));
        Assert.Equal(both.Max, a.Max);
    }

    [Fact]
    public void Percentile_Empty_IsNaN() => Assert.True(double.IsNaN(new LatencyHistogram().Percentile(50)));

    [Theory]
    [InlineData(127L)]
    [InlineData(128L)]
    [InlineData(1_000_003L)]
    [InlineData(long.MaxValue)]
    public void IndexOf_Value_FallsInsideItsBucketBounds(long value)
    {
        var (low, high) = LatencyHistogram.BoundsOf(LatencyHistogram.IndexOf(value));

        Assert.InRange(value, low, high);
    }

    [Theory]
    [InlineData(1000, 999, 99.9)]
    [InlineData(2000, 1998, 99.9)]
    [InlineData(100, 99, 99)]
    [InlineData(10, 5, 50)]
    public void Percentile_RankThatIsAWholeNumber_IsNotRoundedUpToTheNextValue(int count, int atOrBelow, double percentile)
    {
        // 99.9 / 100 * 1000 is 999.0000000000001 in binary floating point: its ceiling is rank 1000, the maximum,
        // where the 999th value is the p99.9 of 1,000 samples.
        var histogram = new LatencyHistogram();
        histogram.Record(10, atOrBelow);
        histogram.Record(100, count - atOrBelow);

        Assert.Equal(10, histogram.Percentile(percentile));
    }

    [Fact]
    public void Percentile_OneValue_IsThatValueAtEveryPercentile()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(1_000_003);

        Assert.All(new[] { 0, 50, 99, 99.9, 100 }, p => Assert.Equal(1_000_003, histogram.Percentile(p)));
    }

    [Fact]
    public void Percentile_AllEqual_IsThatValue()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(5_000, 1000);

        Assert.Equal(5_000, histogram.Percentile(50));
        Assert.Equal(5_000, histogram.Percentile(99.9));
    }
}
