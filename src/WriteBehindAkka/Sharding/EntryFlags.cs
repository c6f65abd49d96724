namespace WriteBehindAkka.Sharding;

/// <summary>Bit flags of a <see cref="CacheEntry{TKey}"/>.</summary>
[Flags]
internal enum EntryFlags : ushort
{
    None = 0,

    /// <summary>Holds a write not yet handed to the pipeline.</summary>
    Dirty = 1,

    /// <summary>Sits in the shard's ready queue (at most once).</summary>
    Queued = 2,

    /// <summary>Sits in the shard's eviction queue (at most once).</summary>
    InEvictionQueue = 4,

    /// <summary>A version of the entry is in the pipeline and not yet answered (at most one at a time).</summary>
    InFlight = 32,

    /// <summary>The store refused the latest written version.</summary>
    Failed = 8,

    /// <summary>
    /// With <see cref="Failed"/>: the dead-letter sink did not take the record, so the entry is its only copy; it
    /// counts as pending (bounded by the pending bound) and is never evicted. Meaningless without <see cref="Failed"/>.
    /// </summary>
    Unrecorded = 16,

    /// <summary>The value array was emitted and the pipeline may still read it: a new write must not overwrite it in place.</summary>
    PipelineHasValue = 64,

    /// <summary>The value array was handed to a reader (or came from outside): a new write must not overwrite it in place.</summary>
    ReaderHasValue = 128,

    /// <summary>Either holder: the value array is not the shard's alone.</summary>
    ValueShared = PipelineHasValue | ReaderHasValue,

    /// <summary>
    /// A newer write replaced the value array while the pipeline still held it: that array stays counted in the
    /// shard's pending bytes until its flight ends (it is memory the pending bound covers, though no longer the entry's).
    /// </summary>
    ReplacedInFlight = 256,

    /// <summary>
    /// With <see cref="InEvictionQueue"/> and a time to live: the entry became clean again since it was queued
    /// without a newer commit (a write of it refused again), so its time to live restarted after the entries queued
    /// behind it: the expiry sweep moves it to the back rather than stop at it.
    /// </summary>
    CleanAgain = 512,

    /// <summary>
    /// With <see cref="InEvictionQueue"/>, and a bound on entries or an idle expiry: a read used the entry, and it was
    /// queued again at the back of the eviction queue then; its older place there is skipped when it comes up (at most
    /// two places at a time, since only a read after that skip queues it again): eviction goes by last use,
    /// approximately, and a key that is read holds up the expiry of those behind it by about one idle time at most
    /// (its reads between its second place and the skip of its first are not queued again).
    /// </summary>
    Referenced = 1024,
}
