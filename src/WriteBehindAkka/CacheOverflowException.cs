namespace WriteBehindAkka;

/// <summary>
/// A write was refused because the cache holds its bound of pending entries or bytes and the overflow
/// strategy is <see cref="Options.OverflowStrategy.Fail"/>. The write was not accepted; nothing was changed.
/// </summary>
public sealed class CacheOverflowException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CacheOverflowException()
        : base("The write-behind cache is full: it holds its bound of pending writes. Retry later, raise MaxPendingEntries/MaxPendingBytes, or use OverflowStrategy.Backpressure to wait instead.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public CacheOverflowException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public CacheOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
