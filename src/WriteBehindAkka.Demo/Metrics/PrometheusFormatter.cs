using System.Globalization;
using System.Text;

namespace WriteBehindAkka.Demo.Metrics;

/// <summary>
/// Writes collected series in the Prometheus text format 0.0.4, named the way OpenTelemetry's Prometheus exporter
/// names them: dots become underscores, the unit is appended (<c>s</c> as <c>_seconds</c>, <c>By</c> as <c>_bytes</c>;
/// annotations such as <c>{row}</c> are dropped) and counters end in <c>_total</c>.
/// </summary>
public static class PrometheusFormatter
{
    /// <summary>The content type of the text format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Formats the series.</summary>
    /// <param name="points">The series, grouped by instrument (as <see cref="MetricsCollector.Collect"/> returns them).</param>
    /// <returns>The exposition text.</returns>
    public static string Format(IEnumerable<MetricPoint> points)
    {
        var text = new StringBuilder();
        foreach (var instrument in points.GroupBy(p => p.Instrument))
        {
            var first = instrument.First();
            string name = MetricName(first.Instrument, first.Unit, first.Kind);
            text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(first.Description ?? first.Instrument)).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(first.Kind switch
            {
                InstrumentKind.Counter => "counter",
                InstrumentKind.Histogram => "histogram",
                _ => "gauge",
            }).Append('\n');
            foreach (var point in instrument)
            {
                if (point.Kind == InstrumentKind.Histogram)
                {
                    long cumulative = 0;
                    for (int i = 0; i <= point.Bounds.Count; i++)
                    {
                        cumulative += point.BucketCounts[i];
                        string bound = i < point.Bounds.Count ? Number(point.Bounds[i]) : "+Inf";
                        Line(text, name + "_bucket", point.Tags, cumulative, ("le", bound));
                    }

                    Line(text, name + "_sum", point.Tags, point.Value);
                    Line(text, name + "_count", point.Tags, point.Count);
                }
                else
                {
                    Line(text, name, point.Tags, point.Value);
                }
            }
        }

        return text.ToString();
    }

    /// <summary>The Prometheus name of an instrument.</summary>
    /// <param name="instrument">The instrument's name.</param>
    /// <param name="unit">Its unit.</param>
    /// <param name="kind">Its kind.</param>
    /// <returns>For example <c>writebehind_commit_duration_seconds</c> or <c>writebehind_rows_committed_total</c>.</returns>
    public static string MetricName(string instrument, string? unit, InstrumentKind kind)
    {
        var name = new StringBuilder(instrument.Length + 16);
        foreach (char c in instrument)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? c : '_');
        }

        string? suffix = unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            "1" => "ratio",
            _ => null, // none, or an annotation such as {row}
        };
        if (suffix is not null && !name.ToString().EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name.Append('_').Append(suffix);
        }

        if (kind == InstrumentKind.Counter)
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    private static void Line(StringBuilder text, string name, IReadOnlyList<KeyValuePair<string, string>> tags, double value, (string Key, string Value)? extra = null)
    {
        text.Append(name);
        if (tags.Count > 0 || extra is not null)
        {
            text.Append('{');
            bool comma = false;
            foreach (var (key, tagValue) in tags)
            {
                Label(text, ref comma, LabelName(key), tagValue);
            }

            if (extra is { } label)
            {
                Label(text, ref comma, label.Key, label.Value);
            }

            text.Append('}');
        }

        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static void Label(StringBuilder text, ref bool comma, string key, string value)
    {
        if (comma)
        {
            text.Append(',');
        }

        comma = true;
        text.Append(key).Append("=\"").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('"');
    }

    private static string LabelName(string key)
    {
        var name = new StringBuilder(key.Length);
        foreach (char c in key)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return name.ToString();
    }

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
}
