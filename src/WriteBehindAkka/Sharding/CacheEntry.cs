namespace WriteBehindAkka.Sharding;

/// <summary>
/// One key held by a shard. Only the owning shard's loop reads or changes it; the pipeline carries a
/// reference back and forth but never touches the fields.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class CacheEntry<TKey>
    where TKey : notnull
{
    /// <summary>The value of <see cref="CommittedAfterMs"/> before any commit was confirmed.</summary>
    public const int NeverCommitted = int.MinValue;

    /// <summary>The value of <see cref="CommittedAfterMs"/> when the time does not fit (a version older than about 24 days, e.g. replayed after a long stop): it is in <see cref="EntryExtras.CommittedAtMicros"/>.</summary>
    public const int CommittedAtInExtras = int.MaxValue;

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

    /// <summary>
    /// When the last commit was confirmed, as milliseconds after the instant of <see cref="CommittedVersion"/>
    /// (a version is a time: see <see cref="Versioning"/>); <see cref="NeverCommitted"/> for never. Four bytes
    /// instead of an eight-byte time keeps the entry in a smaller size class.
    /// </summary>
    public int CommittedAfterMs = NeverCommitted;

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> reading when the entry last went from clean to dirty (write delay,
    /// lag); while it is clean, with <c>TimeToLive</c> set, when it last became clean (its expiry counts from there).
    /// </summary>
    public long DirtySince;

    /// <summary>The flush epoch of the oldest write not yet handed to the pipeline.</summary>
    public int DirtyEpoch;

    /// <summary>
    /// While the entry is clean, with both <c>MaxIdle</c> and <c>TimeToLive</c> set: its last read, as whole
    /// milliseconds (rounded up; units of up to 2 ms with a time to live over 24.8 days) after <see cref="DirtySince"/>,
    /// its clean-since time. It shares
    /// <see cref="DirtyEpoch"/>'s four bytes, which only a dirty or in-flight entry uses, so that idle expiry costs an
    /// entry nothing; becoming clean sets it to 0.
    /// </summary>
    public int LastReadAfterMs
    {
        get => DirtyEpoch;
        set => DirtyEpoch = value;
    }

    /// <summary>The flush epoch of the oldest write in the in-flight version.</summary>
    public int EmittedEpoch;

    /// <summary>State bits.</summary>
    public EntryFlags Flags;

    /// <summary>Errors and commit waiters, allocated only when needed.</summary>
    public EntryExtras? Extras;

    /// <summary>Whether the entry holds a write that is not committed yet (or a failed one not dead-lettered).</summary>
    public bool IsPending => (Flags & EntryFlags.Dirty) != 0 || InFlight || IsUnrecordedFailure;

    /// <summary>Whether the entry holds a write the store refused and the dead-letter sink refused too: memory (and the journal) is its only copy.</summary>
    public bool IsUnrecordedFailure => (Flags & (EntryFlags.Failed | EntryFlags.Unrecorded)) == (EntryFlags.Failed | EntryFlags.Unrecorded);

    /// <summary>The bytes this entry adds to the pending-bytes count: its value's length while pending, else none.</summary>
    public int PendingBytes => IsPending ? Value?.Length ?? 0 : 0;

    /// <summary>What the pending counts hold for this entry now; taken before a change and handed to the shard's Account after it.</summary>
    public PendingState Pending => new(IsPending, PendingBytes, IsUnrecordedFailure);

    /// <summary>Whether a flag is set.</summary>
    public bool Has(EntryFlags flag) => (Flags & flag) != 0;

    /// <summary>Records when a commit was confirmed, in microseconds since the Unix epoch (after <see cref="CommittedVersion"/> is set).</summary>
    public void SetCommittedAt(long nowMicros)
    {
        long afterMs = (nowMicros - CommittedVersion) / 1000;
        if (afterMs > NeverCommitted && afterMs < CommittedAtInExtras)
        {
            CommittedAfterMs = (int)afterMs;
        }
        else
        {
            CommittedAfterMs = CommittedAtInExtras;
            (Extras ??= new EntryExtras()).CommittedAtMicros = nowMicros;
        }
    }

    /// <summary>The status a caller sees.</summary>
    public KeyStatus ToStatus()
    {
        // The latest write's state: a newer write waiting behind an in-flight one is Pending.
        WriteState state = Has(EntryFlags.Dirty) ? WriteState.Pending
            : InFlight ? WriteState.Writing
            : Has(EntryFlags.Failed) ? WriteState.Failed
            : WriteState.Completed;
        DateTimeOffset? committedAt = CommittedAfterMs switch
        {
            NeverCommitted => null,
            CommittedAtInExtras => Versioning.ToTimestamp(Extras!.CommittedAtMicros),
            _ => Versioning.ToTimestamp(CommittedVersion).AddMilliseconds(CommittedAfterMs),
        };
        return new KeyStatus(state, Version, CommittedVersion, committedAt, Extras?.LastError);
    }
}
