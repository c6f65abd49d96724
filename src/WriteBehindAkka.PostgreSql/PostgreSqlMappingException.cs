namespace WriteBehindAkka.PostgreSql;

/// <summary>
/// A record could not be turned into column values (the serializer or a column getter threw), or a loaded row
/// could not be turned into a value. Retrying cannot help, so the store classifies it as permanent.
/// </summary>
public sealed class PostgreSqlMappingException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public PostgreSqlMappingException()
    {
    }

    /// <summary>Creates an exception.</summary>
    /// <param name="message">What failed and what to do.</param>
    public PostgreSqlMappingException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with its cause.</summary>
    /// <param name="message">What failed and what to do.</param>
    /// <param name="innerException">The serializer's, getter's or row reader's exception.</param>
    public PostgreSqlMappingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
