namespace WriteBehindAkka.Benchmarks.Verification;

/// <summary>What a table holds for keys 0..n-1: each row's version and its value's stamp (version 0: no row).</summary>
internal sealed class TableSnapshot
{
    private readonly long[] _versions;
    private readonly long[] _stamps;

    public TableSnapshot(int keyCount)
    {
        _versions = new long[keyCount];
        _stamps = new long[keyCount];
    }

    public int KeyCount => _versions.Length;

    /// <summary>Rows whose key is outside 0..n-1 (none should exist).</summary>
    public long ForeignRows { get; private set; }

    public int Rows { get; private set; }

    public void Add(long key, long version, long stamp)
    {
        if (key < 0 || key >= _versions.Length)
        {
            ForeignRows++;
            return;
        }

        if (_versions[key] == 0)
        {
            Rows++;
        }

        _versions[key] = version;
        _stamps[key] = stamp;
    }

    public void Remove(long key)
    {
        if (_versions[key] != 0)
        {
            Rows--;
        }

        _versions[key] = 0;
        _stamps[key] = 0;
    }

    public bool TryGet(long key, out long version, out long stamp)
    {
        version = _versions[key];
        stamp = _stamps[key];
        return version != 0;
    }
}
