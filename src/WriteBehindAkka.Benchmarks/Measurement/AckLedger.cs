namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// The latest acknowledged write of every key: its version and its value's stamp. Workers of one run record every
/// acknowledgement here; the verification step then checks the table against it. Keys are 0..n-1. Thread-safe:
/// a key's version and stamp change together under one of a set of striped locks.
/// </summary>
internal sealed class AckLedger
{
    private const int Stripes = 1024;

    private readonly long[] _versions;
    private readonly long[] _stamps;
    private readonly object[] _locks;

    public AckLedger(int keyCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyCount);
        _versions = new long[keyCount];
        _stamps = new long[keyCount];
        _locks = new object[Stripes];
        for (int i = 0; i < Stripes; i++)
        {
            _locks[i] = new object();
        }
    }

    public int KeyCount => _versions.Length;

    /// <summary>Records an acknowledged write; keeps the newer version when two writers race on a key.</summary>
    public void Acknowledge(long key, long version, long stamp)
    {
        if (version <= 0)
        {
            // Versions are microsecond timestamps: a write answered with none cannot be checked, and would be skipped.
            throw new InvalidOperationException($"Key {key} was acknowledged at version {version}; every acknowledged write must carry a positive version.");
        }

        lock (_locks[(int)(key & (Stripes - 1))])
        {
            if (version > _versions[key])
            {
                _versions[key] = version;
                _stamps[key] = stamp;
            }
        }
    }

    /// <summary>The latest acknowledged version of a key; 0 when it was never written.</summary>
    public long VersionOf(long key) => Volatile.Read(ref _versions[key]);

    public long StampOf(long key) => Volatile.Read(ref _stamps[key]);

    /// <summary>How many keys have an acknowledged write.</summary>
    public int WrittenKeys()
    {
        int n = 0;
        foreach (long v in _versions)
        {
            n += v > 0 ? 1 : 0;
        }

        return n;
    }
}
