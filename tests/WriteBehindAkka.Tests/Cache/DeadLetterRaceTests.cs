using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Cache;

/// <summary>Operator actions on dead letters racing the writer that records them.</summary>
public sealed class DeadLetterRaceTests
{
    [Fact]
    public async Task RetryDeadLetterAsync_LetterRecordedButItsOutcomeNotYetAtTheShard_WaitsForItAndResubmits()
    {
        // The lane writes a refused record's letter, then (later) tells the shard. A retry in between finds the
        // entry in flight at the letter's version: that is the refused write itself, not a resubmitted one.
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        var sink = new HeldSink(store.DeadLetters);
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(), deadLetters: sink, jitter: () => 0.0);
        sink.Hold = true;
        var write = await cache.SetAsync("k", "v", WriteConsistency.Accepted);
        Assert.True(await sink.Written.WaitAsync(Harness.Within));

        var retry = cache.RetryDeadLetterAsync("k").AsTask();
        await cache.GetStatusAsync("k").AsTask().Within(); // the shard has seen the retry
        store.PoisonKeys.Clear();
        sink.Hold = false;
        sink.Gate.Release();
        var result = await retry.Within();
        await cache.FlushAsync().Within();

        // The refused write landed Failed and was then resubmitted; the store takes it now.
        Assert.Equal(new DeadLetterRetryResult(DeadLetterRetryOutcome.Resubmitted, write.Version), result);
        Assert.Equal((write.Version, "v"), (store.Rows["k"].Version, Harness.Text(store.Rows["k"].Value)));
        Assert.Empty(store.DeadLetters.Letters);
        Assert.Equal((0L, 0L), (cache.GetStatistics().PendingEntries, cache.GetStatistics().FailedKeys));
    }

    [Fact]
    public async Task DiscardDeadLetterAsync_LetterRecordedButItsOutcomeNotYetAtTheShard_TheFailedEntryIsDroppedToo()
    {
        var store = new InMemoryStore<string>();
        store.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("stored"), 1);
        store.PoisonKeys["k"] = true;
        var sink = new HeldSink(store.DeadLetters);
        await using var cache = new WriteBehindCache<string, string>(store, Harness.Options(), deadLetters: sink, jitter: () => 0.0);
        sink.Hold = true;
        await cache.SetAsync("k", "refused", WriteConsistency.Accepted);
        Assert.True(await sink.Written.WaitAsync(Harness.Within));

        var discard = cache.DiscardDeadLetterAsync("k").AsTask();
        await cache.GetStatusAsync("k").AsTask().Within(); // the shard has seen the discard
        sink.Hold = false;
        sink.Gate.Release();
        bool discarded = await discard.Within();
        await cache.FlushAsync().Within();

        // As documented: the letter is gone and so is the Failed entry holding the discarded write; reads go to the store.
        Assert.True(discarded);
        Assert.Empty(store.DeadLetters.Letters);
        Assert.Equal(KeyStatus.NotCached, await cache.GetStatusAsync("k"));
        Assert.Equal("stored", await cache.GetAsync("k"));
        Assert.Equal(0, cache.GetStatistics().FailedKeys);
    }

    /// <summary>The test kit's dead-letter store, with writes that can be held after they wrote.</summary>
    internal sealed class HeldSink(InMemoryDeadLetterStore<string> inner) : IDeadLetterStore<string>
    {
        public volatile bool Hold;

        public SemaphoreSlim Written { get; } = new(0);

        public SemaphoreSlim Gate { get; } = new(0);

        public async ValueTask WriteAsync(IReadOnlyList<DeadLetter<string>> letters, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(letters, cancellationToken);
            if (Hold)
            {
                Written.Release();
                await Gate.WaitAsync(cancellationToken);
            }
        }

        public StoreErrorKind Classify(Exception error) => inner.Classify(error);

        public ValueTask<IReadOnlyList<DeadLetter<string>>> ListAsync(int offset, int limit, CancellationToken cancellationToken) => inner.ListAsync(offset, limit, cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

        public ValueTask<DeadLetter<string>?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

        public ValueTask<bool> DeleteAsync(DeadLetter<string> letter, CancellationToken cancellationToken) => inner.DeleteAsync(letter, cancellationToken);
    }
}
