using System.Diagnostics;
using WriteBehindAkka.Journal;
using WriteBehindAkka.TestKit;

namespace WriteBehindAkka.Tests.Journal;

/// <summary>A restart on a journal folder where files can no longer be created or deleted (its permissions changed).</summary>
public sealed class JournalUnwritableFolderTests : JournalTestBase
{
    /// <summary>Sets or clears the immutable attribute of a folder: nothing can be created or deleted in it, even by root.</summary>
    internal static bool Chattr(string flag, string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>
    /// The folder is made immutable (chattr +i: root ignores permissions, so this stands for a folder whose permissions
    /// changed). Each crash leaves the spare segment made ahead of time, unused, which a start deletes; that delete threw
    /// an UnauthorizedAccessException naming a segment file out of the constructor, so the cache could not start and
    /// the crashed run's acknowledged writes stayed in the journal. A start that cannot create its first segment (a
    /// full disk) starts, replays and reports the journal's trouble; so does this one now, and takes writes again once
    /// the folder is writable.
    /// </summary>
    [ImmutableFolderFact]
    public async Task RestartOnAFolderWhereNoFileCanBeCreatedOrDeleted_ReplaysAndReportsTheJournal()
    {
        var store = new InMemoryStore<string>();
        store.Pause();
        var folder = Folder("immutable");
        var cache = Harness.Cache(store, Options(folder) with { ShutdownTimeout = TimeSpan.FromSeconds(1) });
        await cache.SetAsync("k", "v").AsTask().Within();
        var crashed = SnapshotAsCrashed(folder, "immutable-crash");
        store.Resume();
        await cache.DisposeAsync();
        File.WriteAllText(Path.Combine(crashed, "journal.lock"), string.Empty); // a crashed process leaves its lock file
        Assert.True(Chattr("+i", crashed));
        try
        {
            var recovered = new InMemoryStore<string>();
            await using var restarted = Harness.Cache(recovered, Options(crashed));
            await restarted.FlushAsync().Within();
            Assert.Equal("v", Harness.Text(recovered.Rows["k"].Value)); // replayed
            var health = restarted.GetHealth();
            Assert.Equal(CacheHealth.Degraded, health.Status);
            Assert.Contains("folder's permissions", health.Description, StringComparison.Ordinal);
            await Assert.ThrowsAsync<JournalWriteException>(() => restarted.SetAsync("k2", "refused").AsTask()); // no segment can be made

            Assert.True(Chattr("-i", crashed)); // fixed
            await restarted.SetAsync("k2", "v2").AsTask().Within();
            await restarted.FlushAsync().Within();
            Assert.Equal("v2", Harness.Text(recovered.Rows["k2"].Value));
        }
        finally
        {
            Chattr("-i", crashed);
        }
    }
}

/// <summary>Runs only where chattr can make a folder immutable (root on ext4, say).</summary>
public sealed class ImmutableFolderFactAttribute : FactAttribute
{
    public ImmutableFolderFactAttribute()
    {
        var probe = Path.Combine(Path.GetTempPath(), "wb-chattr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(probe);
        try
        {
            if (!JournalUnwritableFolderTests.Chattr("+i", probe))
            {
                Skip = "chattr +i is not available here (it needs root and a file system with the immutable attribute).";
            }
        }
        finally
        {
            JournalUnwritableFolderTests.Chattr("-i", probe);
            Directory.Delete(probe);
        }
    }
}
