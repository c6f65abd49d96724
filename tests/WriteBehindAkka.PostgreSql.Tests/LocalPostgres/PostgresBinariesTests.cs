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
    public async Task LocateAsync_VariableNamesDirectoryWithCharactersTheShellExpands_ThrowsNamingVariableAndCharacter()
    {
        // pg_ctl runs "exec \"<bin>/postgres\" ..." through /bin/sh: $ or ` in the directory was expanded (the start
        // then failed with a message about another path, or ran a command), while such a DataDirectory was refused.
        var root = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            foreach (var (name, character) in new[] { ("pg$HOME", "$"), ("pg`id`", "`"), ("pg\"q", "\""), ("pg\\b", "\\") })
            {
                var bin = Path.Combine(root, name, "bin");
                Directory.CreateDirectory(bin);
                File.WriteAllText(Path.Combine(bin, "initdb"), string.Empty);
                File.WriteAllText(Path.Combine(bin, "pg_ctl"), string.Empty);

                var error = await Assert.ThrowsAsync<LocalPostgresException>(() => PostgresBinaries.LocateAsync(bin, CancellationToken.None));

                Assert.StartsWith($"WRITEBEHIND_PG_BIN is '{bin}', which holds '{character}': pg_ctl starts the server from that directory through /bin/sh", error.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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
