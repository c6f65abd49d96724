namespace WriteBehindAkka.Storage;

/// <summary>
/// Where the cache drains its writes. Implementations: the PostgreSQL store
/// (<c>WriteBehindAkka.PostgreSql</c>) and the test kit's scriptable in-memory store.
/// </summary>
/// <typeparam name="TKey">The cache's key type.</typeparam>
/// <remarks>
/// The pipeline calls <see cref="WriteBatchAsync"/> from several writer loops at once, but never with the
/// same key in two concurrent batches, and never with the same key twice in one batch.
/// </remarks>
public interface IWriteBehindStore<TKey>
    where TKey : notnull
{
    /// <summary>
    /// Applies every record of the batch atomically (all or none), each only where the stored version is
    /// older than the record's, so that a retried or replayed batch never overwrites newer data.
    /// </summary>
    /// <param name="batch">The records; never empty, keys distinct.</param>
    /// <param name="cancellationToken">Cancelled when the cache shuts down past its deadline.</param>
    /// <returns>A task that completes when the batch is committed, or faults with the store's error.</returns>
    ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<TKey>> batch, CancellationToken cancellationToken);

    /// <summary>Loads one key for read-through.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancelled when the cache shuts down.</param>
    /// <returns>The stored row, or <see langword="null"/> when there is none.</returns>
    ValueTask<StoredEntry?> LoadAsync(TKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Loads several keys for read-through at once (<see cref="IWriteBehindCache{TKey, TValue}.GetManyAsync"/>
    /// misses). By default it calls <see cref="LoadAsync"/> for every key at once (concurrently, as the cache calls it
    /// for concurrent reads of different keys) and fails when any of them fails; a store that can read many rows in
    /// one round trip (the PostgreSQL store: one query) overrides it.
    /// </summary>
    /// <param name="keys">The keys; never empty, distinct.</param>
    /// <param name="cancellationToken">Cancelled when the cache shuts down.</param>
    /// <returns>The stored row of each key, in the order of <paramref name="keys"/>; <see langword="null"/> where there is none.</returns>
    async ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);

        // One after another, a call of many misses would take their summed latency. Each load is awaited (none is
        // left unobserved, even one that throws before it returns a task) before the first error is thrown.
        var loads = new Task<StoredEntry?>[keys.Count];
        for (int i = 0; i < loads.Length; i++)
        {
            loads[i] = LoadOneAsync(keys[i], cancellationToken);
        }

        return await Task.WhenAll(loads).ConfigureAwait(false);
    }

    /// <summary>Runs <see cref="LoadAsync"/> as a task that carries any error it throws.</summary>
    private async Task<StoredEntry?> LoadOneAsync(TKey key, CancellationToken cancellationToken) =>
        await LoadAsync(key, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Reads only the stored version of a key, for deciding whether a dead letter's write is superseded
    /// (<see cref="IWriteBehindCache{TKey, TValue}.RetryDeadLetterAsync"/>), which needs no value. By default it
    /// calls <see cref="LoadAsync"/>; a store that can read the version without building a value (one that cannot
    /// build values at all, with read-through off) overrides it.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The stored version (0 when the store keeps none for a row), or <see langword="null"/> when there is no row.</returns>
    async ValueTask<long?> LoadVersionAsync(TKey key, CancellationToken cancellationToken) =>
        (await LoadAsync(key, cancellationToken).ConfigureAwait(false))?.Version;

    /// <summary>Classifies an exception thrown by <see cref="WriteBatchAsync"/>.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>Whether retrying the same batch can succeed.</returns>
    StoreErrorKind Classify(Exception error);

    /// <summary>
    /// A short code for an exception thrown by <see cref="WriteBatchAsync"/>, kept with dead letters and shown in
    /// health reports (the PostgreSQL store returns the SQLSTATE).
    /// </summary>
    /// <param name="error">The exception.</param>
    /// <returns>The code, or <see langword="null"/> when the store has none (the default).</returns>
    string? GetErrorCode(Exception error) => null;

    /// <summary>
    /// Whether an exception thrown by <see cref="WriteBatchAsync"/> says the batch ran too long. A batch of several
    /// records that times out twice in a row is split in halves and retried in parts, rather than retried whole for
    /// ever. The default looks for a <see cref="TimeoutException"/> among the exception and its causes; the PostgreSQL
    /// store counts only a statement's timeout (57014, 25P04, or Npgsql's command timeout), not one to connect.
    /// </summary>
    /// <param name="error">The exception.</param>
    /// <returns>True for a timeout.</returns>
    bool IsTimeout(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Says why the store can never hold <paramref name="key"/>, so that the cache refuses the write at once with an
    /// <see cref="ArgumentException"/> instead of accepting a write that every retry, and the dead-letter table
    /// too, would refuse. Called on the caller's thread for every write: keep it cheap.
    /// </summary>
    /// <param name="key">The key of a write.</param>
    /// <returns>Why the key cannot be stored, or <see langword="null"/> when it can (the default).</returns>
    string? GetKeyError(TKey key) => null;

    /// <summary>
    /// The dead-letter store that goes with this store: where the cache records the writes the store refused when
    /// no other sink is given to the cache. The PostgreSQL store returns its dead-letter table.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no dead-letter store.</value>
    IDeadLetterStore<TKey>? DeadLetters => null;
}
