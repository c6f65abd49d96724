using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;

namespace WriteBehindAkka.PostgreSql.Tests.LocalPostgres;

/// <summary>Runs alone: it changes TMPDIR, which every other throwaway cluster of this process would follow.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TempDirectoryCollection
{
    public const string Name = "TMPDIR changes";
}

[Collection(TempDirectoryCollection.Name)]
public sealed class LocalPostgresTempDirectoryTests
{
    [LocalClusterFact]
    public async Task StartAsync_AsRootWithATempDirectoryThePostgresUserCannotEnter_SaysToChangeTmpdir()
    {
        if (!Environment.IsPrivilegedProcess || OperatingSystem.IsWindows())
        {
            return; // the programs then run as this user, who can enter its own temp directory
        }

        // A root-only temp directory (as TMPDIR=/root/tmp is): the advice was "pick a DataDirectory it can enter, or
        // leave it null", when it was null, and the directory to change is the temp directory.
        var temp = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(temp);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var previous = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", temp);
        try
        {
            var error = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync());

            Assert.Contains("Permission denied", error.Message, StringComparison.Ordinal);
            Assert.EndsWith(
                $"the postgres user cannot reach the temp directory {temp}: set TMPDIR to a directory it can enter (for example /tmp), or set DataDirectory to one.",
                error.Message,
                StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(temp)); // its folder was deleted
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", previous);
            Directory.Delete(temp, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_CancelledAtAnyStep_LeavesNoServerAndNoFolder()
    {
        // Cancelled during the sweep, initdb, pg_ctl start or the wait for readiness: whatever was started is killed
        // and the folder deleted. A TMPDIR of its own tells this test's folders and servers from any other's.
        var temp = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(temp);
        var previous = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", temp);
        try
        {
            var cancelled = 0;
            foreach (var delay in new[] { 1, 50, 150, 300, 600, 1000, 1500, 4000 })
            {
                using var cancel = new CancellationTokenSource(delay);
                try
                {
                    await using var cluster = await LocalPostgresCluster.StartAsync(cancellationToken: cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    cancelled++;
                }

                var deadline = DateTime.UtcNow.AddSeconds(10);
                while (ProcessesNaming(temp).Count > 0 && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }

                Assert.Empty(ProcessesNaming(temp));
                Assert.Empty(Directory.GetFileSystemEntries(temp));
            }

            Assert.True(cancelled > 0, "no start was cancelled");
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", previous);
            Directory.Delete(temp, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_LeftoverServerPgCtlCannotStop_IsLeftAloneWithoutWaitingForIt()
    {
        // A leftover server pg_ctl cannot stop (another OS user's, whose data directory the postgres user cannot read):
        // its failure was not checked, and every start then waited 30 seconds for that server to exit.
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var temp = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        var failingBin = temp + "-bin";
        Directory.CreateDirectory(temp);
        Directory.CreateDirectory(failingBin);
        var pgCtl = Path.Combine(failingBin, "pg_ctl");
        await File.WriteAllTextAsync(pgCtl, "#!/bin/sh\necho 'pg_ctl: could not send stop signal: Operation not permitted' >&2\nexit 1\n");
        File.SetUnixFileMode(pgCtl, (UnixFileMode)0b111_101_101);
        var previous = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", temp);
        try
        {
            await using var leftover = await LocalPostgresCluster.StartAsync();
            var folder = Path.GetDirectoryName(leftover.DataDirectory)!;
            int gone;
            using (var exited = System.Diagnostics.Process.Start("true"))
            {
                await exited.WaitForExitAsync();
                gone = exited.Id;
            }

            var owner = Path.Combine(folder, LocalPostgresCluster.OwnerFileName);
            File.WriteAllText(owner, $"{gone} 1 {File.ReadAllText(owner).Split(' ')[2]}");
            var watch = System.Diagnostics.Stopwatch.StartNew();

            await LocalPostgresCluster.SweepAbandonedClustersAsync(failingBin, CancellationToken.None);

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the sweep waited {watch.Elapsed} for a server pg_ctl could not stop");
            Assert.True(leftover.IsRunning, "the server was stopped");
            Assert.True(Directory.Exists(folder), "the folder of a running server was deleted");
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", previous);
            Directory.Delete(temp, recursive: true);
            Directory.Delete(failingBin, recursive: true);
        }
    }

    /// <summary>Live processes whose command line names a path under a folder (read from /proc, never signalled).</summary>
    private static List<string> ProcessesNaming(string folder)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _))
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                var state = File.ReadAllText(Path.Combine(directory, "stat")).Split(')')[^1].TrimStart();
                if (commandLine.Contains(folder + "/", StringComparison.Ordinal) && !state.StartsWith('Z'))
                {
                    found.Add(Path.GetFileName(directory) + ": " + commandLine);
                }
            }
            catch (IOException)
            {
            }
        }

        return found;
    }
}
