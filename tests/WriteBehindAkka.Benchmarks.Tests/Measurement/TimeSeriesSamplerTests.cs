using WriteBehindAkka.Benchmarks.Measurement;

namespace WriteBehindAkka.Benchmarks.Tests.Measurement;

public class TimeSeriesSamplerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task MaxGcPause_CountsOnlyCollectionsInsideTheWindow()
    {
        var control = new RunControl();
        var sampler = new TimeSeriesSampler(control, () => 0, () => 0, () => null, lag: null);
        await using var _ = sampler.ConfigureAwait(false);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        int before = CountSamples(sampler);
        await WaitUntilAsync(() => CountSamples(sampler) >= before + 2);
        Assert.Null(sampler.MaxGcPauseMs);

        control.OpenWindow();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        await WaitUntilAsync(() => sampler.MaxGcPauseMs is > 0);
    }

    /// <summary>The sampler only appends; reading the count while it does is enough to see that it moved on.</summary>
    private static int CountSamples(TimeSeriesSampler sampler) => sampler.Samples.Count;

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The sampler did not get there in time.");
            await Task.Delay(10);
        }
    }
}
