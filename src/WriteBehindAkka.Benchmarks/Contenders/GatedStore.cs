using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>
/// A store in front of another that holds every batch back while its gate is closed: the cache accepts writes and
/// its pipeline forms batches, but nothing commits until <see cref="Open"/>. Everything else goes straight through.
/// </summary>
internal sealed class GatedStore<TKey> : IWriteBehindStore<TKey>
    where TKey : notnull
{
    private readonly IWriteBehindStore<TKey> _inner;
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    public GatedStore(IWriteBehindStore<TKey> inner)
    {
        _inner = inner;
        _gate.SetResult();
    }

    /// <summary>Holds back every batch from now on (a batch already past the gate goes on).</summary>
    public void Close()
    {
        if (Volatile.Read(ref _gate).Task.IsCompleted)
        {
            Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }

    /// <summary>The batches waiting at the gate now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Lets the held batches, and every later one, through.</summary>
    public void Open() => Volatile.Read(ref _gate).TrySetResult();

    public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<TKey>> batch, CancellationToken cancellationToken)
    {
        var gate = Volatile.Read(ref _gate).Task;
        if (!gate.IsCompleted)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }

        await _inner.WriteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<StoredEntry?> LoadAsync(TKey key, CancellationToken cancellationToken) => _inner.LoadAsync(key, cancellationToken);

    public ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken) =>
        _inner.LoadManyAsync(keys, cancellationToken);

    public ValueTask<long?> LoadVersionAsync(TKey key, CancellationToken cancellationToken) => _inner.LoadVersionAsync(key, cancellationToken);

    public StoreErrorKind Classify(Exception error) => _inner.Classify(error);

    public string? GetErrorCode(Exception error) => _inner.GetErrorCode(error);

    public bool IsTimeout(Exception error) => _inner.IsTimeout(error);

    public string? GetKeyError(TKey key) => _inner.GetKeyError(key);

    public IDeadLetterStore<TKey>? DeadLetters => _inner.DeadLetters;
}
