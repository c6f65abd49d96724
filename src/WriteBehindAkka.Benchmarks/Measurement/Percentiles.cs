namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>Percentiles of small samples (repetitions, per-interval lag samples), exact.</summary>
internal static class Percentiles
{
    /// <summary>
    /// The percentile (0 to 100) of the values by linear interpolation between the closest ranks (the method of
    /// Excel's PERCENTILE.INC and NumPy's default): 50 of {1, 2, 3, 4} is 2.5. NaN for no values; NaN values are
    /// ignored.
    /// </summary>
    public static double Of(IEnumerable<double> values, double percentile)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(percentile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return OfSorted(sorted, percentile);
    }

    /// <summary>As <see cref="Of"/>, for values already sorted ascending.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double percentile)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        double position = percentile / 100.0 * (sorted.Count - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Count - 1);
        double fraction = position - lower;

        // Not interpolated when there is nothing between the ranks: inf - inf and (inf - x) * 0 are NaN.
        return fraction == 0 || sorted[upper] == sorted[lower]
            ? sorted[lower]
            : sorted[lower] + ((sorted[upper] - sorted[lower]) * fraction);
    }

    public static double Median(IEnumerable<double> values) => Of(values, 50);
}
