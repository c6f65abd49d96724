using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>What changes between two runs of a process sharing one journal folder: crashes in a row, a full disk at restart.</summary>
public sealed class JournalRestartTests : JournalTestBase
{
    /// <summary>
    /// Runs a cache on <paramref name="folder"/> while its store is down, makes one acknowledged write, and returns
    /// what a crash at that instant leaves (the current segment is not sealed: it keeps its preallocated size).
    /// </summary>
    private async Task<string> CrashWithStoreDownAsync(string folder, string name, WriteBehindOptions options, string key)
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var cache = Harness.Cache(store, options with { Journal = options.Journal! with { Directory = folder } });
        await cache.SetAsync(key, "v").AsTask().Within();
        var crashed = SnapshotAsCrashed(folder, name);
        store.Resume();
        await cache.DisposeAsync();
        return crashed;
    }

    /// <summary>
    /// A crash loop while the database is down (a service restarted by its supervisor, the database not back yet).
    /// Each crash leaves its current segment unsealed, at its preallocated size, with one small record in it. The
    /// journal counted the whole file of such a segment at the next start, zeros and all, while a live journal counts
    /// the records only (MaxJournalBytes bounds "the journal's records"): after two crashes in a row the journal,
    /// holding two records of about 60 bytes, was "at its bound" of two segments, and every write was refused
    /// (CacheOverflowException; with Backpressure it waited) until the database came back.
    /// </summary>
    [Fact]
    public async Task CrashLoopWhileTheStoreIsDown_UnsealedSegmentsCountTheirRecordsNotTheirPreallocatedSize()
    {
        var options = Options(Folder("unused"), segmentBytes: 4096, maxJournalBytes: 8192) with { OverflowStrategy = OverflowStrategy.Fail, ShutdownTimeout = TimeSpan.FromSeconds(1) };
        var first = await CrashWithStoreDownAsync(Folder("run1"), "crash1", options, "a");
        var second = await CrashWithStoreDownAsync(first, "crash2", options, "b");

        var store = new InMemoryStore<string>();
        store.Pause(); // still down
        try
        {
            await using var third = Harness.Cache(store, options with { Journal = options.Journal! with { Directory = second } });
            Assert.Equal(2, third.JournalRecovery.Keys);
            Assert.True(third.Journal!.TotalBytes < 1024, $"journal bytes at open: {third.Journal.TotalBytes} (two records)");
            var replayed = Directory.GetFiles(second, "segment-*.wbj")
                .Where(path => JournalFormat.TryParseSegmentNumber(path, out long number) && number <= third.Journal.RecoveredUpTo)
                .ToList();
            Assert.Equal(2, replayed.Count);
            Assert.All(replayed, path => Assert.True(new FileInfo(path).Length < 1024, $"{Path.GetFileName(path)} is {new FileInfo(path).Length} bytes on disk")); // trimmed to its records, as a seal would
            await third.SetAsync("c", "v").AsTask().Within(); // refused with CacheOverflowException before the fix

            store.Resume();
            await third.FlushAsync().Within();
            Assert.Equal(["a", "b", "c"], store.Rows.Keys.Order());
        }
        finally
        {
            store.Resume();
        }
    }

    /// <summary>
    /// A restart after a crash on a full journal disk: no file can be created, neither a segment nor the
    /// highest-version mark (both blocked here by a folder standing where the file goes). The README promises that
    /// such a start replays and that "the replayed writes' commits delete the segments they came from, which frees the
    /// space". But a truncation deleted nothing unless it could first write the mark up to the highest version the
    /// journal held, and every replayed segment was taken to hold that version, so on a full disk no segment ever
    /// went: the space was never freed and writes were refused until someone freed the disk by hand. Segment 1 was
    /// sealed before the crash, so the mark on disk already covers every version in it: it can go without a new mark.
    /// </summary>
    [Fact]
    public async Task FullDiskAtRestart_ReplayedSegmentsTheMarkAlreadyCovers_AreDeletedOnceCommitted()
    {
        var folder = Folder("full");
        var store = new InMemoryStore<string>();
        store.Pause();
        string crashed;
        var live = Harness.Cache(store, Options(folder, segmentBytes: 4096) with { ShutdownTimeout = TimeSpan.FromSeconds(1) });
        try
        {
            int i = 0;
            while (live.Truncations.Started == 0)
            {
                // Segment 1 fills and is sealed: the mark is written with it (before its truncation starts, and waits).
                await live.SetAsync($"k{i++}", new string('x', 100)).AsTask().Within();
                Assert.True(i < 1000, "segment 1 was never sealed");
            }

            for (int j = 0; j < 3; j++)
            {
                await live.SetAsync($"later{j}", "v").AsTask().Within(); // segment 2: versions above the mark
            }

            crashed = SnapshotAsCrashed(folder, "full-crash");
        }
        finally
        {
            store.Resume();
            await live.DisposeAsync();
        }

        string segment1 = Path.Combine(crashed, JournalFormat.SegmentName(1)), segment2 = Path.Combine(crashed, JournalFormat.SegmentName(2));
        Assert.True(File.Exists(segment1) && File.Exists(segment2), "the crash left segments 1 and 2");
        Assert.True(File.Exists(Path.Combine(crashed, WriteAheadJournal.HighestVersionFile)), "the seal of segment 1 wrote the mark");
        long next = Directory.GetFiles(crashed, "segment-*.wbj").Max(path => JournalFormat.TryParseSegmentNumber(path, out long number) ? number : 0) + 1;
        var blockers = new[] { Path.Combine(crashed, WriteAheadJournal.HighestVersionFile + ".tmp"), Path.Combine(crashed, JournalFormat.SegmentName(next)) };
        foreach (var blocker in blockers)
        {
            Directory.CreateDirectory(blocker);
        }

        var recovered = new InMemoryStore<string>();
        await using var restarted = Harness.Cache(recovered, Options(crashed, segmentBytes: 4096));
        Assert.Equal(new FlushResult(0), await restarted.FlushAsync().Within());
        await TruncationsFinishedAsync(restarted, atLeast: 1);

        Assert.False(File.Exists(segment1), "segment 1, whose versions the mark on disk covers, was kept: a full disk is never freed");
        Assert.True(File.Exists(segment2), "segment 2 holds versions above the mark, which cannot be written: it stays");

        foreach (var blocker in blockers)
        {
            Directory.Delete(blocker); // room again
        }

        await restarted.SetAsync("after", "v").AsTask().Within();
        await restarted.FlushAsync().Within();
        Assert.Contains("later2", recovered.Rows.Keys);
        Assert.Contains("after", recovered.Rows.Keys);
    }

    /// <summary>
    /// A restart with other settings than the run that wrote the journal: more shards and lanes (every replayed key
    /// moves to the shard that owns it now), a MaxValueBytes and a MaxBatchBytes below a journaled value's size, pending
    /// and journal bounds below what the journal holds, smaller segments and another fsync policy. Every replayed write
    /// lands at its newest version (the large value too: the bounds are for new writes), a replayed delete deletes, and
    /// writes made while the replay drains wait for the bounds (no hang, no error) and are not overtaken by the older
    /// replayed versions of their keys. Not a bug found: this covers settings changed between two runs, which no other
    /// test does.
    /// </summary>
    [Fact]
    public async Task RestartWithOtherSettings_ReplaysEveryWriteAtItsNewestVersion_AndNewWritesWin()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var folder = Folder("settings");
        var first = Harness.Cache(store, Options(folder) with { ShutdownTimeout = TimeSpan.FromSeconds(1) });
        string crashed;
        try
        {
            for (int i = 0; i < 50; i++)
            {
                await first.SetAsync($"k{i}", $"v{i}").AsTask().Within();
            }

            await first.SetAsync("big", new string('b', 20_000)).AsTask().Within();
            await first.SetAsync("k0", "second").AsTask().Within();
            await first.DeleteAsync("k1").AsTask().Within();
            await first.SetAsync("k2", "before-restart").AsTask().Within();
            crashed = SnapshotAsCrashed(folder, "settings-crash");
        }
        finally
        {
            store.Resume();
            await first.DisposeAsync();
        }

        var recovered = new InMemoryStore<string>();
        recovered.Seed("k3", System.Text.Encoding.UTF8.GetBytes("\"stale\""), 1); // an older row: the replay overwrites it
        recovered.Pause(); // down at the start
        var options = Options(crashed, FsyncPolicy.No, segmentBytes: 4096, maxJournalBytes: 8192) with
        {
            ShardCount = 7,
            Parallelism = 3,
            MaxValueBytes = 1000,
            MaxBatchBytes = 4096,
            MaxPendingEntries = 10,
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        try
        {
            await using var second = Harness.Cache(recovered, options);
            Assert.Equal(51, second.JournalRecovery.Keys);
            Assert.True(second.IsAtBound, "the replay alone is over the lowered bounds");
            var k0 = second.SetAsync("k0", "after-restart", WriteConsistency.Committed).AsTask(); // waits for room
            var k2 = second.SetAsync("k2", "after-restart").AsTask();
            Assert.False(k0.IsCompleted);
            recovered.Resume();
            long k0Version = (await k0.Within()).Version;
            await k2.Within();
            Assert.Equal(new FlushResult(0), await second.FlushAsync().Within());

            Assert.False(recovered.Rows.ContainsKey("k1"));
            Assert.Equal(20_002, recovered.Rows["big"].Value.Length); // the JSON string's quotes
            Assert.Equal("v3", Harness.Text(recovered.Rows["k3"].Value));
            Assert.Equal("v49", Harness.Text(recovered.Rows["k49"].Value));
            Assert.Equal(("after-restart", k0Version), (Harness.Text(recovered.Rows["k0"].Value), recovered.Rows["k0"].Version));
            Assert.Equal("after-restart", Harness.Text(recovered.Rows["k2"].Value));
            Assert.Equal(50, recovered.Rows.Count); // k0..k49 without k1, and big
            Assert.Equal("after-restart", await second.GetAsync("k2"));
        }
        finally
        {
            recovered.Resume();
        }
    }

    /// <summary>
    /// Two crashes in a row, the second after a replay the store partly refused: a replayed write the store refuses
    /// and the dead-letter sink refuses too has the journal as its only durable copy. The replay's own truncation
    /// copies it forward into the new run's segment before it deletes the segments it was replayed from, so the third
    /// start still has it (and the store, fixed by then, takes it), while the rest of the replay was committed once
    /// and the old segments are gone. Not a bug found: the existing test copies a failure forward within one run; this
    /// one covers the truncation of replayed segments, across two restarts.
    /// </summary>
    [Fact]
    public async Task ReplayThatTheStoreAndTheSinkPartlyRefuse_ThenASecondCrash_KeepsTheRefusedWriteForTheThirdStart()
    {
        var first = await CrashWithStoreDownAsync(Folder("refused"), "refused-crash1", Options(Folder("unused")) with { ShutdownTimeout = TimeSpan.FromSeconds(1) }, "bad");

        var store = new InMemoryStore<string>();
        store.PoisonKeys["bad"] = true;
        store.DeadLetters.FailNext(1, new SimulatedStoreException(StoreErrorKind.Permanent, "letter refused"));
        string second;
        await using (var replaying = Harness.Cache(store, Options(first)))
        {
            await replaying.SetAsync("good", "v").AsTask().Within();
            Assert.Equal(new FlushResult(1), await replaying.FlushAsync().Within()); // "bad" failed, and is recorded nowhere else
            await TruncationsFinishedAsync(replaying, atLeast: 1); // the replay's truncation
            Assert.False(File.Exists(Path.Combine(first, JournalFormat.SegmentName(1))), "the replayed segment was deleted once its failure was copied forward");
            second = SnapshotAsCrashed(first, "refused-crash2");
        }

        Assert.Empty(store.DeadLetters.Letters);
        store.PoisonKeys.Clear(); // fixed
        await using (var third = Harness.Cache(store, Options(second)))
        {
            Assert.Equal(new FlushResult(0), await third.FlushAsync().Within());
            Assert.Equal(2, third.JournalRecovery.Keys); // "bad" (copied forward) and "good" (its segment was current)
        }

        Assert.Equal("v", Harness.Text(store.Rows["bad"].Value));
        Assert.Equal("v", Harness.Text(store.Rows["good"].Value));
    }

    /// <summary>
    /// A replayed write that the store, configured anew, refuses for good (its table changed, say) becomes a dead
    /// letter like any refused write: listed, and the segment it was replayed from is deleted; once the operator
    /// discards it, a later start replays nothing. Not a bug found: it checks that such a write does not pin the journal.
    /// </summary>
    [Fact]
    public async Task ReplayTheNewStoreRefusesForGood_IsADeadLetter_AndOnceDiscardedTheJournalHoldsNothingOfIt()
    {
        var first = await CrashWithStoreDownAsync(Folder("refused-for-good"), "refused-for-good-crash1", Options(Folder("unused")) with { ShutdownTimeout = TimeSpan.FromSeconds(1) }, "k");
        var store = new InMemoryStore<string>();
        store.PoisonKeys["k"] = true; // every attempt, for good
        string second;
        await using (var replaying = Harness.Cache(store, Options(first)))
        {
            Assert.Equal(new FlushResult(1), await replaying.FlushAsync().Within());
            await TruncationsFinishedAsync(replaying, atLeast: 1);
            var letter = Assert.Single(await replaying.ListDeadLettersAsync());
            Assert.Equal("k", letter.Key);
            Assert.False(File.Exists(Path.Combine(first, JournalFormat.SegmentName(1))), "the replayed segment was deleted once its write was dead-lettered");
            Assert.True(await replaying.DiscardDeadLetterAsync("k"));
            second = SnapshotAsCrashed(first, "refused-for-good-crash2");
        }

        await using var third = Harness.Cache(store, Options(second));
        Assert.Equal(0, third.JournalRecovery.Keys);
        Assert.Equal(new FlushResult(0), await third.FlushAsync().Within());
        Assert.Empty(store.DeadLetters.Letters);
    }

    /// <summary>
    /// A journaled write of a key the newly configured store can never hold (a store that took a NUL character in a
    /// text key, replaced by one that cannot: PostgreSQL text). Replayed, every attempt failed, the dead-letter table
    /// could not hold the key either, so the journal copied the write forward for ever, health stayed Degraded, and
    /// the operator had no letter to discard (a discard of such a key is refused up front). The start now fails, as
    /// for a key type that changed, saying which key and why; the folder is left as it was, for the former store.
    /// </summary>
    [Fact]
    public async Task ReplayOfAKeyTheNewStoreCanNeverHold_FailsTheStartNamingTheKey_AndKeepsTheWrite()
    {
        var inner = new InMemoryStore<string>();
        inner.Pause();
        var folder = Folder("unholdable");
        string crashed;
        var lenient = new LenientStore(inner);
        var first = new WriteBehindCache<string, string>(lenient, Options(folder) with { ShutdownTimeout = TimeSpan.FromSeconds(1) }, jitter: () => 0.0);
        await first.SetAsync("a\0b", "v").AsTask().Within();
        crashed = SnapshotAsCrashed(folder, "unholdable-crash");
        inner.Resume();
        await first.DisposeAsync();

        var error = Assert.Throws<InvalidOperationException>(() => Harness.Cache(new InMemoryStore<string>(), Options(crashed)));
        Assert.Contains("'a\uFFFDb'", error.Message, StringComparison.Ordinal); // the NUL shown as U+FFFD
        Assert.Contains("NUL character", error.Message, StringComparison.Ordinal);
        Assert.Contains(crashed, error.Message, StringComparison.Ordinal);

        var former = new InMemoryStore<string>();
        await using (var again = new WriteBehindCache<string, string>(new LenientStore(former), Options(crashed), jitter: () => 0.0))
        {
            Assert.Equal(new FlushResult(0), await again.FlushAsync().Within());
        }

        Assert.Equal("v", Harness.Text(former.Rows["a\0b"].Value));
    }

    /// <summary>The test kit's store without its key check: a store that could hold any text key.</summary>
    private sealed class LenientStore(InMemoryStore<string> inner) : IWriteBehindStore<string>
    {
        public IDeadLetterStore<string>? DeadLetters => inner.DeadLetters;

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<string>> batch, CancellationToken cancellationToken) => inner.WriteBatchAsync(batch, cancellationToken);

        public ValueTask<StoredEntry?> LoadAsync(string key, CancellationToken cancellationToken) => inner.LoadAsync(key, cancellationToken);

        public StoreErrorKind Classify(Exception error) => inner.Classify(error);
    }
}
