using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Pipeline;

public sealed class HungStoreTests
{
    [Fact]
    public async Task StoreCallThatNeverReturns_HoldsOnlyItsLane_OtherLanesDrain_NothingLostWhenItReturns()
    {
        // A write of the stuck key hangs in the store, ignoring its token, until released: the other lane's shard
        // keeps writing, a flush can be cancelled, and the held write lands once the call returns.
        var store = new HangingStore("stuck");
        var options = Harness.Options(o => o with { ShardCount = 2, Parallelism = 2 });
        await using var cache = new WriteBehindCache<string, string>(store, options, jitter: () => 0.0);
        string stuck = "stuck";
        var others = Enumerable.Range(0, 1000).Select(i => $"k{i}").Where(k => cache.ShardOf(k) != cache.ShardOf(stuck)).Take(20).ToArray();

        await cache.SetAsync(stuck, "held");
        Assert.True(store.Hanging.Wait(Harness.Within));
        foreach (var key in others)
        {
            await cache.SetAsync(key, "v");
        }

        var until = DateTime.UtcNow + Harness.Within;
        while (!others.All(store.Inner.Rows.ContainsKey) && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        Assert.All(others, key => Assert.True(store.Inner.Rows.ContainsKey(key), $"{key} written while another lane hangs"));
        Assert.False(store.Inner.Rows.ContainsKey(stuck));

        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cache.FlushAsync(cancel.Token));
        }

        store.Release.SetResult();
        Assert.True((await cache.FlushAsync().Within()).AllCommitted);
        Assert.Equal("held", Harness.Text(store.Inner.Rows[stuck].Value));
        Assert.Equal(1 + others.Length, store.Inner.Rows.Count);
    }

    /// <summary>Hangs every batch holding <c>key</c>, whatever its token says, until <see cref="Release"/>; the rest go to an in-memory store.</summary>
    private sealed class HangingStore(string key) : IWriteBehindStore<string>
    {
        public InMemoryStore<string> Inner { get; } = new();

        public ManualResetEventSlim Hanging { get; } = new();

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken)
        {
            if (batch.Any(record => record.Key == key))
            {
                Hanging.Set();
                await Release.Task;
            }

            await Inner.WriteBatchAsync(batch, cancellationToken);
        }

        public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => Inner.LoadAsync(key, cancellationToken);

        public StoreErrorKind Classify(Exception error) => Inner.Classify(error);
    }
}
