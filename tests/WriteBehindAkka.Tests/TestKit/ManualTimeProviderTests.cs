using WriteBehindAkka.Options;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.TestKit;

/// <summary>The test kit's clock keeps the <see cref="TimeProvider"/> contract that the code under test relies on.</summary>
public sealed class ManualTimeProviderTests
{
    [Fact]
    public void Change_AfterDispose_ReturnsFalseAndNeverFires()
    {
        var clock = new ManualTimeProvider();
        int fired = 0;
        var timer = clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        timer.Dispose();

        Assert.False(timer.Change(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(0, fired);
        Assert.Equal(0, clock.ArmedTimers);
    }

    [Theory]
    [InlineData(-2, -1)]
    [InlineData(1_000, -2)]
    [InlineData(5_000_000_000, -1)]
    [InlineData(1_000, 5_000_000_000)]
    public void CreateTimerAndChange_TimesARealTimerRefuses_Throw(long dueMilliseconds, long periodMilliseconds)
    {
        var clock = new ManualTimeProvider();
        var (due, period) = (TimeSpan.FromMilliseconds(dueMilliseconds), TimeSpan.FromMilliseconds(periodMilliseconds));
        using var timer = clock.CreateTimer(_ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        Assert.Throws<ArgumentOutOfRangeException>(() => clock.CreateTimer(_ => { }, null, due, period));
        Assert.Throws<ArgumentOutOfRangeException>(() => timer.Change(due, period));
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new Timer(_ => { }, null, due, period));
    }

    [Fact]
    public void Advance_CallbackAdvancesFurther_ClockNeverGoesBack()
    {
        var clock = new ManualTimeProvider();
        long start = clock.GetTimestamp();
        var startUtc = clock.GetUtcNow();
        using var timer = clock.CreateTimer(_ => clock.Advance(TimeSpan.FromSeconds(10)), null, TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(10.5), clock.GetElapsedTime(start));
        Assert.Equal(startUtc + TimeSpan.FromSeconds(10.5), clock.GetUtcNow());
    }

    [Fact]
    public void GetUtcNow_StartGivenWithAnOffset_IsTheSameInstantInUtc()
    {
        var start = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(2));

        var now = new ManualTimeProvider(start).GetUtcNow();

        Assert.Equal(TimeSpan.Zero, now.Offset);
        Assert.Equal(start.UtcDateTime, now.UtcDateTime);
    }

    [Fact]
    public async Task DisposeAsync_CacheOnAClockNobodyMoves_EndsAfterShutdownTimeoutInRealTimeInsteadOfHanging()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var clock = new ManualTimeProvider();
        var cache = new WriteBehindCache<string, string>(
            store, new WriteBehindOptions { MaxBatchSize = 1, ShutdownTimeout = TimeSpan.FromMilliseconds(200) }, timeProvider: clock);
        await cache.SetAsync("k", "v");
        await store.ExpectBatchAsync(Harness.Within);

        var report = await cache.ShutdownAsync().Within();

        Assert.False(report.Flushed);
        Assert.Equal(1, report.UnflushedEntries);
    }
}
