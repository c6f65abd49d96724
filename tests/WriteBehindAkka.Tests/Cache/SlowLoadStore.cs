using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// A store whose first load reads the row at once but answers only when <see cref="Release"/>d, like a slow replica:
/// what a test needs to change the row, write or evict while a read-through load is under way.
/// </summary>
internal sealed class SlowLoadStore : IWriteBehindStore<string>
{
    public InMemoryStore<string> Inner { get; } = new();

    /// <summary>Completed once the first load has read its row.</summary>
    public TaskCompletionSource Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the first load answer.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) =>
        Inner.WriteBatchAsync(batch, cancellationToken);

    public async ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken)
    {
        var row = await Inner.LoadAsync(key, cancellationToken);
        if (Loaded.TrySetResult())
        {
            await Release.Task.WaitAsync(cancellationToken); // only the first load is slow
        }

        return row;
    }

    public StoreErrorKind Classify(Exception error) => Inner.Classify(error);
}
