using Microsoft.Extensions.Logging;

namespace WriteBehindAkka.Diagnostics;

/// <summary>
/// The cache's logger: a logging provider that throws (Microsoft.Extensions.Logging rethrows a provider's
/// exception) loses that log line and nothing else. Every loop of the cache logs (shards, writer lanes, the
/// journal), and a throw out of a log call there would end or restart the loop and strand the writes it holds.
/// </summary>
/// <param name="inner">The logger the application gave.</param>
internal sealed class GuardedLogger(ILogger inner) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull
    {
        try
        {
            return inner.BeginScope(state);
        }
        catch (Exception)
        {
            return null;
        }
    }

    public bool IsEnabled(LogLevel logLevel)
    {
        try
        {
            return inner.IsEnabled(logLevel);
        }
        catch (Exception)
        {
            return false;
        }
    }

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        try
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
        catch (Exception)
        {
            // Dropped: the log line is lost, the loop that wrote it carries on.
        }
    }
}
