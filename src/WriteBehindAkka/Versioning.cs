namespace WriteBehindAkka;

/// <summary>
/// Converts write versions to and from time. A version is a hybrid logical clock reading: microseconds
/// since the Unix epoch, bumped by one where two writes would otherwise share a reading, so versions
/// grow across restarts and can be stored in a <c>timestamptz</c> column (microsecond precision) as well
/// as a <c>bigint</c>.
/// </summary>
public static class Versioning
{
    /// <summary>The tick count of the Unix epoch.</summary>
    private static readonly long UnixEpochTicks = DateTimeOffset.UnixEpoch.UtcTicks;

    /// <summary>Returns the instant a version stands for.</summary>
    /// <param name="version">A version.</param>
    /// <returns>The instant, in UTC.</returns>
    public static DateTimeOffset ToTimestamp(long version) =>
        new(UnixEpochTicks + (version * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);

    /// <summary>Returns the version that stands for an instant (truncated to the microsecond).</summary>
    /// <param name="timestamp">An instant.</param>
    /// <returns>Microseconds since the Unix epoch.</returns>
    public static long FromTimestamp(DateTimeOffset timestamp) =>
        (timestamp.UtcTicks - UnixEpochTicks) / TimeSpan.TicksPerMicrosecond;
}
