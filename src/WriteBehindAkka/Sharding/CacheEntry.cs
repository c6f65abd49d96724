namespace WriteBehindAkka.Sharding;

/// <summary>
/// One key held by a shard. Only the owning shard's loop reads or changes it; the pipeline carries a
/// reference back and forth but never touches the fields.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class CacheEntry<TKey>
    where TKey : notnull
{
    public CacheEntry(TKey key) => Key = key;

    /// <summary>The key. Set by the constructor (and, for lookups only, by <see cref="EntryTable{TKey}"/>'s probe entry).</summary>
    public TKey Key;

    /// <summary>The serialized value; <see langword="null"/> for a deleted key (a tombstone).</summary>
    public byte[]? Value;

    /// <summary>The version of the latest write held in memory.</summary>
    public long Version;

    /// <summary>Whether a version is in the pipeline and not yet answered (a flag bit, to keep the entry small).</summary>
    public bool InFlight
    {
        get => (Flags & EntryFlags.InFlight) != 0;
        set => Flags = value ? Flags | EntryFlags.InFlight : Flags & ~EntryFlags.InFlight;
    }

    /// <summary>The newest version known to be in the store.</summary>
    public long CommittedVersion;

    /// <summary>When the last commit was confirmed, in microseconds since the Unix epoch; 0 for never.</summary>
    public long CommittedAtMicros;

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> reading when the entry last went from clean to dirty (write delay, lag).</summary>
    public long DirtySince;

    /// <summary>The flush epoch of the oldest write not yet handed to the pipeline.</summary>
    public int DirtyEpoch;

    /// <summary>The flush epoch of the oldest write in the in-flight version.</summary>
    public int EmittedEpoch;

    /// <summary>The bytes this entry adds to the shard's pending-bytes count.</summary>
    public int AccountedBytes;

    /// <summary>State bits.</summary>
    public EntryFlags Flags;

    /// <summary>Errors and commit waiters, allocated only when needed.</summary>
    public EntryExtras? Extras;

    /// <summary>Whether the entry holds a write that is not committed yet (or a failed one not dead-lettered).</summary>
    public bool IsPending => (Flags & EntryFlags.Dirty) != 0 || InFlight
        || (Flags & (EntryFlags.Failed | EntryFlags.Unrecorded)) == (EntryFlags.Failed | EntryFlags.Unrecorded);

    /// <summary>Whether a flag is set.</summary>
    public bool Has(EntryFlags flag) => (Flags & flag) != 0;

    /// <summary>The status a caller sees.</summary>
    public KeyStatus ToStatus()
    {
        WriteState state = InFlight ? WriteState.Writing
            : Has(EntryFlags.Dirty) ? WriteState.Pending
            : Has(EntryFlags.Failed) ? WriteState.Failed
            : WriteState.Completed;
        DateTimeOffset? committedAt = CommittedAtMicros == 0 ? null : Versioning.ToTimestamp(CommittedAtMicros);
        return new KeyStatus(state, Version, CommittedVersion, committedAt, Extras?.LastError);
    }
}
