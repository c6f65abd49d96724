namespace WriteBehindAkka.Sharding;

/// <summary>The rarely used parts of an entry, kept apart so that a plain entry stays small.</summary>
internal sealed class EntryExtras
{
    /// <summary>When the last commit was confirmed (microseconds since the Unix epoch), when it is too far from the version to fit the entry's own field.</summary>
    public long CommittedAtMicros;

    /// <summary>
    /// For a failed write recorded nowhere else: the journal segment its record was last copied into, so that a
    /// truncation up to an older segment need not copy it again (every later record of the key is in this segment
    /// or a newer one).
    /// </summary>
    public long CopiedIntoSegment;

    /// <summary>
    /// The fsync of that copy: a copy whose fsync failed (or was cancelled) is made again, and one still running is
    /// waited for, before a truncation deletes the segment holding the previous durable copy.
    /// </summary>
    public Task<WriteResult>? Copy;

    /// <summary>The error of the last failed write.</summary>
    public string? LastError;

    /// <summary>Writes awaited at <see cref="WriteConsistency.Committed"/>, each with its version.</summary>
    public List<(long Version, TaskCompletionSource<WriteResult> Reply)>? CommitWaiters;
}
