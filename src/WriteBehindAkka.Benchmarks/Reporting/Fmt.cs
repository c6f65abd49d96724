using System.Globalization;

namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>Number formats of the table and the progress lines (invariant culture).</summary>
internal static class Fmt
{
    public static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    public static string Rate(double v) => v >= 10_000 ? (v / 1000).ToString("0", Culture) + "k" : v.ToString("0", Culture);

    public static string Count(double v) => v.ToString("N0", Culture);

    public static string Micros(double us) => us >= 1000 ? (us / 1000).ToString("0.00", Culture) + " ms" : us.ToString("0.0", Culture) + " µs";

    public static string Millis(double ms) => ms >= 1000 ? (ms / 1000).ToString("0.00", Culture) + " s" : ms.ToString("0.0", Culture) + " ms";

    public static string Bytes(double b) => b >= 1 << 30 ? (b / (1 << 30)).ToString("0.00", Culture) + " GiB" : (b / (1 << 20)).ToString("0", Culture) + " MiB";

    public static string Ratio(double v) => double.IsNaN(v) ? "n/a" : v >= 100 ? v.ToString("0", Culture) + "x" : v.ToString("0.0", Culture) + "x";

    public static string Percent(double v) => double.IsNaN(v) ? "n/a" : (v * 100).ToString("0", Culture) + "%";
}
