using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>
/// Passes every call to the real store and remembers since when its batch writes have been failing with
/// transient errors (the cache then retries with backoff and commits nothing), for the health check.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <remarks>
/// A committed batch clears the mark; a transient failure sets it if it is clear; a permanent failure (the store
/// refused a record's data, which the cache isolates) leaves it as it is: the store answered.
/// </remarks>
internal sealed class MonitoredStore<TKey> : IWriteBehindStore<TKey>
    where TKey : notnull
{
    /// <summary>No failure is being tracked.</summary>
    private const long NotFailing = long.MinValue;

    private readonly TimeProvider _time;

    /// <summary>UTC ticks of the first transient failure since the last commit, or <see cref="NotFailing"/>.</summary>
    private long _failingSince = NotFailing;

    public MonitoredStore(IWriteBehindStore<TKey> inner, TimeProvider time)
    {
        Inner = inner;
        _time = time;
    }

    /// <summary>Gets the real store.</summary>
    public IWriteBehindStore<TKey> Inner { get; }

    /// <summary>Gets when the current run of transient failures began, or <see langword="null"/> when the last batch was committed.</summary>
    public DateTimeOffset? FailingSince
    {
        get
        {
            long ticks = Volatile.Read(ref _failingSince);
            return ticks == NotFailing ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <inheritdoc />
    public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<TKey>> batch, CancellationToken cancellationToken)
    {
        try
        {
            await Inner.WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested && IsTransient(error))
        {
            Interlocked.CompareExchange(ref _failingSince, _time.GetUtcNow().UtcTicks, NotFailing);
            throw;
        }

        Volatile.Write(ref _failingSince, NotFailing);
    }

    /// <inheritdoc />
    public ValueTask<StoredEntry?> LoadAsync(TKey key, CancellationToken cancellationToken) => Inner.LoadAsync(key, cancellationToken);

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception error) => Inner.Classify(error);

    /// <summary>The store's classification; a classifier that throws counts as permanent, as in the cache.</summary>
    private bool IsTransient(Exception error)
    {
        try
        {
            return Inner.Classify(error) == StoreErrorKind.Transient;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
