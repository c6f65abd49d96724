using WriteBehindAkka.Journal;
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
}
