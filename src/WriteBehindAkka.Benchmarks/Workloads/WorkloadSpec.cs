using System.Globalization;

namespace WriteBehindAkka.Benchmarks.Workloads;

/// <summary>One workload of the standard suite: which keys are written, how big the values are, and how many operations are reads.</summary>
/// <param name="Name">Short name used in tables, the JSON and the chart.</param>
/// <param name="KeyCount">Distinct keys: keys are 0..KeyCount-1 (bigint).</param>
/// <param name="ValueBytes">Bytes per value (bytea).</param>
/// <param name="Distribution">How keys are drawn.</param>
/// <param name="ZipfExponent">The Zipf exponent when <paramref name="Distribution"/> is Zipf.</param>
/// <param name="ReadPercent">Percent of operations that are reads (0 for write-only).</param>
internal sealed record WorkloadSpec(string Name, int KeyCount, int ValueBytes, KeyDistribution Distribution, double ZipfExponent, int ReadPercent)
{
    /// <summary>The standard suite's workloads.</summary>
    public static IReadOnlyList<WorkloadSpec> Standard { get; } =
    [
        new("uniform-1M-100B", 1_000_000, 100, KeyDistribution.Uniform, 0, 0),
        new("zipf0.99-100k-100B", 100_000, 100, KeyDistribution.Zipf, 0.99, 0),
        new("uniform-100k-4KiB", 100_000, 4096, KeyDistribution.Uniform, 0, 0),
        new("mixed-90w10r-100k-100B", 100_000, 100, KeyDistribution.Uniform, 0, 10),
    ];

    /// <summary>A one-line description for the progress and the report.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{(Distribution == KeyDistribution.Zipf ? $"Zipf(s={ZipfExponent})" : "uniform")} over {KeyCount:N0} keys, {ValueBytes:N0}-byte values, {100 - ReadPercent}% writes / {ReadPercent}% reads");
}
