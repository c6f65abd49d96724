using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>Bulk writes under the journal: one fsync covers many writes, and none is acknowledged that is not on disk.</summary>
public sealed class BulkJournalTests : JournalTestBase
{
    private static IEnumerable<KeyValuePair<string, string>> Items(int count, string prefix = "k") =>
        Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>($"{prefix}{i}", $"v{i}"));

    [Fact]
    public async Task Always_ABulkWriteIsAcknowledgedAfterAFewFsyncs_AndEveryWriteSurvivesACrash()
    {
        var store = new InMemoryStore<string>();
        store.Pause(); // nothing committed: after the crash only the journal has them
        var folder = Folder("always");
        await using (var cache = Harness.Cache(store, Options(folder, segmentBytes: 1024 * 1024)))
        {
            long before = cache.Journal!.Fsyncs;

            var result = await cache.SetManyAsync(Items(500)).AsTask().Within();

            Harness.AssertBulk(500, WriteConsistency.Journaled, result);
            // The shards were idle: each write ran on this thread and one wait covered all 500. Appends wake the
            // loop, so a few fsyncs may start while they are made; far fewer than one per write.
            Assert.InRange(cache.Journal.Fsyncs - before, 1, 50);
            var crashed = SnapshotAsCrashed(folder, "always-crash"); // SIGKILL now
            store.Resume();

            var recovered = new InMemoryStore<string>();
            await using (var restarted = Harness.Cache(recovered, Options(crashed, segmentBytes: 1024 * 1024)))
            {
                await restarted.FlushAsync().Within();
            }

            Assert.Equal(500, recovered.Rows.Count);
            Assert.Equal("v499", Harness.Text(recovered.Rows["k499"].Value!));
        }
    }

    [Fact]
    public async Task Always_AFailedFsync_FailsEveryWriteItCovered_NoneIsAcknowledged()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("fsync-failed")));
        await cache.SetAsync("warm", "v");
        cache.Journal!.SyncFaultInjector = () => new IOException("Input/output error");

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => cache.SetManyAsync(Items(20)).AsTask().Within());

        cache.Journal.SyncFaultInjector = null;
        Assert.Equal(20, error.Taken); // applied in memory (they may still reach the store), but not acknowledged
        Assert.Equal(Enumerable.Range(0, 20), error.Failures.Select(f => f.Index));
        Assert.All(error.Failures, f => Assert.IsType<JournalWriteException>(f.Error));
        Assert.Contains("Input/output error", error.InnerException!.Message);
        Harness.AssertBulk(2, WriteConsistency.Journaled, await cache.SetManyAsync(Items(2, "after")).AsTask().Within());
    }

    [Fact]
    public async Task Journaled_WaitForTheFsyncCancelled_SaysEachWriteWasMadeAndStands()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("journaled-cancelled")));
        await cache.SetAsync("warm", "v");
        using var fsyncHeld = new ManualResetEventSlim(false);
        cache.Journal!.SyncFaultInjector = () =>
        {
            fsyncHeld.Wait(Harness.Within); // the journal's thread: the fsync does not end until released
            return null;
        };
        using var cancel = new CancellationTokenSource();

        var write = cache.SetManyAsync(Items(3), WriteConsistency.Journaled, cancel.Token).AsTask();
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => write.Within());
        fsyncHeld.Set();
        cache.Journal.SyncFaultInjector = null;

        Assert.Equal([0, 1, 2], error.Failures.Select(f => f.Index));
        Assert.All(error.Failures, f => Assert.Equal("The wait for this write to be Journaled was cancelled; the write was made and stands.", f.Error.Message));
        Assert.Equal("v2", await cache.GetAsync("k2").AsTask().Within());
    }

    [Fact]
    public async Task ARecordTheJournalRefuses_FailsAsNotApplied_AndOnTheCallersThreadEndsTheList()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("append-failed")));
        int appends = 0;
        cache.Journal!.FaultInjector = () => Interlocked.Increment(ref appends) == 3 ? new IOException("No space left on device") : null;

        var error = await Assert.ThrowsAsync<BulkWriteException>(() => cache.SetManyAsync(Items(5, "a")).AsTask().Within());

        cache.Journal.FaultInjector = null;
        var failure = Assert.Single(error.Failures);
        var refused = Assert.IsType<JournalWriteException>(failure.Error);
        Assert.Contains("was not applied", refused.Message);
        string key = $"a{failure.Index}";
        Assert.Null(await cache.GetAsync(key));
        // The third record appended: a write that ran on this thread ends the list there; one its busy shard ran
        // (the shards may still be busy with their start) is answered like its own Ask, and the list goes on. A write
        // queued behind a busy shard is appended later, so the third record appended can be that of index 2, 3 or 4.
        Assert.True(error.Taken == 5 || error.Taken == failure.Index, error.Message);
        for (int i = 0; i < 5; i++)
        {
            bool made = i != failure.Index && i < error.Taken;
            Assert.Equal(made ? $"v{i}" : null, await cache.GetAsync($"a{i}"));
        }
    }

    [Fact]
    public async Task Committed_ARecordTheJournalRefusesOnTheCallersThread_EndsTheList()
    {
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("committed-append-failed")));
        await cache.SetAsync("warm", "v");
        await cache.FlushAsync().Within();
        int appends = 0;
        cache.Journal!.FaultInjector = () => Interlocked.Increment(ref appends) == 2 ? new IOException("No space left on device") : null;

        // The second record is refused while the shard is idle: the write ran on this thread, was not applied,
        // and the list ends there. It went on, and the third write stood while the error named only the second, so
        // retrying the failed write (as BulkWriteException suggests) put the older value back over it.
        store.Pause(); // no outcome comes back to the shard while the list is made: it stays idle
        var write = cache.SetManyAsync([new("k", "1"), new("k", "2"), new("k", "3")], WriteConsistency.Committed).AsTask();
        store.Resume();
        var error = await Assert.ThrowsAsync<BulkWriteException>(() => write.Within());

        cache.Journal.FaultInjector = null;
        var failure = Assert.Single(error.Failures);
        Assert.Contains("was not applied", failure.Error.Message);
        Assert.Equal(1, failure.Index);
        Assert.Equal(1, error.Taken);
        Assert.Equal("1", await cache.GetAsync("k"));
    }

    [Fact]
    public async Task EverySecond_JournaledWaitsForAnFsync_AcceptedDoesNot()
    {
        var time = new ManualTimeProvider(); // the once-a-second fsync never comes on its own
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("every-second"), FsyncPolicy.EverySecond), time);
        long before = cache.Journal!.Fsyncs;

        Harness.AssertBulk(10, WriteConsistency.Accepted, await cache.SetManyAsync(Items(10)).AsTask().Within());
        Assert.Equal(before, cache.Journal.Fsyncs);

        Harness.AssertBulk(10, WriteConsistency.Journaled, await cache.SetManyAsync(Items(10, "j"), WriteConsistency.Journaled).AsTask().Within());
        Assert.True(cache.Journal.Fsyncs > before);
    }

    [Fact]
    public async Task WhenSynced_ASegmentWhoseFsyncFailedBeforeTheWait_IsCounted()
    {
        // A bulk write's records may be in a segment whose fsync failed before its one wait was registered; the
        // wait itself then succeeds on a later segment, and only the count of untrusted segments tells.
        var store = new InMemoryStore<string>();
        await using var cache = Harness.Cache(store, Options(Folder("counted")));
        var journal = cache.Journal!;
        int untrusted = journal.UntrustedSegments;
        journal.SyncFaultInjector = () => new IOException("Input/output error");
        long first = journal.Append(WriteOperation.Upsert, 1, "a"u8, "v"u8, reply: null, requireFsync: false, out _);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (journal.UntrustedSegments == untrusted)
        {
            Assert.True(waited.Elapsed < Harness.Within, "the loop never failed the fsync");
            await Task.Delay(5); // until the loop's pass has failed the fsync of the record's segment
        }

        journal.SyncFaultInjector = null;
        long second = journal.Append(WriteOperation.Upsert, 2, "b"u8, "v"u8, reply: null, requireFsync: false, out _); // a new segment
        await journal.WhenSyncedAsync(second).Within();

        Assert.True(second > first);
        Assert.NotEqual(untrusted, journal.UntrustedSegments);
    }
}
