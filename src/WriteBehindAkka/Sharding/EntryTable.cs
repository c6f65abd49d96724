namespace WriteBehindAkka.Sharding;

/// <summary>
/// A shard's entries by key. A set of entries keyed by <see cref="CacheEntry{TKey}.Key"/> rather than a
/// dictionary from key to entry, so that the key is stored once (8 bytes less per entry). Lookups go through one
/// reusable probe entry: the table belongs to one shard loop and is never used from two threads.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class EntryTable<TKey>
    where TKey : notnull
{
    private readonly HashSet<CacheEntry<TKey>> _set = new(KeyComparer.Instance);
    private readonly CacheEntry<TKey> _probe = new(default!);

    /// <summary>How many entries the table holds, kept apart so that statistics can read it from any thread (the set's own count is two fields).</summary>
    private int _count;

    /// <summary>Gets how many entries the table holds; safe to read from any thread (a moment old).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Gets how many entries the table has room for before it grows.</summary>
    public int Capacity => _set.Capacity;

    /// <summary>Gives back the room the table does not use (after many of its entries were dropped).</summary>
    public void TrimExcess() => _set.TrimExcess();

    public bool TryGetValue(TKey key, out CacheEntry<TKey> entry)
    {
        _probe.Key = key;
        bool found = _set.TryGetValue(_probe, out var actual);
        _probe.Key = default!;
        entry = actual!;
        return found;
    }

    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    /// <summary>Every entry (for the shard's last act when it stops; not for the hot path).</summary>
    public HashSet<CacheEntry<TKey>>.Enumerator GetEnumerator() => _set.GetEnumerator();

    /// <summary>Adds an entry whose key is not in the table yet.</summary>
    public void Add(CacheEntry<TKey> entry)
    {
        bool added = _set.Add(entry);
        System.Diagnostics.Debug.Assert(added, "the key was not in the table");
        Volatile.Write(ref _count, _set.Count);
    }

    public bool Remove(TKey key)
    {
        _probe.Key = key;
        bool removed = _set.Remove(_probe);
        _probe.Key = default!;
        Volatile.Write(ref _count, _set.Count);
        return removed;
    }

    private sealed class KeyComparer : IEqualityComparer<CacheEntry<TKey>>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(CacheEntry<TKey>? x, CacheEntry<TKey>? y) => EqualityComparer<TKey>.Default.Equals(x!.Key, y!.Key);

        public int GetHashCode(CacheEntry<TKey> obj) => EqualityComparer<TKey>.Default.GetHashCode(obj.Key);
    }
}
