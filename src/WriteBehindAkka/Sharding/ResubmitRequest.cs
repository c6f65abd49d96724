namespace WriteBehindAkka.Sharding;

/// <summary>The Ask of a dead-letter retry: the letter's version and the version the store holds for the key.</summary>
internal sealed class ResubmitRequest : TaskCompletionSource<DeadLetterRetryResult>
{
    public ResubmitRequest(long version, long storedVersion)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Version = version;
        StoredVersion = storedVersion;
    }

    /// <summary>The dead letter's version: the write is resubmitted at it, so the store's version guard still holds.</summary>
    public long Version { get; }

    /// <summary>The version of the key's row in the store, read just before (0 when there is none).</summary>
    public long StoredVersion { get; }

    /// <summary>
    /// With the journal on, completes once the resubmitted write's record is fsynced: only then may the letter,
    /// until now the write's only durable copy, be deleted. Null without the journal or when nothing was resubmitted.
    /// </summary>
    public Task<WriteResult>? Journaled { get; set; }
}
