namespace WriteBehindAkka.Hocon.Tests;

public class HoconConfigurationFlattenerTests
{
    [Theory]
    [InlineData("200ms", "00:00:00.2000000")]
    [InlineData("5 s", "00:00:05")]
    [InlineData("\"30s\"", "00:00:30")]
    [InlineData("1 minute", "00:01:00")]
    [InlineData("2 hours", "02:00:00")]
    [InlineData("10us", "00:00:00.0000100")]
    [InlineData("1d", "1.00:00:00")]
    [InlineData("10m", "00:10:00")]
    [InlineData("64MiB", "67108864")]
    [InlineData("10M", "10485760")]
    [InlineData("10 MB", "10000000")]
    [InlineData("512k", "524288")]
    [InlineData("1 GiB", "1073741824")]
    [InlineData("100 bytes", "100")]
    [InlineData("100", "100")]
    [InlineData("1.5", "1.5")]
    [InlineData("1e3", "1e3")]
    [InlineData("-7", "-7")]
    [InlineData("10 KB", "10 KB")]
    [InlineData("5 parsecs", "5 parsecs")]
    [InlineData("true", "True")]
    [InlineData("false", "False")]
    [InlineData("yes", "True")]
    [InlineData("on", "True")]
    [InlineData("no", "False")]
    [InlineData("off", "False")]
    [InlineData("\"yes\"", "yes")]
    [InlineData("\"true\"", "true")]
    [InlineData("\"null\"", "null")]
    [InlineData("null", null)]
    [InlineData("hello world", "hello world")]
    public void Flatten_ScalarValue_ConvertsForTheBinder(string hocon, string? expected) =>
        HoconAssert.Flattens($"v = {hocon}", ("v", expected));

    [Fact]
    public void Flatten_KeysDifferingOnlyInCase_FailsNamingBoth()
    {
        var ex = HoconAssert.FailsAt("a = 1\nA = 2", 2, 5);

        Assert.Equal(
            "<string>(2,5): configuration key 'A' collides with 'a': configuration keys are case-insensitive (and ':' " +
            "separates sections), so both would be the same setting. Rename one of them.",
            ex.Message);
    }

    [Fact]
    public void Flatten_ObjectsDifferingOnlyInCase_ShareOneSection() =>
        HoconAssert.Flattens("Db { host = a }\ndb { port = 1 }", ("Db:host", "a"), ("db:port", "1"));

    [Fact]
    public void Flatten_Result_HasCaseInsensitiveKeys()
    {
        var data = HoconAssert.Flatten("Akka.Cluster.Roles = [seed]");

        Assert.Equal("seed", data["akka:cluster:roles:0"]);
    }
}
