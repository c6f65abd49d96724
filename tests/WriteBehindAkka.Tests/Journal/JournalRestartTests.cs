using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;
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
}
