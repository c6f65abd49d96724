using Npgsql;
using WriteBehindAkka.LocalPostgres;
using WriteBehindAkka.PostgreSql.Tests.Fixtures;

namespace WriteBehindAkka.PostgreSql.Tests.LocalPostgres;

/// <summary>Each test starts a cluster of its own, so that stopping or killing it disturbs no other test.</summary>
public sealed class LocalPostgresClusterTests
{
    private static async Task<long> CountAsync(LocalPostgresCluster cluster, string sql)
    {
        // A fresh, unpooled connection: pooled ones die with the server they were opened to.
        await using var connection = new NpgsqlConnection(cluster.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(LocalPostgresCluster cluster, string sql) => await CountAsync(cluster, sql + "; SELECT 0");

    private static bool ProcessExists(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].TrimStart().StartsWith('Z');

    [LocalClusterFact]
    public async Task StartAsync_Defaults_ServesLoopbackWithFsyncOff()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();

        Assert.True(cluster.IsRunning);
        Assert.True(cluster.Port > 0);
        Assert.True(ProcessExists(cluster.PostmasterPid));
        Assert.True(File.Exists(Path.Combine(cluster.DataDirectory, "PG_VERSION")));
        Assert.Equal(1L, await CountAsync(cluster, "SELECT count(*) FROM pg_settings WHERE name = 'fsync' AND setting = 'off'"));
        Assert.Equal(1L, await CountAsync(cluster, "SELECT count(*) FROM pg_settings WHERE name = 'listen_addresses' AND setting = '127.0.0.1'"));
    }

    [LocalClusterFact]
    public async Task StartAsync_BenchmarkOptions_AppliesServerSettings()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync(
            new LocalPostgresOptions { Fsync = true, SynchronousCommit = "off", SharedBuffers = "64MB", MaxConnections = 42 });

        Assert.Equal(
            4L,
            await CountAsync(
                cluster,
                "SELECT count(*) FROM pg_settings WHERE (name, setting) IN (('fsync', 'on'), ('synchronous_commit', 'off'), ('shared_buffers', '8192'), ('max_connections', '42'))"));
    }

    [LocalClusterFact]
    public async Task StopAsync_ThenStartAgainAsync_KeepsDataAndPort()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await ExecuteAsync(cluster, "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)");
        var (port, oldPid) = (cluster.Port, cluster.PostmasterPid);

        await cluster.StopAsync();
        Assert.False(cluster.IsRunning);
        Assert.False(ProcessExists(oldPid));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => CountAsync(cluster, "SELECT 1"));

        await cluster.StartAgainAsync();

        Assert.True(cluster.IsRunning);
        Assert.Equal(port, cluster.Port);
        Assert.NotEqual(oldPid, cluster.PostmasterPid);
        Assert.Equal(2L, await CountAsync(cluster, "SELECT count(*) FROM t"));
    }

    [LocalClusterFact]
    public async Task KillAsync_ThenStartAgainAsync_RecoversCommittedData()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await ExecuteAsync(cluster, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000)");
        var oldPid = cluster.PostmasterPid;

        await cluster.KillAsync();

        Assert.False(cluster.IsRunning);
        Assert.False(ProcessExists(oldPid));
        Assert.True(File.Exists(Path.Combine(cluster.DataDirectory, "postmaster.pid"))); // left as a crash leaves it

        await cluster.StartAgainAsync();
        Assert.Equal(1000L, await CountAsync(cluster, "SELECT count(*) FROM t"));

        await cluster.KillAsync(); // and once more: a second crash recovers too
        await cluster.StartAgainAsync();
        Assert.Equal(1000L, await CountAsync(cluster, "SELECT count(*) FROM t"));
    }

    [LocalClusterFact]
    public async Task StopAsync_WhenNotRunning_DoesNothing()
    {
        await using var cluster = await LocalPostgresCluster.StartAsync();
        await cluster.StopAsync();

        await cluster.StopAsync();
        await cluster.KillAsync();

        Assert.False(cluster.IsRunning);
    }

    [LocalClusterFact]
    public async Task DisposeAsync_RunningCluster_StopsServerAndDeletesDirectory()
    {
        var cluster = await LocalPostgresCluster.StartAsync();
        var (pid, directory) = (cluster.PostmasterPid, cluster.DataDirectory);

        await cluster.DisposeAsync();

        Assert.False(ProcessExists(pid));
        Assert.False(Directory.Exists(directory));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => cluster.StartAgainAsync());
    }

    [LocalClusterFact]
    public async Task StartAsync_AfterAProcessWasKilledWhileItsClusterRan_StopsThatServerAndDeletesItsFolder()
    {
        // A process killed with SIGKILL (out of memory, dotnet test's --blame-hang-timeout) never disposes its cluster:
        // its server ran on, and its folder stayed, for ever. Here the owner file is made to name a process that is gone.
        var abandoned = await LocalPostgresCluster.StartAsync();
        await using var live = await LocalPostgresCluster.StartAsync();
        var (pid, folder) = (abandoned.PostmasterPid, Path.GetDirectoryName(abandoned.DataDirectory)!);
        int gone;
        using (var exited = System.Diagnostics.Process.Start("true"))
        {
            await exited.WaitForExitAsync();
            gone = exited.Id;
        }

        var owner = Path.Combine(folder, LocalPostgresCluster.OwnerFileName);
        string ourNamespace = File.ReadAllText(owner).Split(' ')[2];
        File.WriteAllText(owner, $"{gone} 1 {ourNamespace}");
        try
        {
            await using var next = await LocalPostgresCluster.StartAsync();

            Assert.False(ProcessExists(pid), "the abandoned server still runs");
            Assert.False(Directory.Exists(folder), "the abandoned folder is still there");
            Assert.True(live.IsRunning, "a cluster whose owner lives was stopped");
            Assert.Equal(1L, await CountAsync(live, "SELECT 1"));
        }
        finally
        {
            await abandoned.DisposeAsync();
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_AbandonedFolderWhosePidFileNamesAnotherClustersServer_DeletesTheFolderButStopsNothing()
    {
        // The abandoned server is gone and its pid now names the postmaster of another live cluster: that server is
        // not the folder's, so it is left running, and only the folder is deleted.
        await using var other = await LocalPostgresCluster.StartAsync();
        var abandoned = await LocalPostgresCluster.StartAsync();
        var folder = Path.GetDirectoryName(abandoned.DataDirectory)!;
        try
        {
            await abandoned.KillAsync();
            int gone;
            using (var exited = System.Diagnostics.Process.Start("true"))
            {
                await exited.WaitForExitAsync();
                gone = exited.Id;
            }

            var owner = Path.Combine(folder, LocalPostgresCluster.OwnerFileName);
            File.WriteAllText(owner, $"{gone} 1 {File.ReadAllText(owner).Split(' ')[2]}");
            var pidFile = Path.Combine(abandoned.DataDirectory, "postmaster.pid");
            var lines = File.ReadAllLines(pidFile);
            lines[0] = other.PostmasterPid.ToString(System.Globalization.CultureInfo.InvariantCulture);
            File.WriteAllLines(pidFile, lines);

            await using (await LocalPostgresCluster.StartAsync())
            {
            }

            Assert.False(Directory.Exists(folder), "the abandoned folder is still there");
            Assert.True(ProcessExists(other.PostmasterPid), "another cluster's server was stopped");
            Assert.Equal(1L, await CountAsync(other, "SELECT 1"));
        }
        finally
        {
            await abandoned.DisposeAsync();
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_FolderAbandonedDuringInitdb_IsDeleted()
    {
        // A process killed while initdb ran left a folder with an owner file and a half-made data directory, no server.
        var folder = Path.Combine(Path.GetTempPath(), LocalPostgresCluster.TempFolderPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(folder, "data", "base"));
        int gone;
        using (var exited = System.Diagnostics.Process.Start("true"))
        {
            await exited.WaitForExitAsync();
            gone = exited.Id;
        }

        var ourNamespace = new FileInfo("/proc/self/ns/pid").LinkTarget;
        File.WriteAllText(Path.Combine(folder, LocalPostgresCluster.OwnerFileName), $"{gone} 1 {ourNamespace}");
        try
        {
            await using (await LocalPostgresCluster.StartAsync())
            {
            }

            Assert.False(Directory.Exists(folder));
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_AFolderOwnedInAnotherPidNamespace_IsLeftAlone()
    {
        // Containers sharing a temp directory: the owner's pid (and the server's) mean other processes here, or none,
        // so the folder looked abandoned and a live cluster of the other container was deleted.
        await using var other = await LocalPostgresCluster.StartAsync();
        var (pid, folder) = (other.PostmasterPid, Path.GetDirectoryName(other.DataDirectory)!);
        int gone;
        using (var exited = System.Diagnostics.Process.Start("true"))
        {
            await exited.WaitForExitAsync();
            gone = exited.Id;
        }

        File.WriteAllText(Path.Combine(folder, LocalPostgresCluster.OwnerFileName), $"{gone} 1 pid:[1]");

        await using (await LocalPostgresCluster.StartAsync())
        {
        }

        Assert.True(ProcessExists(pid), "the other namespace's server was stopped");
        Assert.True(Directory.Exists(folder), "the other namespace's folder was deleted");
        Assert.Equal(1L, await CountAsync(other, "SELECT 1"));
    }

    [LocalClusterFact]
    public async Task StartAsync_TempFolderToBeKept_IsNeverMarkedForALaterStartToDelete()
    {
        var kept = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { KeepDataDirectory = true });
        var folder = Path.GetDirectoryName(kept.DataDirectory)!;
        try
        {
            await kept.DisposeAsync();

            Assert.True(Directory.Exists(kept.DataDirectory));
            Assert.False(File.Exists(Path.Combine(folder, LocalPostgresCluster.OwnerFileName)), "a later start would delete the kept folder once this process has exited");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_GivenDataDirectoryKept_ReusesTheClusterNextTime()
    {
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using (var first = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory, KeepDataDirectory = true }))
            {
                await ExecuteAsync(first, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
            }

            await using var second = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory });

            Assert.Equal(1L, await CountAsync(second, "SELECT count(*) FROM kept"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_DataDirectoryHoldsOtherFiles_RefusesAndLeavesThemAlone()
    {
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var mine = Path.Combine(directory, "notes.txt");
        await File.WriteAllTextAsync(mine, "mine");
        try
        {
            var error = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory }));

            Assert.StartsWith($"The DataDirectory {directory} exists and is neither empty nor a PostgreSQL cluster", error.Message, StringComparison.Ordinal);
            Assert.Equal("mine", await File.ReadAllTextAsync(mine));
            Assert.Equal([mine], Directory.GetFileSystemEntries(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_EmptyDirectoryNamedWithTrailingSeparators_IsRecognizedStoppedAndLeftEmpty()
    {
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        try
        {
            var cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory + "//" });
            var pid = cluster.PostmasterPid;

            Assert.Equal(directory, cluster.DataDirectory);
            Assert.True(cluster.IsRunning);
            Assert.Equal(1L, await CountAsync(cluster, "SELECT 1"));

            await cluster.DisposeAsync();

            Assert.False(ProcessExists(pid));
            Assert.Empty(Directory.GetFileSystemEntries(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_ClusterAlreadyRunningOnTheDirectory_RefusesWithoutTouchingIt()
    {
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var first = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory, KeepDataDirectory = true });

            var error = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory }));

            Assert.StartsWith($"A PostgreSQL server (pid {first.PostmasterPid}) already runs on {directory}, and this cluster did not start it.", error.Message, StringComparison.Ordinal);
            Assert.True(first.IsRunning);
            Assert.Equal(1L, await CountAsync(first, "SELECT 1"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_TwoAtOnceOnOneKeptCluster_TheLoserStopsNothingAndTheWinnerServes()
    {
        // Both pass the check for a running server, both run pg_ctl start; the loser's fails on the winner's
        // postmaster.pid. The loser took the postmaster named there for its own and stopped it while cleaning up.
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using (await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory, KeepDataDirectory = true }))
            {
            }

            for (var round = 0; round < 3; round++)
            {
                var starts = Enumerable.Range(0, 2)
                    .Select(_ => LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory, KeepDataDirectory = true }))
                    .ToArray();
                try
                {
                    await Task.WhenAll(starts);
                }
                catch (LocalPostgresException)
                {
                }

                var started = starts.Where(start => start.IsCompletedSuccessfully).Select(start => start.Result).ToList();
                try
                {
                    Assert.Single(started);
                    Assert.True(started[0].IsRunning, "the winner's server was stopped by the loser");
                    Assert.Equal(1L, await CountAsync(started[0], "SELECT 1"));
                }
                finally
                {
                    foreach (var cluster in started)
                    {
                        await cluster.DisposeAsync();
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_TwoAtOnceOnOneNewDirectory_TheLoserDeletesNothingAndTheWinnerServes()
    {
        // Both find the directory missing and run initdb; the second initdb refuses it as not empty, and the loser's
        // cleanup deleted what the winner's initdb was writing, so both failed.
        for (var round = 0; round < 3; round++)
        {
            var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
            var starts = Enumerable.Range(0, 2).Select(_ => LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory })).ToArray();
            try
            {
                try
                {
                    await Task.WhenAll(starts);
                }
                catch (LocalPostgresException)
                {
                }

                var started = starts.Where(start => start.IsCompletedSuccessfully).Select(start => start.Result).ToList();
                try
                {
                    Assert.Single(started);
                    Assert.True(started[0].IsRunning);
                    Assert.Equal(1L, await CountAsync(started[0], "SELECT 1"));
                    // Which refusal depends on when the loser looked: while initdb ran, or before.
                    var refusal = starts.Single(start => start.IsFaulted).Exception!.InnerException!.Message;
                    Assert.True(
                        refusal.Contains("another start on the same DataDirectory at the same time?", StringComparison.Ordinal)
                        || refusal.Contains("exists and is neither empty nor a PostgreSQL cluster", StringComparison.Ordinal),
                        refusal);
                }
                finally
                {
                    foreach (var cluster in started)
                    {
                        await cluster.DisposeAsync();
                    }
                }
            }
            finally
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
        }
    }

    [LocalClusterFact]
    public async Task DisposeAsync_ClusterItMadeNowServedByAnotherStart_LeavesTheDirectory()
    {
        // The object that made a cluster in a given directory is stopped; another start reuses the cluster; disposing
        // the first deleted the directory under the other's running server.
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var maker = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory });
            await maker.StopAsync();
            await using var reuser = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory });

            await maker.DisposeAsync();

            Assert.True(File.Exists(Path.Combine(directory, "PG_VERSION")), "the directory was deleted under a running server");
            Assert.True(reuser.IsRunning);
            Assert.Equal(1L, await CountAsync(reuser, "SELECT 1"));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_KeptClusterWhosePidFileNamesAnotherLiveProgram_StartsAnyway()
    {
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using (var first = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory, KeepDataDirectory = true }))
            {
                await ExecuteAsync(first, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
            }

            // As after a kill in a container: the pid in postmaster.pid now belongs to another program.
            using (var sleeper = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "60")))
            {
                var pidFile = Path.Combine(directory, "postmaster.pid");
                await File.WriteAllTextAsync(pidFile, sleeper!.Id + "\n" + directory + "\n");
                try
                {
                    await using var second = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory });

                    Assert.Equal(1L, await CountAsync(second, "SELECT count(*) FROM kept"));
                    Assert.NotEqual(sleeper.Id, second.PostmasterPid);
                }
                finally
                {
                    sleeper.Kill();
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_PathWithSpacesAQuoteAndTooLongForASocket_ServesOverTcpWithoutASocket()
    {
        // A socket path holds at most 107 bytes: beyond that the server makes no socket, and clients use TCP on loopback.
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8] + " it's " + new string('x', 110));
        try
        {
            await using var cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory });

            Assert.Equal(1L, await CountAsync(cluster, "SELECT count(*) FROM pg_settings WHERE name = 'unix_socket_directories' AND setting = ''"));
            Assert.Equal(1L, await CountAsync(cluster, "SELECT count(*) FROM pg_settings WHERE name = 'data_directory' AND setting = '" + directory.Replace("'", "''", StringComparison.Ordinal) + "'"));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_DataDirectoryWithCharactersPgCtlsShellExpands_IsRefusedBeforeAnythingRuns()
    {
        // pg_ctl starts the server through /bin/sh -c with -D "<dir>" and -l "<dir>/server.log": $, `, " and \ reached
        // the shell, so "$HOME" was expanded, "$(cmd)" ran cmd as the postgres user, and the start failed with a
        // message about some other directory.
        var root = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        var marker = Path.Combine(root, "ran");
        try
        {
            foreach (var (name, character) in new[] { ("home$HOME", "$"), ("run$(touch${IFS}" + marker + ")", "$"), ("back`id`tick", "`"), ("double\"quote", "\""), ("back\\slash", "\\") })
            {
                var directory = Path.Combine(root, name, "data");

                var error = await Assert.ThrowsAsync<ArgumentException>(() => LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory }));

                Assert.Contains($"DataDirectory {directory} holds '{character}', which pg_ctl's shell would expand", error.Message, StringComparison.Ordinal);
                Assert.False(Directory.Exists(directory));
            }

            Assert.False(File.Exists(marker), "a command in the directory's name was run");
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_KeptClusterWhosePidFileNamesAnotherClustersServer_StartsAndLeavesThatServerAlone()
    {
        // As after a restart of a container whose volume keeps the cluster: the pid in postmaster.pid now belongs to the
        // server of another cluster. Being PostgreSQL, it was taken for this directory's server: the start was refused,
        // advising pg_ctl stop -D, which would have stopped that other server.
        var directory = Path.Combine(Path.GetTempPath(), "writebehind-pg-test-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using (var first = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory, KeepDataDirectory = true }))
            {
                await ExecuteAsync(first, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)");
            }

            await using var other = await LocalPostgresCluster.StartAsync();
            await File.WriteAllTextAsync(Path.Combine(directory, "postmaster.pid"), other.PostmasterPid + "\n" + directory + "\n");

            await using var second = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { DataDirectory = directory });

            Assert.Equal(1L, await CountAsync(second, "SELECT count(*) FROM kept"));
            Assert.True(other.IsRunning);
            Assert.Equal(1L, await CountAsync(other, "SELECT 1"));
            Assert.Empty(Directory.GetFiles(directory, ".writebehind-probe-*"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [LocalClusterFact]
    public async Task StartAsync_PortTaken_ThrowsWithTheServerLogTail()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;

        var error = await Assert.ThrowsAsync<LocalPostgresException>(() => LocalPostgresCluster.StartAsync(new LocalPostgresOptions { Port = port }));

        Assert.Contains($"did not start on port {port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("could not bind IPv4 address \"127.0.0.1\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsOneMessageListingEveryProblem()
    {
        var options = new LocalPostgresOptions { Port = 0, SynchronousCommit = "sometimes", SharedBuffers = "lots", MaxConnections = 0, StartTimeout = TimeSpan.Zero };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => LocalPostgresCluster.StartAsync(options));

        Assert.Equal(
            string.Join(
                Environment.NewLine,
                "LocalPostgresOptions are invalid:",
                "- Port is 0: use 1 to 65535, or leave it null to pick a free port.",
                "- SynchronousCommit is 'sometimes': use one of on, off, local, remote_write, remote_apply, or leave it null.",
                "- SharedBuffers is 'lots': use a whole number with an optional unit kB, MB, GB or TB (for example 256MB), or leave it null.",
                "- MaxConnections is 0: use 1 to 10000.",
                "- StartTimeout is 00:00:00: use 1 second to 1 hour."),
            error.Message);
    }

    [Fact]
    public void ExternalConnectionString_VariableName_IsDocumentedName()
    {
        Assert.Equal("WRITEBEHIND_PG_CONNECTION", LocalPostgresCluster.ExternalConnectionVariable);
    }
}
