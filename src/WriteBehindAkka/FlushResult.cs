namespace WriteBehindAkka;

/// <summary>What a flush found once every write accepted before it was committed or failed.</summary>
/// <param name="FailedKeys">
/// How many writes accepted before the flush ended Failed instead of committed, counting those not reported by a
/// flush that completed before this one was asked for (a key whose two writes both failed counts twice).
/// </param>
public sealed record FlushResult(long FailedKeys)
{
    /// <summary>Whether every write accepted before the flush is committed.</summary>
    public bool AllCommitted => FailedKeys == 0;
}
