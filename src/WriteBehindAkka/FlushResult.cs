namespace WriteBehindAkka;

/// <summary>What a flush found once every write accepted before it was committed or failed.</summary>
/// <param name="FailedKeys">How many keys that were pending at the flush ended Failed instead of committed.</param>
public sealed record FlushResult(long FailedKeys)
{
    /// <summary>Whether every write accepted before the flush is committed.</summary>
    public bool AllCommitted => FailedKeys == 0;
}
