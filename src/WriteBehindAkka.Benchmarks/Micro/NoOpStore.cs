using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Benchmarks.Micro;

/// <summary>A store that commits every batch at once without doing anything: isolates the cache's own cost.</summary>
internal sealed class NoOpStore : IWriteBehindStore<long>
{
    public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<long>> batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<StoredEntry?> LoadAsync(long key, CancellationToken cancellationToken) => ValueTask.FromResult<StoredEntry?>(null);

    public StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
}
