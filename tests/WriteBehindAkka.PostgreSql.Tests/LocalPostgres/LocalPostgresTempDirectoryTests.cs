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
        if (Environment.UserName != "root" || OperatingSystem.IsWindows())
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
}
