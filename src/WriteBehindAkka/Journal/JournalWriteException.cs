namespace WriteBehindAkka.Journal;

/// <summary>
/// A write's journal record could not be written (disk full, permissions, I/O error), so the write was not
/// acknowledged. The cache had already applied it in memory, so it may still reach the store.
/// </summary>
public sealed class JournalWriteException : IOException
{
    /// <summary>Creates the exception.</summary>
    public JournalWriteException()
        : base("The journal record could not be written; the write was not acknowledged.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public JournalWriteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the I/O error.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The I/O error.</param>
    public JournalWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
