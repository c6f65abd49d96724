namespace WriteBehindAkka.Benchmarks.Workloads;

/// <summary>One worker's stream of operations of a workload: which key, and whether it is a read. Not thread-safe.</summary>
internal sealed class KeyStream
{
    private readonly WorkloadSpec _spec;
    private readonly ZipfSampler? _zipf;
    private readonly FastRandom _random;

    /// <param name="spec">The workload.</param>
    /// <param name="zipf">The shared sampler for Zipf workloads (built once per workload); null for uniform ones.</param>
    /// <param name="seed">The worker's seed.</param>
    public KeyStream(WorkloadSpec spec, ZipfSampler? zipf, ulong seed)
    {
        _spec = spec;
        _zipf = spec.Distribution == KeyDistribution.Zipf ? zipf ?? throw new ArgumentNullException(nameof(zipf)) : null;
        _random = new FastRandom(seed);
    }

    /// <summary>The worker's random numbers (also used for value filler).</summary>
    public FastRandom Random => _random;

    /// <summary>Draws the next key.</summary>
    public long NextKey() => _zipf is null ? _random.NextInt64(_spec.KeyCount) : _zipf.Next(_random);

    /// <summary>Whether the next operation is a read.</summary>
    public bool NextIsRead() => _spec.ReadPercent > 0 && _random.NextInt64(100) < _spec.ReadPercent;

    /// <summary>Makes a Zipf sampler for a workload, or null when it is uniform.</summary>
    public static ZipfSampler? SamplerFor(WorkloadSpec spec) =>
        spec.Distribution == KeyDistribution.Zipf ? new ZipfSampler(spec.KeyCount, spec.ZipfExponent) : null;
}
