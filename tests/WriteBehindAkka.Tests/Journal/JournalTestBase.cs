using WriteBehindAkka.Journal;
using WriteBehindAkka.Options;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>What the journal tests share: a throwaway folder per test class, the options, and a crash's snapshot.</summary>
public abstract class JournalTestBase : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "wb-journal-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    protected string Folder(string name) => Path.Combine(_root, name);

    protected static WriteBehindOptions Options(string folder, FsyncPolicy policy = FsyncPolicy.Always, long segmentBytes = 64 * 1024, long? maxJournalBytes = null) =>
        Harness.Options(o => o with
        {
            MaxBatchSize = 64,
            MaxBatchDelay = TimeSpan.FromMilliseconds(1),
            Journal = new JournalOptions { Directory = folder, FsyncPolicy = policy, SegmentBytes = segmentBytes, MaxJournalBytes = maxJournalBytes ?? 64 * segmentBytes },
        });

    /// <summary>Copies the segments as they are on disk now: what a crash at this instant would leave.</summary>
    protected string SnapshotAsCrashed(string folder, string name, bool withVersionMark = true)
    {
        var copy = Folder(name);
        Directory.CreateDirectory(copy);
        var mark = withVersionMark ? [Path.Combine(folder, WriteAheadJournal.HighestVersionFile)] : Array.Empty<string>();
        var keyType = Path.Combine(folder, WriteBehindCache<string, string>.KeyTypeFile);
        foreach (var file in Directory.GetFiles(folder, "segment-*.wbj").Concat(mark).Append(keyType).Where(File.Exists))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        return copy;
    }

    /// <summary>Waits (within the harness's budget) until at least <paramref name="atLeast"/> truncations started and every one started has finished.</summary>
    protected static async Task TruncationsFinishedAsync<TKey>(WriteBehindCache<TKey, string> cache, int atLeast)
        where TKey : notnull
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (cache.Truncations is var (started, finished) && (started < atLeast || finished < started))
        {
            Assert.True(waited.Elapsed < Harness.Within, $"truncations: {cache.Truncations}");
            await Task.Delay(10);
        }
    }
}
