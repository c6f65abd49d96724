using System.Diagnostics;

namespace WriteBehindAkka.Sharding;

/// <summary>
/// A shard's version clock: <c>max(wall-clock microseconds, last + 1)</c>. Owned by one shard loop, so it
/// needs no synchronization; every key lives in one shard, so versions grow per key.
/// </summary>
internal sealed class HybridLogicalClock
{
    /// <summary>Wall-clock source.</summary>
    private readonly TimeProvider _time;

    /// <summary>The last version handed out.</summary>
    private long _last;

    /// <summary>Creates a clock that never goes below <paramref name="floor"/>.</summary>
    public HybridLogicalClock(TimeProvider time, long floor = 0)
    {
        _time = time;
        _last = floor;
    }

    /// <summary>The last version handed out.</summary>
    public long Last => _last;

    /// <summary>Returns a version greater than every earlier one and not below the wall clock.</summary>
    public long Next()
    {
        long now = Versioning.FromTimestamp(_time.GetUtcNow());
        _last = now > _last ? now : _last + 1;
        return _last;
    }

    /// <summary>Moves the clock past a version seen elsewhere (a stored row or a journal record).</summary>
    public void Observe(long version)
    {
        Debug.Assert(version >= 0, "versions are never negative");
        if (version > _last)
        {
            _last = version;
        }
    }
}
