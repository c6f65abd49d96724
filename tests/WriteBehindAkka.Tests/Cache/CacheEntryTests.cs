using WriteBehindAkka.Sharding;

namespace WriteBehindAkka.Tests.Cache;

public sealed class CacheEntryTests
{
    private const long Version = 1_790_000_000_000_000; // microseconds since the Unix epoch: late 2026

    [Theory]
    [InlineData(0)]
    [InlineData(1_500)]
    [InlineData(-2_000_500)]                          // the version is ahead of this clock (a faster clock wrote it)
    [InlineData(30L * 24 * 3600 * 1_000_000 + 123)]   // 30 days after the version (replayed after a long stop): kept exactly
    public void ToStatus_CommittedAt_IsTheConfirmedTimeToTheMillisecond(long microsAfterVersion)
    {
        var entry = new CacheEntry<string>("k") { Version = Version, CommittedVersion = Version };

        entry.SetCommittedAt(Version + microsAfterVersion);
        var committedAt = entry.ToStatus().LastCommittedAt;

        Assert.NotNull(committedAt);
        var error = Versioning.ToTimestamp(Version + microsAfterVersion) - committedAt.Value;
        Assert.InRange(Math.Abs(error.TotalMilliseconds), 0, 0.999);
    }

    [Fact]
    public void ToStatus_NeverCommitted_HasNoCommitTime()
    {
        var entry = new CacheEntry<string>("k") { Version = Version };

        Assert.Null(entry.ToStatus().LastCommittedAt);
    }
}
