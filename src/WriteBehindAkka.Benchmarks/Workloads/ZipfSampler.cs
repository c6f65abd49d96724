namespace WriteBehindAkka.Benchmarks.Workloads;

/// <summary>
/// Draws ranks 0..n-1 with Zipf probabilities <c>P(k) ∝ 1 / (k + 1)^s</c>: rank 0 is the hottest key. The
/// cumulative distribution is computed once (n doubles, shared and read-only) and each draw is one uniform number
/// and a binary search, so one sampler serves every worker.
/// </summary>
internal sealed class ZipfSampler
{
    private readonly double[] _cdf;

    public ZipfSampler(int n, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        ArgumentOutOfRangeException.ThrowIfNegative(exponent);
        _cdf = new double[n];
        double sum = 0;
        for (int k = 0; k < n; k++)
        {
            sum += 1.0 / Math.Pow(k + 1, exponent);
            _cdf[k] = sum;
        }

        for (int k = 0; k < n; k++)
        {
            _cdf[k] /= sum;
        }

        _cdf[n - 1] = 1.0;
        Exponent = exponent;
    }

    /// <summary>The number of ranks.</summary>
    public int Count => _cdf.Length;

    /// <summary>The exponent <c>s</c>.</summary>
    public double Exponent { get; }

    /// <summary>The probability of a rank.</summary>
    public double Probability(int rank) => rank == 0 ? _cdf[0] : _cdf[rank] - _cdf[rank - 1];

    /// <summary>Maps a uniform number in [0, 1) to a rank.</summary>
    public int Sample(double uniform)
    {
        int index = Array.BinarySearch(_cdf, uniform);
        // Not found: the complement of the first element greater than the value, which is the rank drawn.
        index = index < 0 ? ~index : index + 1;
        return Math.Min(index, _cdf.Length - 1);
    }

    /// <summary>Draws a rank.</summary>
    public int Next(FastRandom random) => Sample(random.NextDouble());
}
