using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WriteBehindAkka.LocalPostgres;

/// <content>Creating the cluster, writing its settings, and starting, stopping and killing its server.</content>
public sealed partial class LocalPostgresCluster
{
    /// <summary>The settings file this library writes into the data directory at every start.</summary>
    private const string SettingsFileName = "writebehind.conf";

    /// <summary>The server log, in the data directory.</summary>
    private const string LogFileName = "server.log";

    /// <summary>How many lines of the server log an exception message quotes.</summary>
    private const int LogTailLines = 40;

    /// <summary>The environment variable by which a start recognizes the postmaster its pg_ctl started.</summary>
    private const string StartMarkerVariable = "WRITEBEHIND_PG_START";

    /// <summary>How many times a start is tried with a new port when the picked one was taken in between.</summary>
    private const int PortAttempts = 3;

    /// <summary>How long a kill may take before it is reported as failed.</summary>
    private static readonly TimeSpan KillDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Gets the path of <c>postmaster.pid</c>.</summary>
    private string PidFilePath => Path.Combine(DataDirectory, "postmaster.pid");

    /// <summary>Gets the time a pg_ctl call may take: its own timeout plus a margin.</summary>
    private TimeSpan CommandTimeout => _options.StartTimeout + TimeSpan.FromSeconds(15);

    /// <summary>Checks that the <c>postgres</c> OS user exists (needed when running as root).</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task.</returns>
    private static async Task EnsurePostgresUserAsync(CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync("id", ["-u", CommandRunner.PostgresUser], TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw new LocalPostgresException(
                "This process runs as root, and PostgreSQL refuses to run as root, but there is no 'postgres' OS user to run it as. " +
                "Install the server package (apt-get install postgresql creates the user), or add the user (useradd --system postgres), or run as another user.");
        }
    }

    /// <summary>Picks a free port on 127.0.0.1 by binding port 0.</summary>
    /// <returns>The port.</returns>
    private static int PickFreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Quotes a value for a PostgreSQL configuration file.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The quoted value.</returns>
    private static string ConfigQuote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Creates the directory and runs initdb, unless the directory already holds a cluster.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (!_createdDirectory)
        {
            return;
        }

        if (!string.Equals(_ownedDirectory, DataDirectory, StringComparison.Ordinal))
        {
            await CreateClusterAsync(cancellationToken).ConfigureAwait(false); // a new folder of its own: nobody else's
            return;
        }

        // A given directory may be found missing or empty by two starts at once: the second initdb (or the second's
        // cleanup) then destroyed what the first was writing, and both failed. One at a time, under a lock file beside it.
        using var claim = await ClaimDirectoryAsync(cancellationToken).ConfigureAwait(false);
        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            _createdDirectory = false; // what is in it now is not this object's to delete
            throw new LocalPostgresException(
                $"The DataDirectory {DataDirectory} was missing or empty when this start began and is not now: another start " +
                "on the same DataDirectory at the same time? It is left as it is; start again to reuse the cluster once it is made.");
        }

        await CreateClusterAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the lock file <c>.NAME.initdb-lock</c> beside the given data directory (deleted when released), waiting
    /// while another start holds it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The held lock, or <see langword="null"/> when no file can be made there (then nothing is locked).</returns>
    private async Task<FileStream?> ClaimDirectoryAsync(CancellationToken cancellationToken)
    {
        var parent = Path.GetDirectoryName(DataDirectory);
        if (parent is null)
        {
            return null;
        }

        var path = Path.Combine(parent, "." + Path.GetFileName(DataDirectory) + ".initdb-lock");
        var deadline = DateTime.UtcNow + CommandTimeout;
        while (true)
        {
            try
            {
                Directory.CreateDirectory(parent);
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (UnauthorizedAccessException)
            {
                return null;
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken).ConfigureAwait(false); // held by another start
            }
        }
    }

    /// <summary>Creates the directory and runs initdb in it.</summary>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    private async Task CreateClusterAsync(CancellationToken cancellationToken)
    {
        if (!string.Equals(_ownedDirectory, DataDirectory, StringComparison.Ordinal) && !_options.KeepDataDirectory)
        {
            // The folder made under the temp directory names its owner first, so that a start after this process
            // was killed can tell it was abandoned. Written whole, then renamed: a reader never sees half of it.
            // A folder to be kept has no owner file: no later start deletes it.
            Directory.CreateDirectory(_ownedDirectory);
            var owner = Path.Combine(_ownedDirectory, OwnerFileName);
            File.WriteAllText(owner + ".new", OwnerRecord());
            File.Move(owner + ".new", owner, overwrite: true);
        }

        Directory.CreateDirectory(DataDirectory);
        if (CommandRunner.IsRoot)
        {
            var chown = await CommandRunner.RunAsync(
                "chown", ["-R", $"{CommandRunner.PostgresUser}:{CommandRunner.PostgresUser}", _ownedDirectory], TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            if (!chown.Succeeded)
            {
                throw new LocalPostgresException($"Could not give the data directory to the postgres user. {chown.Describe()}");
            }
        }

        var initdb = await CommandRunner.RunPostgresProgramAsync(
            Path.Combine(_binDirectory, "initdb"),
            ["-D", DataDirectory, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"],
            CommandTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!initdb.Succeeded)
        {
            throw new LocalPostgresException(
                $"initdb failed. {initdb.Describe()}{Environment.NewLine}" +
                (_options.DataDirectory is null
                    ? $"If it says 'Permission denied', the postgres user cannot reach the temp directory {Path.GetDirectoryName(_ownedDirectory)}: " +
                      "set TMPDIR to a directory it can enter (for example /tmp), or set DataDirectory to one."
                    : "If it says 'Permission denied', the postgres user cannot reach the directory: pick a DataDirectory it can enter, or leave it null."));
        }
    }

    /// <summary>Writes the settings file and makes sure postgresql.conf includes it.</summary>
    private void WriteSettings()
    {
        // The socket goes in the data directory when its path fits a socket address and the setting's list syntax
        // (commas separate directories); else there is none, and clients use TCP on loopback.
        var socketDirectory = Encoding.UTF8.GetByteCount(Path.Combine(DataDirectory, ".s.PGSQL.65535")) < 100 && DataDirectory.IndexOfAny([',', '"']) < 0
            ? DataDirectory
            : string.Empty;
        var settings = new StringBuilder()
            .AppendLine("# Written by WriteBehindAkka.LocalPostgres at every start; changes here are overwritten.")
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {Port}")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = {ConfigQuote(socketDirectory)}")
            .AppendLine(CultureInfo.InvariantCulture, $"max_connections = {_options.MaxConnections}")
            .AppendLine(_options.Fsync ? "fsync = on" : "fsync = off")
            .AppendLine(_options.Fsync ? "full_page_writes = on" : "full_page_writes = off");
        if (_options.SynchronousCommit is { } sync)
        {
            settings.AppendLine(CultureInfo.InvariantCulture, $"synchronous_commit = {ConfigQuote(sync)}");
        }

        if (_options.SharedBuffers is { } buffers)
        {
            settings.AppendLine(CultureInfo.InvariantCulture, $"shared_buffers = {ConfigQuote(buffers)}");
        }

        var settingsPath = Path.Combine(DataDirectory, SettingsFileName);
        File.WriteAllText(settingsPath, settings.ToString());
        if (!OperatingSystem.IsWindows())
        {
            // Readable by the postgres user when root writes it, whatever root's umask.
            File.SetUnixFileMode(settingsPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        var mainConfig = Path.Combine(DataDirectory, "postgresql.conf");
        var include = $"include_if_exists = '{SettingsFileName}'";
        if (!File.ReadAllText(mainConfig).Contains(include, StringComparison.Ordinal))
        {
            File.AppendAllText(mainConfig, Environment.NewLine + include + Environment.NewLine);
        }
    }

    /// <summary>Starts the server with pg_ctl and records the postmaster's pid. Called under the gate.</summary>
    /// <param name="pickNewPort">Whether to pick a free port (and pick again if it was taken in between).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    private async Task StartServerAsync(bool pickNewPort, CancellationToken cancellationToken)
    {
        // A server another process started on this directory (a cluster reused while still running, or one left
        // by a killed run) is never adopted, so never stopped: refuse instead.
        RemoveStaleLockFiles();
        if (ReadPidFile() is { } running && MayBeAPostmaster(running))
        {
            throw new LocalPostgresException(
                $"A PostgreSQL server (pid {running}) already runs on {DataDirectory}, and this cluster did not start it. " +
                $"Stop it (pg_ctl stop -D {DataDirectory}) or use another DataDirectory.");
        }

        var logPath = Path.Combine(DataDirectory, LogFileName);
        for (var attempt = 1; ; attempt++)
        {
            if (pickNewPort)
            {
                Port = PickFreePort();
            }

            WriteSettings();
            var logStart = File.Exists(logPath) ? new FileInfo(logPath).Length : 0;

            // The postmaster inherits this from pg_ctl: a server another process started on the same directory at the
            // same time (whose postmaster.pid then makes ours fail) lacks it, and is never adopted, so never stopped.
            var token = Guid.NewGuid().ToString("N");
            var marker = StartMarkerVariable + "=" + token;
            CommandResult result;
            try
            {
                result = await CommandRunner.RunPostgresProgramAsync(
                    Path.Combine(_binDirectory, "pg_ctl"),
                    ["start", "-w", "-t", ((int)_options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-D", DataDirectory, "-l", logPath],
                    CommandTimeout,
                    cancellationToken,
                    new Dictionary<string, string> { [StartMarkerVariable] = token }).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                AdoptStartedPostmaster(marker);
                throw;
            }

            // Even when pg_ctl reports a failure, a server that came up is ours to stop: remember it.
            var adopted = AdoptStartedPostmaster(marker);
            if (result.Succeeded && adopted)
            {
                return;
            }

            var log = ReadLogSince(logPath, logStart);
            if (!adopted && pickNewPort && attempt < PortAttempts && log.Contains("could not bind", StringComparison.Ordinal))
            {
                continue;
            }

            throw new LocalPostgresException(
                $"The PostgreSQL server in {DataDirectory} did not start on port {Port}. {result.Describe()}{Environment.NewLine}" +
                $"End of {logPath}:{Environment.NewLine}{log}");
        }
    }

    /// <summary>
    /// Records the postmaster named by postmaster.pid as ours when it is alive and serves our data directory, so
    /// that stop, kill and dispose reach it even when pg_ctl reported a failure or was interrupted.
    /// </summary>
    /// <param name="marker">The <c>NAME=value</c> environment entry the start gave pg_ctl, which its postmaster inherits.</param>
    /// <returns><see langword="true"/> when a live postmaster of ours was found.</returns>
    private bool AdoptStartedPostmaster(string marker)
    {
        if (ReadPidFile() is not { } pid || ProcessProbe.Environment(pid) is { } environment && !environment.Contains(marker, StringComparer.Ordinal))
        {
            return false;
        }

        var previous = PostmasterPid;
        PostmasterPid = pid;
        if (IsOurPostmasterAlive())
        {
            // The port it listens on (the fourth line): another start on the same directory at the same time may have
            // rewritten the settings file with its own port before this server read it.
            if (ReadPidFileLine(3) is { } line && int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
            {
                Port = port;
            }

            _state = ClusterState.Running;
            return true;
        }

        PostmasterPid = previous;
        return false;
    }

    /// <summary>Reads one line of postmaster.pid.</summary>
    /// <param name="index">The line's index (0: pid, 3: port).</param>
    /// <returns>The line, trimmed, or <see langword="null"/> when there is no such file or line.</returns>
    private string? ReadPidFileLine(int index)
    {
        try
        {
            return File.Exists(PidFilePath) ? File.ReadLines(PidFilePath).Skip(index).FirstOrDefault()?.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads the postmaster's pid from postmaster.pid.</summary>
    /// <returns>The pid, or <see langword="null"/> when there is no such file or it cannot be read.</returns>
    private int? ReadPidFile()
    {
        try
        {
            return File.Exists(PidFilePath)
                && int.TryParse(File.ReadLines(PidFilePath).FirstOrDefault()?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid > 0
                ? pid
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Stops the server if it is running. Called under the gate.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    private async Task StopServerAsync(CancellationToken cancellationToken)
    {
        if (_state != ClusterState.Running || !IsOurPostmasterAlive())
        {
            _state = ClusterState.Stopped;
            return;
        }

        var result = await CommandRunner.RunPostgresProgramAsync(
            Path.Combine(_binDirectory, "pg_ctl"),
            ["stop", "-w", "-m", "fast", "-t", ((int)_options.StartTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "-D", DataDirectory],
            CommandTimeout,
            cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && IsOurPostmasterAlive())
        {
            throw new LocalPostgresException($"pg_ctl could not stop the server in {DataDirectory}. {result.Describe()}");
        }

        await WaitUntilGoneAsync([PostmasterPid], cancellationToken).ConfigureAwait(false);
        _state = ClusterState.Stopped;
    }

    /// <summary>Kills the postmaster with SIGKILL and waits for it and its children. Called under the gate.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    private async Task KillServerAsync(CancellationToken cancellationToken)
    {
        if (_state != ClusterState.Running || !IsOurPostmasterAlive())
        {
            _state = ClusterState.Stopped;
            return;
        }

        // Children are listed before the kill: afterwards they are re-parented and can no longer be told apart.
        var children = ProcessProbe.ChildrenOf(PostmasterPid);
        using (var postmaster = System.Diagnostics.Process.GetProcessById(PostmasterPid))
        {
            postmaster.Kill(); // SIGKILL on Unix: the postmaster gets no chance to clean up, as in a crash.
        }

        await WaitUntilGoneAsync([PostmasterPid, .. children], cancellationToken).ConfigureAwait(false);
        _state = ClusterState.Stopped;
    }

    /// <summary>Polls until every listed process has exited, or throws after <see cref="KillDeadline"/>.</summary>
    /// <param name="pids">The processes (the postmaster and its children).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    private async Task WaitUntilGoneAsync(IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + KillDeadline;
        while (pids.Any(ProcessProbe.IsAlive))
        {
            if (DateTime.UtcNow > deadline)
            {
                var left = string.Join(", ", pids.Where(ProcessProbe.IsAlive));
                throw new LocalPostgresException(
                    $"The server processes of {DataDirectory} ({left}) were still alive {KillDeadline.TotalSeconds} seconds after they were told to exit. " +
                    "Look at them with ps; kill them with kill -9 if they are stuck.");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Tells whether <see cref="PostmasterPid"/> is alive and still is our postmaster (its command line names our
    /// data directory), so that a reused pid of another process is never taken for it.
    /// </summary>
    /// <returns><see langword="true"/> when our postmaster runs.</returns>
    private bool IsOurPostmasterAlive()
    {
        if (PostmasterPid <= 0 || !ProcessProbe.IsAlive(PostmasterPid))
        {
            return false;
        }

        var commandLine = ProcessProbe.CommandLine(PostmasterPid);
        return commandLine.Count == 0 || commandLine.Contains(DataDirectory, StringComparer.Ordinal);
    }

    /// <summary>
    /// Deletes lock files left by a kill: postmaster.pid and the socket's lock file, when the process they name
    /// is no longer alive. The server would remove them itself, except that a killed postmaster can linger as a
    /// zombie (where nothing reaps orphans), and the server takes a zombie for a live process.
    /// </summary>
    private void RemoveStaleLockFiles()
    {
        RemoveStaleLockFile(PidFilePath);
        RemoveStaleLockFile(Path.Combine(DataDirectory, string.Create(CultureInfo.InvariantCulture, $".s.PGSQL.{Port}.lock")));
    }

    /// <summary>
    /// Deletes a PostgreSQL lock file (first line: a pid) when that process is surely not a server: gone, or its pid
    /// now belongs to a program that is not PostgreSQL (common in containers, where pids restart low). A PostgreSQL
    /// process, however it was started, keeps its lock.
    /// </summary>
    /// <param name="path">The lock file.</param>
    private void RemoveStaleLockFile(string path)
    {
        if (!File.Exists(path))
        {
            return;
        }

        var firstLine = File.ReadLines(path).FirstOrDefault()?.Trim();
        if (int.TryParse(firstLine, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pid) && !MayBeAPostmaster(Math.Abs(pid)))
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Tells whether a process may be a PostgreSQL server of this directory: alive, and working in this directory (a
    /// postmaster works in it, whatever its binary is called); where that cannot be told, its program is postgres, or
    /// its working directory is this data directory, or either cannot be read (to be safe). Its command line is not asked: a server started by hand may name the
    /// directory in another spelling. This process itself never is.
    /// </summary>
    /// <param name="pid">The process id.</param>
    /// <returns><see langword="true"/> when it may be.</returns>
    private bool MayBeAPostmaster(int pid)
    {
        if (pid <= 0 || pid == Environment.ProcessId || !ProcessProbe.IsAlive(pid))
        {
            return false;
        }

        if (WorksInThisDirectory(pid) is { } works)
        {
            return works;
        }

        if (ProcessProbe.ProgramName(pid) is null or "postgres" or "postmaster")
        {
            return true;
        }

        string? directory = ProcessProbe.WorkingDirectory(pid);
        return directory is null
            || string.Equals(Path.TrimEndingDirectorySeparator(directory), DataDirectory, StringComparison.Ordinal)
            || string.Equals(Path.TrimEndingDirectorySeparator(directory), ResolvedDataDirectory(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Tells whether a process works in this data directory, however either path is spelled: a file made here for the
    /// question shows in its working directory (<c>/proc/PID/cwd</c>). A postmaster works in its data directory before
    /// it writes postmaster.pid, so a PostgreSQL process working elsewhere (a pid reused by another cluster's server)
    /// is not this directory's.
    /// </summary>
    /// <param name="pid">The process id.</param>
    /// <returns>Whether it does, or <see langword="null"/> when that cannot be told (no /proc, no access).</returns>
    private bool? WorksInThisDirectory(int pid)
    {
        var theirs = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cwd/";
        var name = ".writebehind-probe-" + Guid.NewGuid().ToString("N");
        var probe = Path.Combine(DataDirectory, name);
        try
        {
            if (!Directory.Exists(theirs))
            {
                return null;
            }

            File.WriteAllBytes(probe, []);
            try
            {
                var seen = File.Exists(theirs + name);
                return ProcessProbe.IsAlive(pid) && Directory.Exists(theirs) ? seen : null;
            }
            finally
            {
                File.Delete(probe);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The data directory with symbolic links resolved, as the kernel reports a working directory.</summary>
    /// <returns>The path.</returns>
    private string ResolvedDataDirectory()
    {
        try
        {
            return Path.TrimEndingDirectorySeparator(new DirectoryInfo(DataDirectory).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? DataDirectory);
        }
        catch (IOException)
        {
            return DataDirectory;
        }
    }

    /// <summary>Reads what the server logged since a position, at most the last <see cref="LogTailLines"/> lines.</summary>
    /// <param name="logPath">The log file.</param>
    /// <param name="start">The position before the start.</param>
    /// <returns>The lines, or a note when there are none.</returns>
    private static string ReadLogSince(string logPath, long start)
    {
        if (!File.Exists(logPath))
        {
            return "(no log was written)";
        }

        using var stream = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(Math.Min(start, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? "(nothing new in the log)" : string.Join(Environment.NewLine, lines.TakeLast(LogTailLines));
    }
}
