namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// The store cannot write because of how it is set up, not because of the data (its table exists with other
/// columns than it writes). The store classifies it as <see cref="Storage.StoreErrorKind.Configuration"/>: the
/// cache retries with backoff and reports itself Degraded until an operator fixes it; no record is dead-lettered.
/// </summary>
public sealed class PostgreSqlConfigurationException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public PostgreSqlConfigurationException()
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    public PostgreSqlConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with its cause.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The cause.</param>
    public PostgreSqlConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
