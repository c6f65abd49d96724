using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Tests.Measurement;

public class PercentilesTests
{
    [Theory]
    [InlineData(50, 2.5)]
    [InlineData(0, 1)]
    [InlineData(100, 4)]
    [InlineData(25, 1.75)]
    public void Of_FourValues_InterpolatesBetweenClosestRanks(double percentile, double expected) =>
        Assert.Equal(expected, Percentiles.Of([4, 1, 3, 2], percentile), 12);

    [Fact]
    public void Of_NoValues_IsNaN() => Assert.True(double.IsNaN(Percentiles.Of([], 50)));

    [Fact]
    public void Of_NaNValues_AreIgnored() => Assert.Equal(2, Percentiles.Median([double.NaN, 1, 3, double.NaN]), 12);

    [Fact]
    public void Of_OutOfRangePercentile_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], 101));

    [Fact]
    public void Spread_Of_ReportsMedianAndRange()
    {
        var spread = Spread.Of([5, 1, 9]);

        Assert.Equal(new Spread(5, 1, 9), spread);
        Assert.False(Spread.Of([double.NaN]).HasValue);
    }
}
