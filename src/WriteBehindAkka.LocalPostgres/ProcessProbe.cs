using System.Diagnostics;
using System.Globalization;

namespace WriteBehindAkka.LocalPostgres;

/// <summary>
/// Looks at processes by id through <c>/proc</c> (Linux). Used only for the postmaster this library started
/// and its children, and for the postmaster named by the <c>postmaster.pid</c> of a throwaway cluster whose
/// owner process is gone; never to find processes by name.
/// </summary>
internal static class ProcessProbe
{
    /// <summary>Tells whether a process is alive: it exists and is neither a zombie nor dead.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns><see langword="true"/> when it is alive.</returns>
    internal static bool IsAlive(int pid)
    {
        var state = State(pid);
        if (state is not null)
        {
            return state is not ('Z' or 'X' or 'x');
        }

        if (Directory.Exists("/proc"))
        {
            return false;
        }

        // Without /proc (not Linux), ask the runtime; it cannot tell a zombie from a live process.
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Reads a process's command line.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>Its arguments, or an empty list when it is gone or unreadable.</returns>
    internal static IReadOnlyList<string> CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
            return raw.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Reads a process's environment (<c>/proc/PID/environ</c>).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>Its <c>NAME=value</c> entries, or <see langword="null"/> when it is gone or unreadable.</returns>
    internal static IReadOnlyList<string>? Environment(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a process's program name (<c>/proc/PID/comm</c>, at most 15 characters).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The name, or <see langword="null"/> when it is gone or unreadable.</returns>
    internal static string? ProgramName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a process's working directory (a postmaster's is its data directory).</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The directory, or <see langword="null"/> when it is gone or unreadable.</returns>
    internal static string? WorkingDirectory(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cwd").ResolveLinkTarget(returnFinalTarget: false)?.FullName;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Lists the live children of a process.</summary>
    /// <param name="parentPid">The parent's id.</param>
    /// <returns>The children's ids.</returns>
    internal static IReadOnlyList<int> ChildrenOf(int parentPid)
    {
        var children = new List<int>();
        if (!Directory.Exists("/proc"))
        {
            return children;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadStat(pid) is { } stat && stat.ParentPid == parentPid && stat.State is not ('Z' or 'X' or 'x'))
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>
    /// Reads when a process started, in clock ticks since boot (<c>/proc/PID/stat</c>, field 22): with the pid, it names
    /// one process, so that a pid reused by a later process is not taken for the one that held it before.
    /// </summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The start time, or <see langword="null"/> when the process is gone or there is no /proc.</returns>
    internal static ulong? StartTicks(int pid)
    {
        // The start time is the twenty-second field; the fields read here start at the third (state).
        var fields = StatFields(pid);
        return fields is { Length: > 19 } && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    /// <summary>Reads the state letter of a process.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The letter (R, S, D, Z, ...), or <see langword="null"/> when it is gone or there is no /proc.</returns>
    private static char? State(int pid) => ReadStat(pid)?.State;

    /// <summary>Reads the state and parent id from <c>/proc/PID/stat</c>.</summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The two fields, or <see langword="null"/> when the process is gone.</returns>
    private static (char State, int ParentPid)? ReadStat(int pid)
    {
        var fields = StatFields(pid);
        if (fields is null || fields.Length < 2 || fields[0].Length != 1
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
        {
            return null;
        }

        return (fields[0][0], parent);
    }

    /// <summary>
    /// Reads the fields of <c>/proc/PID/stat</c> from the third (state) on: "pid (comm) S ppid ...", where comm may
    /// hold spaces and parentheses, so they are split after the last ')'.
    /// </summary>
    /// <param name="pid">The process id.</param>
    /// <returns>The fields, or <see langword="null"/> when the process is gone or there is no /proc.</returns>
    private static string[]? StatFields(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length ? null : stat[(close + 2)..].Split(' ');
    }
}
