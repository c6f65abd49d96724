namespace WriteBehindAkka.LocalPostgres;

/// <summary>A throwaway cluster could not be created, started, stopped or killed. The message says why and what to do.</summary>
public sealed class LocalPostgresException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public LocalPostgresException()
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    public LocalPostgresException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a cause.</summary>
    /// <param name="message">What went wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public LocalPostgresException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
