using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>An in-memory store that offers no dead-letter store (as a store of the user's own might).</summary>
internal sealed class NoDeadLetterStore(InMemoryStore<string> inner) : IWriteBehindStore<string>
{
    public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) => inner.WriteBatchAsync(batch, cancellationToken);

    public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => inner.LoadAsync(key, cancellationToken);

    public StoreErrorKind Classify(Exception error) => inner.Classify(error);
}
