using System.Globalization;

namespace WriteBehindAkka.LocalPostgres;

/// <content>
/// Clusters left behind by a process that was killed (SIGKILL, out of memory, a test run's hang timeout) while its
/// throwaway cluster ran: their server keeps running, and their folder stays, until a later start finds them.
/// </content>
public sealed partial class LocalPostgresCluster
{
    /// <summary>The prefix of the folders made under the temp directory for throwaway clusters.</summary>
    internal const string TempFolderPrefix = "writebehind-pg-";

    /// <summary>
    /// The file in a throwaway cluster's folder (next to <c>data</c>) that names the process that made it: its pid and
    /// its start time, so that a pid reused by a later process is not taken for the owner.
    /// </summary>
    internal const string OwnerFileName = "owner";

    /// <summary>
    /// The owner record of this process: <c>pid start-ticks pid-namespace</c> (<c>-</c> for what cannot be read). The
    /// namespace matters where containers share a temp directory: a pid of another container's means nothing here.
    /// </summary>
    /// <returns>The record.</returns>
    private static string OwnerRecord()
    {
        var pid = Environment.ProcessId;
        var start = ProcessProbe.StartTicks(pid);
        return string.Create(CultureInfo.InvariantCulture, $"{pid} {(start is { } ticks ? ticks.ToString(CultureInfo.InvariantCulture) : "-")} {PidNamespace() ?? "-"}");
    }

    /// <summary>This process's pid namespace (<c>pid:[4026531836]</c>), or <see langword="null"/> where there is no /proc.</summary>
    /// <returns>The namespace's name.</returns>
    private static string? PidNamespace()
    {
        try
        {
            return new FileInfo("/proc/self/ns/pid").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stops and deletes the throwaway clusters (<c>writebehind-pg-*</c> folders under the temp directory) whose owner
    /// process is gone. Only a folder with an owner file is looked at (a kept or given <c>DataDirectory</c> has none); a
    /// live owner's folder, one whose server cannot be told apart from another program, or one this user cannot stop or
    /// delete is left alone. Never fails the start that calls it.
    /// </summary>
    /// <param name="binDirectory">The server programs' directory.</param>
    /// <param name="cancellationToken">Cancels the sweep.</param>
    /// <returns>A task.</returns>
    internal static async Task SweepAbandonedClustersAsync(string binDirectory, CancellationToken cancellationToken)
    {
        List<string> folders;
        try
        {
            // Full paths, as the clusters were started with: a server's folder is compared with them below.
            folders = Directory.EnumerateDirectories(Path.GetFullPath(Path.GetTempPath()), TempFolderPrefix + "*")
                .Select(folder => Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)))
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var folder in folders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await SweepAsync(folder, binDirectory, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Left for a later start (another process may be sweeping it, or it is not ours to delete).
            }
        }
    }

    /// <summary>Stops the server of one abandoned folder, if it runs, and deletes the folder.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="binDirectory">The server programs' directory.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>A task.</returns>
    private static async Task SweepAsync(string folder, string binDirectory, CancellationToken cancellationToken)
    {
        if (!IsAbandoned(Path.Combine(folder, OwnerFileName)))
        {
            return;
        }

        var data = Path.Combine(folder, "data");
        var pidFile = Path.Combine(data, "postmaster.pid");
        if (File.Exists(pidFile)
            && int.TryParse(File.ReadLines(pidFile).FirstOrDefault()?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && pid > 0
            && ProcessProbe.IsAlive(pid))
        {
            var name = ProcessProbe.ProgramName(pid);
            var directory = ProcessProbe.WorkingDirectory(pid);
            var commandLine = ProcessProbe.CommandLine(pid);
            if (name is null || (name is "postgres" or "postmaster" && directory is null && commandLine.Count == 0))
            {
                return; // cannot tell whether it is that folder's server: leave both alone
            }

            bool serves = name is "postgres" or "postmaster"
                && (string.Equals(directory is null ? null : Path.TrimEndingDirectorySeparator(directory), data, StringComparison.Ordinal)
                    || commandLine.Contains(data, StringComparer.Ordinal));
            if (serves)
            {
                var children = ProcessProbe.ChildrenOf(pid);
                var stop = await CommandRunner.RunPostgresProgramAsync(
                    Path.Combine(binDirectory, "pg_ctl"),
                    ["stop", "-w", "-m", "immediate", "-t", "30", "-D", data],
                    TimeSpan.FromSeconds(45),
                    cancellationToken).ConfigureAwait(false);
                if (!stop.Succeeded && ProcessProbe.IsAlive(pid))
                {
                    // pg_ctl could not stop it (another OS user's server, say): it runs on, so waiting for it to exit
                    // would only delay this start; it and its folder are left as they are.
                    return;
                }

                var deadline = DateTime.UtcNow + KillDeadline;
                while (ProcessProbe.IsAlive(pid) || children.Any(ProcessProbe.IsAlive))
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        return; // still running: deleting its folder under it would help nobody
                    }

                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Whether an owner file names a process that is gone (or whose pid a later process now holds).</summary>
    /// <param name="ownerFile">The owner file.</param>
    /// <returns><see langword="true"/> when the owner is surely gone; <see langword="false"/> when it lives, or the file is missing or unreadable.</returns>
    private static bool IsAbandoned(string ownerFile)
    {
        if (!File.Exists(ownerFile))
        {
            return false;
        }

        var fields = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length != 3 || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
        {
            return false; // being written, or not ours
        }

        if (fields[2] == "-" || fields[2] != PidNamespace())
        {
            return false; // another container's (its pids mean other processes here), or a namespace unknown
        }

        if (!ProcessProbe.IsAlive(pid))
        {
            return true;
        }

        // Alive: the owner, unless the pid now names a process that started at another time.
        return ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var recorded)
            && ProcessProbe.StartTicks(pid) is { } current
            && current != recorded;
    }
}
