namespace WriteBehindAkka.Storage;

/// <summary>
/// A write the store refused for good: the record as it was sent, why it was refused, and when. The cache hands
/// dead letters to an <see cref="IDeadLetterSink{TKey}"/>; an operator lists, retries or discards them through the
/// cache (<see cref="IWriteBehindCache{TKey, TValue}.ListDeadLettersAsync"/> and its neighbours).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Operation">Upsert or delete.</param>
/// <param name="Value">The serialized value (the cache serializer's format); <see langword="null"/> for a delete.</param>
/// <param name="Version">The version the write was made at.</param>
/// <param name="Error">The store's error message.</param>
/// <param name="ErrorCode">The store's error code (PostgreSQL: the SQLSTATE), or <see langword="null"/>.</param>
/// <param name="ErrorKind">
/// <see cref="StoreErrorKind.Permanent"/> when the store refused the record's data (isolated by splitting its batch);
/// <see cref="StoreErrorKind.Transient"/> when transient errors outlasted the restart budget.
/// </param>
/// <param name="FailedAt">When the failure was recorded, truncated to the microsecond (so that stores keep it exactly).</param>
public sealed record DeadLetter<TKey>(
    TKey Key,
    WriteOperation Operation,
    byte[]? Value,
    long Version,
    string Error,
    string? ErrorCode,
    StoreErrorKind ErrorKind,
    DateTimeOffset FailedAt)
    where TKey : notnull;
