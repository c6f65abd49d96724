namespace WriteBehindAkka.Hocon.Tests;

public class HoconSizeTests
{
    [Theory]
    [InlineData("64MiB", 67108864L)]
    [InlineData("10 MB", 10000000L)]
    [InlineData("512k", 524288L)]
    [InlineData("512K", 524288L)]
    [InlineData("1 GiB", 1073741824L)]
    [InlineData("3 Gi", 3221225472L)]
    [InlineData("2g", 2147483648L)]
    [InlineData("100 bytes", 100L)]
    [InlineData("1 byte", 1L)]
    [InlineData("7b", 7L)]
    [InlineData("7B", 7L)]
    [InlineData("1 kB", 1000L)]
    [InlineData("2 kilobytes", 2000L)]
    [InlineData("1.5K", 1536L)]
    [InlineData("1 tebibyte", 1099511627776L)]
    [InlineData("1 TB", 1000000000000L)]
    [InlineData("2 mebibytes", 2097152L)]
    [InlineData("7 E", 8070450532247928832L)]
    [InlineData("0.5 B", 0L)]
    [InlineData("100", 100L)]
    public void Parse_ValidSize_ReturnsBytes(string text, long expected)
    {
        Assert.Equal(expected, HoconSize.Parse(text));
        Assert.True(HoconSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10 KB")]
    [InlineData("10 kb")]
    [InlineData("10 mib")]
    [InlineData("-1 B")]
    [InlineData("1 ZB")]
    [InlineData("8 EiB")]
    [InlineData("ten MB")]
    [InlineData("5 s")]
    [InlineData(null)]
    public void TryParse_InvalidSize_ReturnsFalse(string? text)
    {
        Assert.False(HoconSize.TryParse(text, out var bytes));
        Assert.Equal(0L, bytes);
    }

    [Fact]
    public void Parse_InvalidSize_ThrowsFormatExceptionExplainingTheFormat()
    {
        var ex = Assert.Throws<FormatException>(() => HoconSize.Parse("10 KB"));

        Assert.StartsWith("'10 KB' is not a HOCON size. Write a non-negative number and an optional unit", ex.Message, StringComparison.Ordinal);
    }
}
