using System.Diagnostics;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>CPU time of this process (user + kernel), from <see cref="Process.TotalProcessorTime"/>.</summary>
internal static class ProcessCpu
{
    public static double Seconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }
}
