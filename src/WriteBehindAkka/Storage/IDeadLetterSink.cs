namespace WriteBehindAkka.Storage;

/// <summary>
/// Where the cache records the writes a store refused for good (see <see cref="DeadLetter{TKey}"/>). A record
/// leaves the cache's backlog only once its dead letter is written here, so nothing accepted disappears unseen.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <remarks>
/// The writer loop calls <see cref="WriteAsync"/> with the records its batch could not write and retries a failed
/// call with the restart backoff (for ever by default) while <see cref="Classify"/> says the error is transient;
/// letters the sink refuses for good stay Failed in memory and count toward the pending bound.
/// </remarks>
public interface IDeadLetterSink<TKey>
    where TKey : notnull
{
    /// <summary>
    /// Records dead letters. For each key keep the letter with the highest version (a letter replaces one of the
    /// same or an older version).
    /// </summary>
    /// <param name="letters">The letters; never empty, keys distinct.</param>
    /// <param name="cancellationToken">Cancelled when the cache shuts down past its deadline.</param>
    /// <returns>A task that completes when the letters are durable.</returns>
    ValueTask WriteAsync(IReadOnlyList<DeadLetter<TKey>> letters, CancellationToken cancellationToken);

    /// <summary>Classifies an exception thrown by <see cref="WriteAsync"/>.</summary>
    /// <param name="error">The exception.</param>
    /// <returns>Whether retrying can succeed; the default says it can.</returns>
    StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
}
