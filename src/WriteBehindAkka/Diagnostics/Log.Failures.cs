using Microsoft.Extensions.Logging;

namespace WriteBehindAkka.Diagnostics;

/// <content>The log messages of failure handling: configuration errors and dead letters (event ids 1101 and up).</content>
internal static partial class Log
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "Cache '{Cache}': writer {Writer} cannot write a batch of {Count} records because of how the store is set up, not because of the data; retry #{Attempt} in {Backoff}. Fix the store (table, columns, privileges, credentials); no record is dead-lettered for this.")]
    public static partial void StoreMisconfigured(ILogger logger, Exception error, string cache, int writer, int count, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Cache '{Cache}': {Count} records the store refused were written to the dead-letter sink.")]
    public static partial void DeadLettered(ILogger logger, string cache, int count);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "Cache '{Cache}': writer {Writer} could not write {Count} dead letters; retry #{Attempt} in {Backoff}.")]
    public static partial void DeadLetterRetrying(ILogger logger, Exception error, string cache, int writer, int count, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Cache '{Cache}': the dead-letter sink did not take the letter of key '{Key}' at version {Version}; the record stays Failed in memory and counts toward the pending bound until the key is written again.")]
    public static partial void DeadLetterRefused(ILogger logger, Exception error, string cache, string key, long version);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Cache '{Cache}': the dead letter of key '{Key}' at version {Version} was {Outcome} by an operator's retry.")]
    public static partial void DeadLetterRetried(ILogger logger, string cache, string key, long version, string outcome);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information, Message = "Cache '{Cache}': the dead letter of key '{Key}' at version {Version} was discarded by an operator.")]
    public static partial void DeadLetterDiscarded(ILogger logger, string cache, string key, long version);
}
