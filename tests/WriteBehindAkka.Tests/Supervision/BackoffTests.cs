using WriteBehindAkka.Options;
using WriteBehindAkka.Supervision;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Supervision;

public sealed class BackoffTests
{
    private static readonly RestartSettings Settings = new()
    {
        MinBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(1),
        RandomFactor = 0.5,
    };

    [Theory]
    [InlineData(1, 0.0, 100)]
    [InlineData(2, 0.0, 200)]
    [InlineData(4, 0.0, 800)]
    [InlineData(5, 0.0, 1000)]
    [InlineData(60, 0.0, 1000)]
    [InlineData(1, 0.5, 125)]
    [InlineData(5, 0.999, 1499.5)]
    public void Compute_Attempt_ExponentialCappedWithJitter(int attempt, double random, double expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Compute(Settings, attempt, random));
    }

    [Theory]
    [InlineData(double.NaN, 100)]
    [InlineData(-3.0, 100)]
    [InlineData(double.NegativeInfinity, 100)]
    [InlineData(7.0, 150)]
    [InlineData(double.PositiveInfinity, 150)]
    public void Compute_JitterOutsideItsContract_IsClampedToZeroToOne(double random, double expectedMs)
    {
        // The cache's jitter source is the user's: NaN made a wait no timer takes, and the writer loop died.
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Compute(Settings, 1, random));
    }

    [Fact]
    public void RestartBudget_MaxRestartsWithinWindow_RefusesThenRecoversAfterWindow()
    {
        var clock = new ManualTimeProvider();
        var budget = new RestartBudget(Settings with { MaxRestarts = 2, MaxRestartsWithin = TimeSpan.FromMinutes(1) }, clock);

        Assert.True(budget.TryRestart());
        Assert.True(budget.TryRestart());
        Assert.False(budget.TryRestart());
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromTicks(1));
        Assert.True(budget.TryRestart());
    }
}
