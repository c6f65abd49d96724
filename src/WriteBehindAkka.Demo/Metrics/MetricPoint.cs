namespace WriteBehindAkka.Demo.Metrics;

/// <summary>One series of one instrument at a collection.</summary>
/// <param name="Instrument">The instrument's name, for example <c>writebehind.rows.committed</c>.</param>
/// <param name="Unit">Its unit (<c>s</c>, <c>By</c>, <c>{row}</c>), if any.</param>
/// <param name="Description">Its description, if any.</param>
/// <param name="Kind">How it aggregates.</param>
/// <param name="Tags">The series' tags, sorted by key.</param>
/// <param name="Value">The sum (counter) or current value (gauge); the sum of observations for a histogram.</param>
/// <param name="Count">How many observations a histogram has had (0 otherwise).</param>
/// <param name="Bounds">A histogram's bucket upper bounds (empty otherwise).</param>
/// <param name="BucketCounts">Observations per bucket, non-cumulative, with one more entry than <paramref name="Bounds"/> for +Inf.</param>
public sealed record MetricPoint(
    string Instrument,
    string? Unit,
    string? Description,
    InstrumentKind Kind,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    double Value,
    long Count,
    IReadOnlyList<double> Bounds,
    IReadOnlyList<long> BucketCounts)
{
    /// <summary>The value of a tag, or <see langword="null"/>.</summary>
    /// <param name="key">The tag key.</param>
    /// <returns>The value.</returns>
    public string? Tag(string key)
    {
        foreach (var (k, v) in Tags)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }
}
