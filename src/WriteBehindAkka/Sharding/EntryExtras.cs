namespace WriteBehindAkka.Sharding;

/// <summary>The rarely used parts of an entry, kept apart so that a plain entry stays small.</summary>
internal sealed class EntryExtras
{
    /// <summary>When the last commit was confirmed (microseconds since the Unix epoch), when it is too far from the version to fit the entry's own field.</summary>
    public long CommittedAtMicros;

    /// <summary>The error of the last failed write.</summary>
    public string? LastError;

    /// <summary>Writes awaited at <see cref="WriteConsistency.Committed"/>, each with its version.</summary>
    public List<(long Version, TaskCompletionSource<WriteResult> Reply)>? CommitWaiters;
}
