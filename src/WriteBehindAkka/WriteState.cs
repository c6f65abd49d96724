namespace WriteBehindAkka;

/// <summary>Where a key's latest write stands.</summary>
public enum WriteState
{
    /// <summary>The cache holds no entry for the key (never written here, evicted, or not loaded yet).</summary>
    NotCached = 0,

    /// <summary>Written in memory, waiting to be emitted to the pipeline.</summary>
    Pending = 1,

    /// <summary>A batch holding the latest write is being written to the store (a newer write waiting behind it makes the key Pending).</summary>
    Writing = 2,

    /// <summary>The latest write is committed (or the entry was loaded from the store and not written since).</summary>
    Completed = 3,

    /// <summary>The store refused the latest write; see <see cref="KeyStatus.LastError"/>. A later write clears it.</summary>
    Failed = 4,
}
