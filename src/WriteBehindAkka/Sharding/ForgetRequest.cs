namespace WriteBehindAkka.Sharding;

/// <summary>The Ask of a dead-letter discard: drop the key's Failed entry if it still holds the discarded version.</summary>
internal sealed class ForgetRequest : TaskCompletionSource<bool>
{
    public ForgetRequest(long version)
        : base(TaskCreationOptions.RunContinuationsAsynchronously) => Version = version;

    /// <summary>The discarded letter's version.</summary>
    public long Version { get; }

    /// <summary>With the journal, the fsync of the discard's record (the discard is durable once it completes); else null.</summary>
    public Task<WriteResult>? Journaled { get; set; }

    /// <summary>Set when the key's write at the discarded version was in flight (nothing done): completes when it lands; the caller then asks again.</summary>
    public Task<WriteResult>? Landing { get; set; }
}
