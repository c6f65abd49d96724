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

    [Fact]
    public void Of_OneValue_IsThatValueAtEveryPercentile()
    {
        Assert.All(new[] { 0, 50, 99, 99.9, 100 }, p => Assert.Equal(7, Percentiles.Of([7], p)));
        Assert.Equal(new Spread(7, 7, 7), Spread.Of([7]));
    }

    [Fact]
    public void Of_AllEqual_IsThatValue()
    {
        Assert.Equal(0.1, Percentiles.Of([0.1, 0.1, 0.1], 99.9));
        Assert.Equal(new Spread(0.1, 0.1, 0.1), Spread.Of([0.1, 0.1, 0.1]));
    }

    [Fact]
    public void Of_InfiniteValues_AreRankedNotTurnedIntoNaN()
    {
        // inf - inf and (inf - 1) * 0 are NaN: interpolating towards or between infinite values must not produce one.
        Assert.Equal(1, Percentiles.Of([1, double.PositiveInfinity], 0));
        Assert.Equal(double.PositiveInfinity, Percentiles.Median([double.PositiveInfinity, double.PositiveInfinity]));
        Assert.Equal(2, Percentiles.Median([1, 2, double.PositiveInfinity]));
        Assert.Equal(double.PositiveInfinity, Percentiles.Of([1, double.PositiveInfinity], 75));
    }

    [Fact]
    public void Spread_Of_Empty_HasNoValue() => Assert.False(Spread.Of([]).HasValue);
}
