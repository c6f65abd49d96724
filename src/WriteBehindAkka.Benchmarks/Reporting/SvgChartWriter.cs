using System.Globalization;
using System.Security;
using System.Text;
using WriteBehindAkka.Benchmarks.Measurement;
using WriteBehindAkka.Benchmarks.Suite;

namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>
/// A self-contained SVG (no scripts, fonts or downloads): per workload, three panels over time for the median
/// repetition of each contender: writes acknowledged and rows committed per second (log scale), the database lag
/// of the write-behind cache (log scale), and its backlog. The shaded band is the measured window.
/// </summary>
internal static class SvgChartWriter
{
    private const int Width = 1340;
    private const int PanelWidth = 380;
    private const int PanelHeight = 230;
    private const int RowHeight = 300;
    private const int Left = 70;
    private const int Top = 90;

    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"];

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string Render(SuiteResult result)
    {
        // The backlog drain has no window over time (it times one flush), so it is in the tables only.
        var names = result.Workloads.SelectMany(w => w.Contenders).Where(c => c.Runs.Count > 0 && c.Kind != ContenderKind.Drain).Select(c => c.Name).Distinct().ToList();
        int height = Top + (result.Workloads.Count * RowHeight) + 20;
        var svg = new StringBuilder();
        svg.AppendLine(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine(C, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>");
        Text(svg, 20, 24, $"WriteBehindAkka standard suite, {result.StartedAt:yyyy-MM-dd HH:mm}, {result.Machine.GetValueOrDefault("processors")} cores, PostgreSQL {result.Database.GetValueOrDefault("server_version")} (fsync={result.Database.GetValueOrDefault("fsync")}); median repetition of each contender", 14, "bold");
        Text(svg, 20, 42, "Solid: writes acknowledged/s. Dashed: rows committed to PostgreSQL/s (ceilings: rows only); rates are 0.5 s moving averages of 100 ms samples. Shaded: measured window; after it, the drain.", 11, null);
        int x = 20;
        for (int i = 0; i < names.Count; i++)
        {
            svg.AppendLine(C, $"<line x1=\"{x}\" y1=\"62\" x2=\"{x + 20}\" y2=\"62\" stroke=\"{Color(names, names[i])}\" stroke-width=\"3\"/>");
            Text(svg, x + 25, 66, names[i], 11, null);
            x += 40 + (names[i].Length * 6);
        }

        for (int row = 0; row < result.Workloads.Count; row++)
        {
            var w = result.Workloads[row];
            int y = Top + (row * RowHeight);
            Text(svg, 20, y + 12, $"{w.Workload.Name}: {w.Workload.Describe()}", 13, "bold");
            var withRuns = w.Contenders.Where(c => c.MedianRun is not null && c.Kind != ContenderKind.Drain).ToList();
            var window = withRuns.Select(c => c.MedianRun!).FirstOrDefault();

            var throughput = new List<Series>();
            foreach (var c in withRuns)
            {
                var run = c.MedianRun!;
                if (c.Kind != ContenderKind.Ceiling)
                {
                    throughput.Add(new Series(c.Name, Color(names, c.Name), false, Smooth(run.Series.Select(p => (p.Seconds, p.WritesPerSecond)).ToList())));
                }

                throughput.Add(new Series(c.Name, Color(names, c.Name), c.Kind != ContenderKind.Ceiling, Smooth(run.Series.Select(p => (p.Seconds, p.RowsPerSecond)).ToList())));
            }

            var lag = withRuns.Where(c => c.Kind == ContenderKind.WriteBehind)
                .SelectMany(c => new[]
                {
                    new Series(c.Name + " p50", Color(names, c.Name), false, c.MedianRun!.Series.Where(p => p.LagP50Ms is not null).Select(p => (p.Seconds, p.LagP50Ms!.Value)).ToList()),
                    new Series(c.Name + " max", Color(names, c.Name), true, c.MedianRun!.Series.Where(p => p.LagMaxMs is not null).Select(p => (p.Seconds, p.LagMaxMs!.Value)).ToList()),
                }).ToList();
            var backlog = withRuns.Where(c => c.Kind == ContenderKind.WriteBehind)
                .Select(c => new Series(c.Name, Color(names, c.Name), false, c.MedianRun!.Series.Where(p => p.Backlog is not null).Select(p => (p.Seconds, (double)p.Backlog!.Value)).ToList()))
                .ToList();

            Panel(svg, Left, y + 30, "writes/s (solid) and rows/s (dashed), log", throughput, log: true, window);
            Panel(svg, Left + PanelWidth + 45, y + 30, "write-behind lag, ms, log (solid p50, dashed max of samples)", lag, log: true, window);
            Panel(svg, Left + (2 * (PanelWidth + 45)), y + 30, "write-behind backlog (pending entries)", backlog, log: false, window);
        }

        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    /// <summary>A centred moving average over 5 samples (0.5 s): batch commits make 100 ms rates jumpy.</summary>
    internal static List<(double X, double Y)> Smooth(List<(double X, double Y)> points)
    {
        const int Half = 2;
        var smoothed = new List<(double X, double Y)>(points.Count);
        for (int i = 0; i < points.Count; i++)
        {
            int from = Math.Max(0, i - Half), to = Math.Min(points.Count - 1, i + Half);
            double sum = 0;
            for (int j = from; j <= to; j++)
            {
                sum += points[j].Y;
            }

            smoothed.Add((points[i].X, sum / (to - from + 1)));
        }

        return smoothed;
    }

    private sealed record Series(string Name, string Color, bool Dashed, List<(double X, double Y)> Points);

    private static string Color(List<string> names, string name) => Palette[Math.Max(0, names.IndexOf(name)) % Palette.Length];

    private static void Panel(StringBuilder svg, int x0, int y0, string title, List<Series> series, bool log, RunResult? window)
    {
        svg.AppendLine(C, $"<g transform=\"translate({x0},{y0})\">");
        svg.AppendLine(C, $"<rect x=\"0\" y=\"0\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"#fafafa\" stroke=\"#999\"/>");
        Text(svg, 0, -6, title, 11, null);
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y) && (!log || p.Y > 0)).ToList();
        if (points.Count == 0)
        {
            Text(svg, 10, PanelHeight / 2, "no data (does not apply)", 11, null);
            svg.AppendLine("</g>");
            return;
        }

        double xMax = Math.Max(1, series.SelectMany(s => s.Points).Max(p => p.X));
        double yMin, yMax;
        if (log)
        {
            yMin = Math.Pow(10, Math.Floor(Math.Log10(points.Min(p => p.Y))));
            yMax = Math.Pow(10, Math.Ceiling(Math.Log10(points.Max(p => p.Y))));
            if (yMax <= yMin)
            {
                yMax = yMin * 10;
            }
        }
        else
        {
            yMin = 0;
            yMax = Math.Max(1, points.Max(p => p.Y)) * 1.05;
        }

        double Sx(double x) => x / xMax * PanelWidth;
        double Sy(double y) => log
            ? PanelHeight - ((Math.Log10(Math.Max(y, yMin)) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)) * PanelHeight)
            : PanelHeight - ((y - yMin) / (yMax - yMin) * PanelHeight);

        if (window is not null && window.WindowEnd > window.WindowStart)
        {
            svg.AppendLine(C, $"<rect x=\"{Sx(window.WindowStart):0.#}\" y=\"0\" width=\"{Sx(window.WindowEnd) - Sx(window.WindowStart):0.#}\" height=\"{PanelHeight}\" fill=\"#e8eef8\"/>");
        }

        foreach (var (value, label) in Ticks(yMin, yMax, log))
        {
            double ty = Sy(value);
            svg.AppendLine(C, $"<line x1=\"0\" y1=\"{ty:0.#}\" x2=\"{PanelWidth}\" y2=\"{ty:0.#}\" stroke=\"#ddd\"/>");
            Text(svg, -4, (int)ty + 4, label, 10, null, "end");
        }

        for (int s = 0; s <= 5; s++)
        {
            double t = xMax * s / 5;
            Text(svg, (int)Sx(t), PanelHeight + 14, t.ToString("0.#", C) + " s", 10, null, "middle");
        }

        foreach (var s in series)
        {
            var path = new StringBuilder();
            bool pen = false;
            foreach (var (x, y) in s.Points)
            {
                if (!double.IsFinite(y) || (log && y <= 0))
                {
                    pen = false;
                    continue;
                }

                path.Append(C, $"{(pen ? 'L' : 'M')}{Sx(x):0.#},{Sy(y):0.#} ");
                pen = true;
            }

            if (path.Length > 0)
            {
                svg.AppendLine(C, $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.5\"{(s.Dashed ? " stroke-dasharray=\"5,3\"" : string.Empty)}><title>{Escape(s.Name)}</title></path>");
            }
        }

        svg.AppendLine("</g>");
    }

    private static IEnumerable<(double Value, string Label)> Ticks(double min, double max, bool log)
    {
        if (log)
        {
            for (double v = min; v <= max * 1.0001; v *= 10)
            {
                yield return (v, Short(v));
            }

            yield break;
        }

        double step = Math.Pow(10, Math.Floor(Math.Log10(max / 4)));
        if (max / step > 10)
        {
            step *= 2;
        }

        for (double v = 0; v <= max; v += step)
        {
            yield return (v, Short(v));
        }
    }

    private static string Short(double v) => v switch
    {
        >= 1e6 => (v / 1e6).ToString("0.#", C) + "M",
        >= 1e3 => (v / 1e3).ToString("0.#", C) + "k",
        >= 1 => v.ToString("0.#", C),
        >= 0.001 or <= 0 => v.ToString("0.###", C),
        _ => v.ToString("0.#E+0", C), // below 0.001 "0.###" would label every decade "0"
    };

    private static void Text(StringBuilder svg, int x, int y, string text, int size, string? weight, string anchor = "start") =>
        svg.AppendLine(C, $"<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\"{(weight is null ? string.Empty : $" font-weight=\"{weight}\"")} text-anchor=\"{anchor}\">{Escape(text)}</text>");

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;
}
