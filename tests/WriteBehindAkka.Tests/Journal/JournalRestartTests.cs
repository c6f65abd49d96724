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
}
