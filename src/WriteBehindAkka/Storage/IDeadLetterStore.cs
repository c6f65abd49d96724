namespace WriteBehindAkka.Storage;

/// <summary>A dead-letter sink an operator can also read and clean up: list, get and delete letters.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <remarks>Implementations: the PostgreSQL dead-letter table and the test kit's in-memory store.</remarks>
public interface IDeadLetterStore<TKey> : IDeadLetterSink<TKey>
    where TKey : notnull
{
    /// <summary>Lists letters, oldest failure first (then by key).</summary>
    /// <param name="offset">How many letters to skip; 0 or more.</param>
    /// <param name="limit">The most letters to return; 1 or more.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The letters.</returns>
    ValueTask<IReadOnlyList<DeadLetter<TKey>>> ListAsync(int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Counts the letters.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    ValueTask<long> CountAsync(CancellationToken cancellationToken);

    /// <summary>Reads the letter of a key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The letter, or <see langword="null"/> when the key has none.</returns>
    ValueTask<DeadLetter<TKey>?> GetAsync(TKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes a letter if it is still the one stored for its key: same version and same failure time. A letter
    /// written again meanwhile (the write failed again) is kept.
    /// </summary>
    /// <param name="letter">The letter, as read from this store.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>Whether the letter was deleted.</returns>
    ValueTask<bool> DeleteAsync(DeadLetter<TKey> letter, CancellationToken cancellationToken);
}
