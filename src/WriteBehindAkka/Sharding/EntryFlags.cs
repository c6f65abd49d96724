namespace WriteBehindAkka.Sharding;

/// <summary>Bit flags of a <see cref="CacheEntry{TKey}"/>.</summary>
[Flags]
internal enum EntryFlags : byte
{
    None = 0,

    /// <summary>Holds a write not yet handed to the pipeline.</summary>
    Dirty = 1,

    /// <summary>Sits in the shard's ready queue (at most once).</summary>
    Queued = 2,

    /// <summary>Sits in the shard's eviction queue (at most once).</summary>
    InEvictionQueue = 4,

    /// <summary>The store refused the latest written version.</summary>
    Failed = 8,
}
