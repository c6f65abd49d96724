namespace WriteBehindAkka;

/// <summary>What a flush found once every write accepted before it was committed or failed.</summary>
/// <param name="FailedWrites">
/// How many writes accepted before the flush ended Failed instead of committed, counting those not reported by a
/// flush that completed before this one was asked for (a key whose two writes both failed counts twice: writes,
/// not keys; <see cref="CacheStatistics.FailedKeys"/> counts the keys).
/// </param>
public sealed record FlushResult(long FailedWrites)
{
    /// <summary>Whether every write accepted before the flush is committed.</summary>
    public bool AllCommitted => FailedWrites == 0;

    /// <summary>The former name of <see cref="FailedWrites"/>, which counts writes, not keys.</summary>
    [Obsolete("It counts failed writes, not keys: use FailedWrites.")]
    public long FailedKeys => FailedWrites;
}
