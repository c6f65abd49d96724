namespace WriteBehindAkka.Soak.Tests;

/// <summary>The soak's command line: a run that proves nothing, or is not the run asked for, is refused before it starts.</summary>
public sealed class SoakOptionsTests
{
    [Fact]
    public void NoArguments_RunsFiveMinutesWithTheDocumentedDefaults()
    {
        var (options, problem) = SoakOptions.Parse([]);

        Assert.Null(problem);
        Assert.Equal(
            (TimeSpan.FromMinutes(5), 20000, 4, 500, 1, 2),
            (options!.Duration, options.Keys, options.Producers, options.PoisonEvery, options.Seed, options.Parallelism));
    }

    [Theory]
    [InlineData("--minutes", "0.5", 30)]
    [InlineData("--seconds", "90", 90)]
    public void Duration_FractionsAllowed(string name, string value, double seconds)
    {
        var (options, problem) = SoakOptions.Parse([name, value]);

        Assert.Null(problem);
        Assert.Equal(TimeSpan.FromSeconds(seconds), options!.Duration);
    }

    [Theory]
    [InlineData("--minutes")]
    [InlineData("--seconds")]
    public void ZeroDuration_IsRefused_ARunOfNothingWouldPass(string name)
    {
        // It ran for nothing, checked nothing, and printed PASSED with exit code 0.
        var (options, problem) = SoakOptions.Parse([name, "0"]);

        Assert.Null(options);
        Assert.Equal($"{name} must be more than 0: a soak of no time checks nothing.", problem);
    }

    [Theory]
    [InlineData("--keys")]
    [InlineData("--producers")]
    [InlineData("--poison-every")]
    [InlineData("--seed")]
    [InlineData("--bulk")]
    [InlineData("--read-every")]
    [InlineData("--update-every")]
    [InlineData("--delete-every")]
    public void Count_WithAFraction_IsRefused_NotTruncated(string name)
    {
        // --keys 2.7 ran with 2 keys: not the run asked for.
        var (options, problem) = SoakOptions.Parse([name, "2.7"]);

        Assert.Null(options);
        Assert.Equal($"{name} needs a whole number; 2.7 is not one.", problem);
    }

    [Theory]
    [InlineData("--ttl-ms", "0.5")]
    [InlineData("--idle-ms", "2.5")]
    public void Milliseconds_FractionsAllowed(string name, string value)
    {
        var (options, problem) = SoakOptions.Parse([name, value]);

        Assert.Null(problem);
        Assert.NotNull(options);
    }

    [Fact]
    public void UnknownOptionAndMissingValue_AreRefused()
    {
        Assert.Equal("Unknown option '--minute'.", SoakOptions.Parse(["--minute", "1"]).Problem);
        Assert.Equal($"--keys needs a number from 0 to {int.MaxValue} after it.", SoakOptions.Parse(["--keys"]).Problem);
    }
}
