namespace WriteBehindAkka.Demo.Tests;

/// <summary>The Demo section is checked before anything starts; no server is needed (the connection string is never opened).</summary>
public sealed class DemoOptionsTests
{
    private static readonly string[] Common = ["--urls=http://127.0.0.1:0", "--ConnectionStrings:WriteBehind=Host=127.0.0.1;Port=1;Username=nobody"];

    [Fact]
    public async Task CreateAsync_MistypedOrOutOfRangeDemoSettings_FailsNamingEachBeforeStarting()
    {
        // A typo in a key was ignored (the demo ran without the load asked for), and a SampleInterval of 0 or a start-up
        // load the generator refuses stopped the host after it had started, with a crit log and exit code 0.
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await using var demo = await DemoHost.CreateAsync([.. Common, "--Demo:Load:WritesPerSecnd=5000", "--Demo:SampleInterval=00:00:00", "--Demo:Load:WritesPerSecond=2000000"]);
        });

        Assert.Contains("'Demo:Load:WritesPerSecnd' names no setting", error.Message, StringComparison.Ordinal);
        Assert.Contains("Demo:SampleInterval is 00:00:00", error.Message, StringComparison.Ordinal);
        Assert.Contains("2000000 writes per second", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_DurationWithAUnitOnTheCommandLine_SaysHowToWriteIt()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await using var demo = await DemoHost.CreateAsync([.. Common, "--Demo:SampleInterval=500ms"]);
        });

        Assert.Contains("Demo:SampleInterval", error.Message, StringComparison.Ordinal);
        Assert.Contains("00:00:00.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_TheReadmeExamples_AreAccepted()
    {
        await using var demo = await DemoHost.CreateAsync([.. Common, "--Demo:Load:WritesPerSecond=5000", "--Demo:SampleInterval=00:00:00.5", "--Demo:Table=scores_test"]);

        Assert.NotNull(demo.App);
    }
}
