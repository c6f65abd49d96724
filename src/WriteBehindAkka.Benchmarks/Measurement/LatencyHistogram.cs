using System.Numerics;

namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// A log-linear histogram of non-negative values (nanoseconds here), in the manner of HdrHistogram: exact below
/// 128, above that 64 buckets per power of two, so a reported percentile is within 1/64 (1.6%) of the true value.
/// Recording is an index computation and an increment. Not thread-safe: each worker records into its own and the
/// histograms are merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Linear = 128;
    private const int SubBuckets = 64;
    private const int BucketCount = Linear + (63 - 7 + 1) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public long Max { get; private set; }

    public long Min { get; private set; } = long.MaxValue;

    public double Sum { get; private set; }

    public double Mean => Count == 0 ? double.NaN : Sum / Count;

    public void Record(long value) => Record(value, 1);

    /// <summary>Records <paramref name="count"/> observations of one value (the writes of one bulk call share its latency).</summary>
    public void Record(long value, int count)
    {
        if (value < 0)
        {
            value = 0;
        }

        _counts[IndexOf(value)] += count;
        Count += count;
        Sum += (double)value * count;
        if (value > Max)
        {
            Max = value;
        }

        if (value < Min)
        {
            Min = value;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Sum += other.Sum;
        Max = Math.Max(Max, other.Max);
        Min = Math.Min(Min, other.Min);
    }

    /// <summary>
    /// The value at percentile <paramref name="percentile"/> (0 to 100) by the nearest-rank method: the smallest
    /// recorded value such that at least that share of values is at or below it (as a bucket midpoint, clamped to
    /// the recorded min and max). NaN when empty.
    /// </summary>
    public double Percentile(double percentile)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(percentile);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 100);
        if (Count == 0)
        {
            return double.NaN;
        }

        // In decimal: 99.9 / 100.0 * 1000 is 999.0000000000001 in binary floating point, whose ceiling (1000) would
        // report the maximum as the p99.9 of 1,000 samples.
        long rank = Math.Max(1, (long)Math.Ceiling((decimal)percentile * Count / 100m));
        long seen = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (low, high) = BoundsOf(i);
                double mid = low + ((high - low) / 2.0);
                return Math.Clamp(mid, Min, Max);
            }
        }

        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        int msb = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = msb - 6;
        int top = (int)(value >> shift); // 64..127
        return Linear + ((msb - 7) * SubBuckets) + (top - SubBuckets);
    }

    /// <summary>The smallest and largest value that fall in a bucket.</summary>
    internal static (long Low, long High) BoundsOf(int index)
    {
        if (index < Linear)
        {
            return (index, index);
        }

        int msb = ((index - Linear) / SubBuckets) + 7;
        int top = ((index - Linear) % SubBuckets) + SubBuckets;
        int shift = msb - 6;
        long low = (long)top << shift;
        return (low, low + (1L << shift) - 1);
    }
}
