using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>A store whose batches never commit (they wait until cancelled): every write stays pending in the cache.</summary>
internal sealed class NeverCommittingStore : IWriteBehindStore<long>
{
    public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<long>> batch, CancellationToken cancellationToken) =>
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);

    public ValueTask<StoredEntry?> LoadAsync(long key, CancellationToken cancellationToken) => ValueTask.FromResult<StoredEntry?>(null);

    public StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
}
