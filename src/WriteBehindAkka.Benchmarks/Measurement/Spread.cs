using System.Text.Json.Serialization;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>The median of a figure over the repetitions, and its range.</summary>
/// <param name="Median">The median (NaN when no repetition has the figure).</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
internal sealed record Spread(double Median, double Min, double Max)
{
    public static Spread Of(IEnumerable<double> values)
    {
        var list = values.Where(v => !double.IsNaN(v)).ToList();
        return list.Count == 0
            ? new Spread(double.NaN, double.NaN, double.NaN)
            : new Spread(Percentiles.Median(list), list.Min(), list.Max());
    }

    [JsonIgnore]
    public bool HasValue => !double.IsNaN(Median);
}
