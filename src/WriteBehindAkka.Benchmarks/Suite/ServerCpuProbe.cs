using System.Globalization;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>
/// CPU seconds used by a local PostgreSQL server: the postmaster and its live children from <c>/proc</c>, each
/// with the time of the children it has reaped (so backends that exited still count). Linux only; NaN elsewhere
/// or for an external server.
/// </summary>
internal sealed class ServerCpuProbe
{
    private readonly int? _postmasterPid;

    public ServerCpuProbe(int? postmasterPid) => _postmasterPid = OperatingSystem.IsLinux() ? postmasterPid : null;

    public bool Available => _postmasterPid is not null;

    /// <summary>Clock ticks per second of /proc's times (USER_HZ, 100 on every mainstream Linux).</summary>
    private const double TicksPerSecond = 100;

    public double Seconds()
    {
        if (_postmasterPid is not { } root)
        {
            return double.NaN;
        }

        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            if (TryRead(pid, out int parent, out long own, out long children) && (pid == root || parent == root))
            {
                ticks += own + children;
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>Parses /proc/PID/stat: the parent (field 4), utime+stime (14, 15) and cutime+cstime (16, 17).</summary>
    internal static bool TryParseStat(string stat, out int parent, out long own, out long children)
    {
        parent = 0;
        own = children = 0;
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state).
        if (fields.Length < 15
            || !int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out parent)
            || !long.TryParse(fields[11], NumberStyles.Integer, CultureInfo.InvariantCulture, out long utime)
            || !long.TryParse(fields[12], NumberStyles.Integer, CultureInfo.InvariantCulture, out long stime)
            || !long.TryParse(fields[13], NumberStyles.Integer, CultureInfo.InvariantCulture, out long cutime)
            || !long.TryParse(fields[14], NumberStyles.Integer, CultureInfo.InvariantCulture, out long cstime))
        {
            return false;
        }

        own = utime + stime;
        children = cutime + cstime;
        return true;
    }

    private static bool TryRead(int pid, out int parent, out long own, out long children)
    {
        parent = 0;
        own = children = 0;
        try
        {
            return TryParseStat(File.ReadAllText($"/proc/{pid}/stat"), out parent, out own, out children);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
