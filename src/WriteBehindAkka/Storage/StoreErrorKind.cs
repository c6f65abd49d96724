namespace WriteBehindAkka.Storage;

/// <summary>How the pipeline treats an exception thrown by a store.</summary>
public enum StoreErrorKind
{
    /// <summary>
    /// The store may succeed if asked again (connection lost, timeout, serialization failure, deadlock,
    /// shutdown, too many connections): the batch is retried whole with exponential backoff and jitter, within
    /// the restart budget.
    /// </summary>
    Transient = 0,

    /// <summary>
    /// The data itself was refused (constraint violation, value too long, invalid text, numeric out of range, a
    /// serializer or column getter that throws): retrying the same records cannot succeed, so the batch is split
    /// to isolate the records at fault, which are Failed and dead-lettered.
    /// </summary>
    Permanent = 1,

    /// <summary>
    /// The store refuses every write whatever the data, until an operator changes something (a missing table or
    /// column, a missing privilege, a read-only server, a bad password): splitting the batch would dead-letter
    /// every record for a fault that is not theirs, so the batch is retried whole with backoff, never given up on
    /// (the restart budget does not apply), and the cache's health is Degraded until a write succeeds.
    /// </summary>
    Configuration = 2,
}
