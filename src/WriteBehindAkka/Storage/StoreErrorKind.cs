namespace WriteBehindAkka.Storage;

/// <summary>How the pipeline treats an exception thrown by a store.</summary>
public enum StoreErrorKind
{
    /// <summary>
    /// The store may succeed if asked again (connection lost, timeout, serialization failure, deadlock,
    /// shutdown): the batch is retried whole with exponential backoff.
    /// </summary>
    Transient = 0,

    /// <summary>
    /// The data itself was refused (constraint violation, value too long, invalid text): retrying the same
    /// records cannot succeed, so the batch is split to isolate the records at fault.
    /// </summary>
    Permanent = 1,
}
