namespace WriteBehindAkka;

/// <summary>What a shutdown left behind.</summary>
/// <param name="Flushed">Whether every accepted write was committed (or failed) before the deadline.</param>
/// <param name="UnflushedEntries">How many pending entries were not committed when the cache stopped.</param>
/// <param name="UnflushedBytes">Their value bytes.</param>
/// <param name="FailedKeys">Keys whose latest write ended Failed.</param>
public sealed record ShutdownReport(bool Flushed, long UnflushedEntries, long UnflushedBytes, long FailedKeys);
