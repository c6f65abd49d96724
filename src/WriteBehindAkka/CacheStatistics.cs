namespace WriteBehindAkka;

/// <summary>A snapshot of a cache's backlog and supervision counters.</summary>
/// <param name="PendingEntries">Entries written but not yet committed.</param>
/// <param name="PendingBytes">Their value bytes.</param>
/// <param name="FailedKeys">Keys whose latest write the store refused.</param>
/// <param name="ShardRestarts">Shard loops restarted after a crash.</param>
/// <param name="WriterRestarts">Writer loops restarted after a crash.</param>
/// <param name="IsRunning">Whether the cache accepts writes.</param>
/// <param name="OldestPendingAge">
/// The age of the oldest write not yet committed (the database lag), taken from the batches being written, the
/// batches being gathered (a write waits there up to <c>MaxBatchDelay</c>) and the writes waiting in the shards;
/// writes sitting in a writer's input buffer are not looked at (they are younger than the batch being gathered).
/// Zero when nothing is pending.
/// </param>
/// <param name="CachedEntries">
/// Entries held in memory, pending and clean (what <c>MaxCachedEntries</c> bounds, and what <c>TimeToLive</c> and
/// evictions take away); read without stopping the shards, so a moment's writes may be missing from it.
/// </param>
public sealed record CacheStatistics(long PendingEntries, long PendingBytes, long FailedKeys, long ShardRestarts, long WriterRestarts, bool IsRunning, TimeSpan OldestPendingAge, long CachedEntries = 0);
