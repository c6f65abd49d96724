namespace WriteBehindAkka.Hocon.Tests;

public class HoconDurationTests
{
    [Theory]
    [InlineData("200ms", 200 * TimeSpan.TicksPerMillisecond)]
    [InlineData("5 s", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("1 minute", TimeSpan.TicksPerMinute)]
    [InlineData("2 hours", 2 * TimeSpan.TicksPerHour)]
    [InlineData("10us", 10 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("1d", TimeSpan.TicksPerDay)]
    [InlineData("3 days", 3 * TimeSpan.TicksPerDay)]
    [InlineData("1.5s", 1500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("  7 m  ", 7 * TimeSpan.TicksPerMinute)]
    [InlineData("-2 seconds", -2 * TimeSpan.TicksPerSecond)]
    [InlineData("1e3ms", TimeSpan.TicksPerSecond)]
    [InlineData("2 millis", 2 * TimeSpan.TicksPerMillisecond)]
    [InlineData("3 microseconds", 3 * TimeSpan.TicksPerMicrosecond)]
    [InlineData("250ns", 3)]
    [InlineData("150 nanoseconds", 2)]
    [InlineData("1 nanosecond", 0)]
    [InlineData("100", 100 * TimeSpan.TicksPerMillisecond)]
    public void Parse_ValidDuration_ReturnsTicks(string text, long expectedTicks)
    {
        Assert.Equal(TimeSpan.FromTicks(expectedTicks), HoconDuration.Parse(text));
        Assert.True(HoconDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromTicks(expectedTicks), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5 S")]
    [InlineData("5 Seconds")]
    [InlineData("5 parsecs")]
    [InlineData("1h30m")]
    [InlineData("5 5s")]
    [InlineData("10ms extra")]
    [InlineData("1.2.3s")]
    [InlineData("99999999999999 d")]
    [InlineData(null)]
    public void TryParse_InvalidDuration_ReturnsFalse(string? text)
    {
        Assert.False(HoconDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value);
    }

    [Fact]
    public void Parse_InvalidDuration_ThrowsFormatExceptionExplainingTheFormat()
    {
        var ex = Assert.Throws<FormatException>(() => HoconDuration.Parse("5 parsecs"));

        Assert.Equal(
            "'5 parsecs' is not a HOCON duration. Write a number and an optional unit (ns, us, ms, s, m, h, d, or " +
            "nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days), for example '200ms', '5 s' or " +
            "'1 minute'; a bare number means milliseconds. The value must fit in a TimeSpan.",
            ex.Message);
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNullException() =>
        Assert.Throws<ArgumentNullException>(() => HoconDuration.Parse(null!));
}
