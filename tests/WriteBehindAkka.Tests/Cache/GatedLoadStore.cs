using System.Collections.Concurrent;
using System.Threading.Channels;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>
/// A store whose every load (one key or a batch) reads its rows at once and then waits until the test opens it:
/// <see cref="NextLoadAsync"/> hands the test each load as it starts, to release (or fail) in the order it chooses.
/// Writes go straight to <see cref="Inner"/>.
/// </summary>
internal sealed class GatedLoadStore : IWriteBehindStore<string>
{
    private readonly Channel<Gate> _started = Channel.CreateUnbounded<Gate>();

    public InMemoryStore<string> Inner { get; } = new();

    /// <summary>A load under way: the keys it read, and what lets it answer.</summary>
    public sealed class Gate(IReadOnlyList<string> keys)
    {
        public IReadOnlyList<string> Keys { get; } = keys;

        internal TaskCompletionSource<Exception?> Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => Open.TrySetResult(null);

        public void Fail(Exception error) => Open.TrySetResult(error);
    }

    /// <summary>How many loads (one-key or batch) started.</summary>
    public int Loads;

    /// <summary>Set: the loads that start from now on answer at once.</summary>
    public volatile bool Ungated;

    /// <summary>Awaits the next load to start.</summary>
    public async Task<Gate> NextLoadAsync() => await _started.Reader.ReadAsync().AsTask().WaitAsync(Harness.Within);

    public bool AnyLoadWaiting => _started.Reader.TryPeek(out _);

    public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) =>
        Inner.WriteBatchAsync(batch, cancellationToken);

    public async ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) =>
        (await LoadManyAsync([key], cancellationToken))[0];

    public async ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Loads);
        var rows = new List<StoredEntry?>();
        foreach (var key in keys)
        {
            rows.Add(await Inner.LoadAsync(key, cancellationToken));
        }

        if (Ungated)
        {
            return rows;
        }

        var gate = new Gate([.. keys]);
        _started.Writer.TryWrite(gate);
        if (await gate.Open.Task.WaitAsync(cancellationToken) is { } error)
        {
            throw error;
        }

        return rows;
    }

    public StoreErrorKind Classify(Exception error) => Inner.Classify(error);
}
