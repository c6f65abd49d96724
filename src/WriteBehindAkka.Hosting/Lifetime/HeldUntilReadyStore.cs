using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>
/// The store as a cache created before the host started sees it: writes and loads wait until the store's start-up
/// work (creating its table, say) has run, instead of failing against a store that is not ready. Everything else
/// the store offers passes through.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="inner">The store.</param>
/// <param name="ready">Completes when the start-up work has run (or failed, or the cache is stopping).</param>
/// <param name="held">Called (on the first write or load held) to say that one is: the runtime warns when nothing has started it.</param>
internal sealed class HeldUntilReadyStore<TKey>(IWriteBehindStore<TKey> inner, Task ready, Action held) : IWriteBehindStore<TKey>
    where TKey : notnull
{
    private int _heldOnce;

    /// <inheritdoc />
    public IDeadLetterStore<TKey>? DeadLetters => inner.DeadLetters;

    /// <inheritdoc />
    public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<TKey>> batch, CancellationToken cancellationToken)
    {
        if (!ready.IsCompleted)
        {
            await HoldAsync(cancellationToken).ConfigureAwait(false);
        }

        await inner.WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<StoredEntry?> LoadAsync(TKey key, CancellationToken cancellationToken)
    {
        if (!ready.IsCompleted)
        {
            await HoldAsync(cancellationToken).ConfigureAwait(false);
        }

        return await inner.LoadAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken)
    {
        if (!ready.IsCompleted)
        {
            await HoldAsync(cancellationToken).ConfigureAwait(false);
        }

        return await inner.LoadManyAsync(keys, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long?> LoadVersionAsync(TKey key, CancellationToken cancellationToken)
    {
        if (!ready.IsCompleted)
        {
            await HoldAsync(cancellationToken).ConfigureAwait(false);
        }

        return await inner.LoadVersionAsync(key, cancellationToken).ConfigureAwait(false);
    }

    private Task HoldAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _heldOnce, 1) == 0)
        {
            held();
        }

        return ready.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public StoreErrorKind Classify(Exception error) => inner.Classify(error);

    /// <inheritdoc />
    public string? GetErrorCode(Exception error) => inner.GetErrorCode(error);

    /// <inheritdoc />
    public string? GetKeyError(TKey key) => inner.GetKeyError(key);

    /// <inheritdoc />
    public bool IsTimeout(Exception error) => inner.IsTimeout(error);
}
