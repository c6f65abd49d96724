using WriteBehindAkka.LocalPostgres;

namespace WriteBehindAkka.PostgreSql.Tests.LocalPostgres;

public sealed class PostgresBinariesTests
{
    [Fact]
    public async Task LocateAsync_VariableNamesDirectoryWithoutPrograms_ThrowsNamingVariableAndFix()
    {
        var error = await Assert.ThrowsAsync<LocalPostgresException>(() => PostgresBinaries.LocateAsync("/nonexistent/pg/bin", CancellationToken.None));

        Assert.Equal(
            "WRITEBEHIND_PG_BIN is '/nonexistent/pg/bin', but that directory has no initdb and pg_ctl. " +
            "Point it at PostgreSQL's bin directory (for example /usr/lib/postgresql/15/bin), or unset it.",
            error.Message);
    }

    [Fact]
    public async Task LocateAsync_VariableUnset_FindsInstalledServerPrograms()
    {
        if (LocalPostgresCluster.ExternalConnectionString() is not null)
        {
            return; // an external server: the machine may have no server programs
        }

        var directory = await PostgresBinaries.LocateAsync(null, CancellationToken.None);

        Assert.True(File.Exists(Path.Combine(directory, "initdb")));
        Assert.True(File.Exists(Path.Combine(directory, "pg_ctl")));
    }

    [Fact]
    public void IsRoot_IsTheEffectiveUserIdBeingZero_NotTheUserName()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // uid 0 under another name (a renamed root account, a container's user) was not taken for root, so initdb ran
        // as root and refused to. Read the effective uid (the second of the Uid: line) independently of .NET.
        var uidLine = File.ReadLines("/proc/self/status").First(line => line.StartsWith("Uid:", StringComparison.Ordinal));
        var effectiveUid = uidLine.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2];

        Assert.Equal(effectiveUid == "0", CommandRunner.IsRoot);
    }
}
