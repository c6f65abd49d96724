using WriteBehindAkka.Storage;

namespace WriteBehindAkka.TestKit;

/// <summary>An error scripted into an <see cref="InMemoryStore{TKey}"/>; its <see cref="Kind"/> is how the store classifies it.</summary>
public sealed class SimulatedStoreException : Exception
{
    /// <summary>Creates a transient simulated error.</summary>
    public SimulatedStoreException()
        : this(StoreErrorKind.Transient, "Simulated transient store error.")
    {
    }

    /// <summary>Creates a transient simulated error with a message.</summary>
    /// <param name="message">The message.</param>
    public SimulatedStoreException(string message)
        : this(StoreErrorKind.Transient, message)
    {
    }

    /// <summary>Creates a transient simulated error with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SimulatedStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = StoreErrorKind.Transient;
    }

    /// <summary>Creates a simulated error of a kind.</summary>
    /// <param name="kind">Transient or permanent.</param>
    /// <param name="message">The message.</param>
    public SimulatedStoreException(StoreErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>How the store classifies the error.</summary>
    public StoreErrorKind Kind { get; }

    /// <summary>The code the store reports for the error (as a SQLSTATE would be), or <see langword="null"/>.</summary>
    public string? Code { get; init; }

    /// <summary>
    /// How the test kit's stores classify an error: a simulated one by its <see cref="Kind"/>; the rest as the
    /// PostgreSQL store classifies client-side errors (transient for a timeout, an I/O or socket error or a
    /// cancellation, permanent for anything else). As that store does, it looks through wrapping exceptions (the
    /// inner exceptions, and an <see cref="AggregateException"/>'s first): an error that wraps a timeout is transient.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <returns>The kind.</returns>
    internal static StoreErrorKind Classify(Exception error)
    {
        foreach (var current in Chain(error))
        {
            switch (current)
            {
                case SimulatedStoreException simulated:
                    return simulated.Kind;
                case TimeoutException or IOException or System.Net.Sockets.SocketException:
                    return StoreErrorKind.Transient;
            }
        }

        // A cancellation with no such cause is retried, as the PostgreSQL store retries it.
        return error is OperationCanceledException ? StoreErrorKind.Transient : StoreErrorKind.Permanent;
    }

    /// <summary>
    /// An error and the errors it wraps, outermost first, as the PostgreSQL store walks them: each one's inner
    /// exception, and an <see cref="AggregateException"/>'s first.
    /// </summary>
    /// <param name="error">The error.</param>
    /// <returns>The chain.</returns>
    internal static IEnumerable<Exception> Chain(Exception error)
    {
        for (var current = error; current is not null;)
        {
            yield return current;
            current = current is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[0] : current.InnerException;
        }
    }
}
