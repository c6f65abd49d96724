using WriteBehindAkka.Journal;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>A dead letter discarded before a crash stays discarded: its write is not replayed.</summary>
public sealed class JournalDiscardTests : JournalTestBase
{
    /// <summary>
    /// The store refused a write of "k"; its letter was recorded and the operator discarded it ("Nothing is written":
    /// the stored row stays). Its record stayed in the journal until its segment was truncated, which waits for the
    /// segment to fill, so a crash before then replayed the discarded write: the store, fixed meanwhile, took it over
    /// the row the operator chose to keep (or, still refusing it, brought the discarded letter back).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DiscardedLetter_ThenACrash_ItsWriteIsNotReplayed(bool evictedBeforeTheDiscard)
    {
        var store = new InMemoryStore<string>();
        var folder = Folder("discard-" + evictedBeforeTheDiscard);
        string crashed;
        await using (var cache = Harness.Cache(store, Options(folder)))
        {
            await cache.SetAsync("k", "good", WriteConsistency.Committed).AsTask().Within();
            store.PoisonKeys["k"] = true;
            await cache.SetAsync("k", "bad").AsTask().Within();
            Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());
            if (evictedBeforeTheDiscard)
            {
                Assert.True(await cache.EvictAsync("k")); // the Failed entry is recorded (dead-lettered): it may leave memory
            }

            Assert.True(await cache.DiscardDeadLetterAsync("k"));
            crashed = SnapshotAsCrashed(folder, "discard-crash-" + evictedBeforeTheDiscard);
        }

        store.PoisonKeys.Clear(); // the store would take it now
        await using (var restarted = Harness.Cache(store, Options(crashed)))
        {
            Assert.Equal(new FlushResult(0), await restarted.FlushAsync().Within());
            Assert.Equal(0, restarted.JournalRecovery.Keys);
            Assert.Equal("good", await restarted.GetAsync("k"));
        }

        Assert.Equal("good", Harness.Text(store.Rows["k"].Value));
        Assert.Empty(store.DeadLetters.Letters);
    }

    /// <summary>A write of the key after the discard is newer than the discard: it is replayed.</summary>
    [Fact]
    public async Task WriteAfterADiscard_ThenACrash_IsReplayed()
    {
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true;
        var folder = Folder("discard-then-write");
        string crashed;
        await using (var cache = Harness.Cache(store, Options(folder)))
        {
            await cache.SetAsync("k", "bad").AsTask().Within();
            Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());
            Assert.True(await cache.DiscardDeadLetterAsync("k"));
            await cache.SetAsync("k", "after").AsTask().Within(); // refused by the store too: the journal holds it
            crashed = SnapshotAsCrashed(folder, "discard-then-write-crash");
        }

        store.PoisonKeys.Clear();
        await using (var restarted = Harness.Cache(store, Options(crashed)))
        {
            Assert.Equal(new FlushResult(0), await restarted.FlushAsync().Within());
        }

        Assert.Equal("after", Harness.Text(store.Rows["k"].Value));
    }

    /// <summary>
    /// An operator retries a dead letter while another discards it. The retry read the letter, the discard then deleted
    /// it and journaled its discard, and the retry went on to resubmit the write (journaled after the discard, at the
    /// letter's version): the live cache held the write, pending for the store, but a crash replayed nothing, since the
    /// discard's record covers the letter's version. Whichever wins, what the cache holds and what a restart restores
    /// must agree, and both calls cannot win.
    /// </summary>
    [Fact]
    public async Task RetryAndDiscardOfOneLetterAtOnce_TheLiveCacheAndAReplayAgree()
    {
        var store = new InMemoryStore<string>();
        var letters = new HeldGets(store.DeadLetters);
        var folder = Folder("retry-and-discard");
        string crashed;
        string? live;
        DeadLetterRetryResult retried;
        bool discarded;
        await using (var cache = new WriteBehindCache<string, string>(store, Options(folder), jitter: () => 0.0, deadLetters: letters))
        {
            await cache.SetAsync("k", "good", WriteConsistency.Committed).AsTask().Within();
            store.PoisonKeys["k"] = true;
            await cache.SetAsync("k", "bad").AsTask().Within();
            Assert.Equal(new FlushResult(1), await cache.FlushAsync().Within());
            store.PoisonKeys.Clear();
            store.FailWhen = _ => new SimulatedStoreException(); // transient: nothing the retry resubmits commits before the crash

            letters.HoldNextGet = true;
            var retry = cache.RetryDeadLetterAsync("k").AsTask();
            await letters.Held.WaitAsync(Harness.Within); // the retry has read the letter
            var discard = cache.DiscardDeadLetterAsync("k").AsTask();
            await Task.WhenAny(discard, Task.Delay(500)); // the discard may finish first (it must not matter)
            letters.Gate.Release();
            retried = await retry.Within();
            discarded = await discard.Within();
            live = await cache.GetAsync("k").AsTask().Within();
            crashed = SnapshotAsCrashed(folder, "retry-and-discard-crash");
            store.FailWhen = null;
        }

        var fresh = new InMemoryStore<string>();
        fresh.Seed("k", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes("good"), 1);
        await using var restarted = Harness.Cache(fresh, Options(crashed));
        await restarted.FlushAsync().Within();
        Assert.Equal(live, await restarted.GetAsync("k"));
        Assert.False(retried.Outcome == DeadLetterRetryOutcome.Resubmitted && discarded, "both the retry and the discard of one letter said they won");
    }

    /// <summary>The test kit's dead-letter store, with a read (<see cref="GetAsync"/>) that can be held after it read.</summary>
    private sealed class HeldGets(InMemoryDeadLetterStore<string> inner) : IDeadLetterStore<string>
    {
        public volatile bool HoldNextGet;

        public SemaphoreSlim Held { get; } = new(0);

        public SemaphoreSlim Gate { get; } = new(0);

        public ValueTask WriteAsync(IReadOnlyList<DeadLetter<string>> letters, CancellationToken cancellationToken) => inner.WriteAsync(letters, cancellationToken);

        public StoreErrorKind Classify(Exception error) => inner.Classify(error);

        public ValueTask<IReadOnlyList<DeadLetter<string>>> ListAsync(int offset, int limit, CancellationToken cancellationToken) => inner.ListAsync(offset, limit, cancellationToken);

        public ValueTask<long> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

        public async ValueTask<DeadLetter<string>?> GetAsync(string key, CancellationToken cancellationToken)
        {
            var letter = await inner.GetAsync(key, cancellationToken);
            if (HoldNextGet)
            {
                HoldNextGet = false;
                Held.Release();
                await Gate.WaitAsync(cancellationToken);
            }

            return letter;
        }

        public ValueTask<bool> DeleteAsync(DeadLetter<string> letter, CancellationToken cancellationToken) => inner.DeleteAsync(letter, cancellationToken);
    }
}
