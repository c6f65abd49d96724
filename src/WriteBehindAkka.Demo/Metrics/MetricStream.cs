namespace WriteBehindAkka.Demo.Metrics;

/// <summary>The running aggregate of one instrument for one set of tags.</summary>
internal sealed class MetricStream
{
    private readonly Lock _gate = new();
    private readonly long[] _buckets;
    private double _value;
    private long _count;

    public MetricStream(KeyValuePair<string, object?>[] tags, IReadOnlyList<double> bounds)
    {
        Tags = tags;
        Bounds = bounds;
        _buckets = new long[bounds.Count + 1];
    }

    /// <summary>Gets the tags, as the instrument reported them.</summary>
    public KeyValuePair<string, object?>[] Tags { get; }

    public IReadOnlyList<double> Bounds { get; }

    /// <summary>Whether <paramref name="tags"/> are this stream's (same keys and values, in the same order).</summary>
    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length != Tags.Length)
        {
            return false;
        }

        for (int i = 0; i < tags.Length; i++)
        {
            if (tags[i].Key != Tags[i].Key || !Equals(tags[i].Value, Tags[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    public void Add(double value)
    {
        lock (_gate)
        {
            _value += value;
        }
    }

    public void Set(double value)
    {
        lock (_gate)
        {
            _value = value;
        }
    }

    public void Observe(double value)
    {
        int bucket = 0;
        while (bucket < Bounds.Count && value > Bounds[bucket])
        {
            bucket++;
        }

        lock (_gate)
        {
            _value += value;
            _count++;
            _buckets[bucket]++;
        }
    }

    public (double Value, long Count, long[] Buckets) Read()
    {
        lock (_gate)
        {
            return (_value, _count, (long[])_buckets.Clone());
        }
    }
}
