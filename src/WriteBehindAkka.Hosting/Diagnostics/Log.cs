using Microsoft.Extensions.Logging;

namespace WriteBehindAkka.Hosting.Diagnostics;

/// <summary>Every log message of WriteBehindAkka.Hosting, with its event id (2000 and up), in one place.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Cache '{Cache}' started: {Shards} shards, {Writers} writers, batches of up to {MaxBatchSize} records, store {Store}.")]
    public static partial void CacheStarted(ILogger logger, string cache, int shards, int writers, int maxBatchSize, string store);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Cache '{Cache}' could not start; the host stops starting. {Reason}")]
    public static partial void CacheStartFailed(ILogger logger, Exception error, string cache, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Cache '{Cache}': the store is prepared ({Store}).")]
    public static partial void StoreInitialized(ILogger logger, string cache, string store);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Cache '{Cache}': the host is stopping; no new writes are taken, and {Entries} pending entries ({Bytes} bytes) are being written to the store.")]
    public static partial void Draining(ILogger logger, string cache, long entries, long bytes);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Error, Message = "Cache '{Cache}': stopping it failed while the container was disposed; the store was disposed anyway. What the drain could not write is as the cache's shutdown left it (in the journal if it has one).")]
    public static partial void CacheStopFailed(ILogger logger, Exception error, string cache);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Cache '{Cache}': drained in {Elapsed}; every accepted write reached the store or, refused by it, the dead-letter sink ({FailedKeys} keys failed).")]
    public static partial void Drained(ILogger logger, string cache, TimeSpan elapsed, long failedKeys);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Cache '{Cache}': the shutdown deadline passed after {Elapsed} with {Entries} pending entries ({Bytes} bytes) not written to the store; {Fate}. Give the drain more time (HostOptions.ShutdownTimeout and WriteBehindOptions.ShutdownTimeout) or look at why the store is slow or failing. {FailedKeys} keys failed.")]
    public static partial void NotDrained(ILogger logger, string cache, TimeSpan elapsed, long entries, long bytes, string fate, long failedKeys);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Cache '{Cache}': the configuration section '{Section}' given to BindConfiguration does not exist, so the cache runs with the settings made in code and the defaults. Check the path (for example WriteBehind:Caches:{Cache}).")]
    public static partial void SectionMissing(ILogger logger, string cache, string section);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Warning, Message = "Cache '{Cache}' holds its writes until its store's start-up work has run, and nothing has started it yet. A host starts it; without a host, call StartWriteBehindCachesAsync() on the service provider after building it, or the writes wait until the cache is disposed.")]
    public static partial void HeldWithoutStart(ILogger logger, string cache);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Cache '{Cache}': disposing the store failed after the cache stopped; nothing accepted was lost by this.")]
    public static partial void StoreDisposeFailed(ILogger logger, Exception error, string cache);
}
