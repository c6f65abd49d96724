using System.Collections.Concurrent;

namespace WriteBehindAkka.Sharding;

/// <summary>
/// The read-through loads under way in one cache (one key or a batch), with when each began: the cache sets no timeout
/// on a load, so health looks here for one that never returns.
/// </summary>
internal sealed class LoadsInFlight
{
    private readonly ConcurrentDictionary<long, (long Since, int Keys)> _loads = new();
    private long _next;

    /// <summary>Notes a load of <paramref name="keys"/> keys begun at <paramref name="since"/> (a timestamp); returns what <see cref="End"/> takes.</summary>
    public long Begin(long since, int keys)
    {
        long id = Interlocked.Increment(ref _next);
        _loads[id] = (since, keys);
        return id;
    }

    /// <summary>The load <paramref name="id"/> returned (or failed).</summary>
    public void End(long id) => _loads.TryRemove(id, out _);

    /// <summary>The load under way the longest, or <see langword="null"/> when none is.</summary>
    public (long Since, int Keys)? Oldest()
    {
        (long Since, int Keys)? oldest = null;
        foreach (var (_, load) in _loads)
        {
            if (oldest is null || load.Since < oldest.Value.Since)
            {
                oldest = load;
            }
        }

        return oldest;
    }
}
