namespace WriteBehindAkka;

/// <summary>
/// A write awaited at <see cref="WriteConsistency.Committed"/> was not committed: the store refused its record
/// (a permanent data error, isolated from the rest of its batch) or its retries ran out. The cache still holds
/// the value; the key's status is Failed until a later write to it commits.
/// </summary>
public sealed class WriteFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WriteFailedException()
        : base("The write was not committed to the store.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public WriteFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the store's error.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The store's error.</param>
    public WriteFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
