namespace WriteBehindAkka.Demo;

/// <summary>Every log message of the demo, with its event id (3000 and up), in one place.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "PostgreSQL: {Database}.")]
    public static partial void Database(ILogger logger, string database);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Load generator: {WritesPerSecond} writes/s over {Players} players for {Seconds} s (0 = until stopped).")]
    public static partial void LoadStarted(ILogger logger, int writesPerSecond, int players, int seconds);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Load generator: run finished after {Written} writes.")]
    public static partial void LoadFinished(ILogger logger, long written);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Load generator: the run failed after {Written} writes; the next POST /load starts another.")]
    public static partial void LoadFailed(ILogger logger, Exception error, long written);
}
