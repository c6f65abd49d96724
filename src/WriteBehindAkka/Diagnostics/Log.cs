using Microsoft.Extensions.Logging;

namespace WriteBehindAkka.Diagnostics;

/// <summary>Every log message of WriteBehindAkka, with its event id, in one place.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Cache '{Cache}': shard {Shard} failed on a {Command} command and was restarted with its state intact (restart #{Restarts}).")]
    public static partial void ShardRestarted(ILogger logger, Exception error, string cache, int shard, string command, long restarts);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Cache '{Cache}': writer {Writer} got a transient store error on a batch of {Count} records; retry #{Attempt} in {Backoff}.")]
    public static partial void BatchRetrying(ILogger logger, Exception error, string cache, int writer, int count, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Cache '{Cache}': writer {Writer} gave up on a batch of {Count} records after exhausting its restart budget.")]
    public static partial void BatchRetriesExhausted(ILogger logger, Exception error, string cache, int writer, int count);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Cache '{Cache}': the store refused a record of key '{Key}' at version {Version}; it is marked Failed.")]
    public static partial void RecordFailed(ILogger logger, Exception error, string cache, string key, long version);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Error, Message = "Cache '{Cache}': writer {Writer} crashed and restarts in {Backoff}; its batch of {Count} records goes back to the shards.")]
    public static partial void WriterRestarted(ILogger logger, Exception error, string cache, int writer, int count, TimeSpan backoff);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Cache '{Cache}': stopped with {Entries} pending entries ({Bytes} bytes) not written to the store: the shutdown deadline passed, or they are failed writes the dead-letter sink refused (memory was their only copy, or the journal).")]
    public static partial void ShutdownIncomplete(ILogger logger, string cache, long entries, long bytes);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Cache '{Cache}': stopped; every accepted write is committed or, refused by the store, dead-lettered ({Failed} keys failed).")]
    public static partial void ShutdownComplete(ILogger logger, string cache, long failed);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Information, Message = "Cache '{Cache}': journal opened in '{Directory}' (fsync policy {Policy}); a restart replays what it holds only from this folder.")]
    public static partial void JournalOpened(ILogger logger, string cache, string directory, Journal.FsyncPolicy policy);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information, Message = "Cache '{Cache}': journal replayed {Segments} segments, {Records} records, {Keys} keys (torn tail bytes {TornTailBytes}, corrupt regions {CorruptRegions}, skipped segments {SkippedSegments}).")]
    public static partial void JournalRecovered(ILogger logger, string cache, int segments, long records, long keys, long tornTailBytes, int corruptRegions, int skippedSegments);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Cache '{Cache}': journal recovery: {Problem}")]
    public static partial void JournalProblem(ILogger logger, string cache, string problem);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Cache '{Cache}': could not delete journal segments up to {Segment}; they will be retried at the next seal (or, while the journal is over its bound, after a backoff) or start.")]
    public static partial void JournalTruncationFailed(ILogger logger, Exception error, string cache, long segment);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Cache '{Cache}': a Tell of key '{Key}' reached its shard after the shutdown's last flush and was dropped (it raced ShutdownAsync; written after the flush, nothing would have stored it).")]
    public static partial void WriteRefusedAtShutdown(ILogger logger, string cache, string key);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Cache '{Cache}': journal segments up to {Segment} are kept: {Unrecorded} failed writes, refused by the store and by the dead-letter sink, could not be copied forward into the current segment, and the old segments may hold their only durable copy. The next seal (or, while the journal is over its bound, a retry after a backoff) tries again.")]
    public static partial void JournalTruncationDeferred(ILogger logger, Exception error, string cache, long segment, long unrecorded);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error, Message = "Cache '{Cache}': a journal write or fsync in '{Directory}' failed ({Bytes} bytes of records not appended); the writes concerned are not acknowledged as journaled: their Asks fail with JournalWriteException (a record that could not be appended was not applied; one whose fsync failed was). Logged at most once every {IntervalSeconds} s: {Unlogged} more journal failures since the previous report were not logged (writebehind.journal.errors counts each).")]
    public static partial void JournalWriteFailed(ILogger logger, Exception error, string cache, int bytes, string directory, long unlogged, int intervalSeconds);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Warning, Message = "Cache '{Cache}': the store refused a batch of {Count} records ({Error}); splitting it to isolate the records at fault.")]
    public static partial void BatchSplitting(ILogger logger, string cache, int count, string error);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Cache '{Cache}': a writer was still waiting for the store (or the dead-letter sink) after the shutdown deadline and a grace, its cancellation ignored; the shutdown goes on without it. What it was writing counts as not flushed (the journal, if on, keeps it for the next start). Make the store honour its cancellation token.")]
    public static partial void WriterStuckAtShutdown(ILogger logger, string cache);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Warning, Message = "Cache '{Cache}': a callback the store (or the dead-letter sink) registered on its cancellation token threw as the shutdown cancelled it; the shutdown goes on. Make the store's cancellation callbacks catch their errors.")]
    public static partial void StopCallbackFailed(ILogger logger, Exception error, string cache);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "Cache '{Cache}': a batch of {Count} records timed out {Timeouts} times in a row ({Error}); splitting it in halves, each retried as a transient error is (dead-lettered only if the restart budget runs out).")]
    public static partial void BatchSplitAfterTimeouts(ILogger logger, string cache, int count, int timeouts, string error);
}
