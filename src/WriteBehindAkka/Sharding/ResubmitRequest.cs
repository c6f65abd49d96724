namespace WriteBehindAkka.Sharding;

/// <summary>The Ask of a dead-letter retry: the letter's version and the version the store holds for the key.</summary>
internal sealed class ResubmitRequest : TaskCompletionSource<DeadLetterRetryResult>
{
    public ResubmitRequest(long version)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Version = version;
    }

    /// <summary>The dead letter's version: the write is resubmitted at it, so the store's version guard still holds.</summary>
    public long Version { get; }

    /// <summary>
    /// Posted first: the shard starts watching the key, so that an entry of it dropped while the store is read
    /// (committed at a newer version, then evicted) still counts; <see cref="Watching"/> completes. Posted again
    /// with <see cref="StoredVersion"/> set (<see cref="ResubmitStage.Decide"/>), it decides. <see cref="ResubmitStage.Abandoned"/>: the caller gave up in between.
    /// </summary>
    public ResubmitStage Stage
    {
        get => (ResubmitStage)Volatile.Read(ref _stage);
        set => Volatile.Write(ref _stage, (int)value);
    }

    /// <summary>Whether the shard watches the key's drops for this request. Read and written by the shard only, under its lock.</summary>
    public bool Registered { get; set; }

    /// <summary>Completes when the shard watches the key's drops (or decided at once, from its entry).</summary>
    public TaskCompletionSource Watching { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The version of the key's row in the store, read after the watch began (0 when there is none).</summary>
    public long StoredVersion { get; set; }

    private int _stage;

    /// <summary>
    /// With the journal on, completes once the resubmitted write's record is fsynced: only then may the letter,
    /// until now the write's only durable copy, be deleted. Null without the journal or when nothing was resubmitted.
    /// </summary>
    public Task<WriteResult>? Journaled { get; set; }

    /// <summary>
    /// Set when the key's write at the letter's version was in flight, so that nothing was decided: completes when
    /// it lands (committed, or failed); the caller then asks again.
    /// </summary>
    public Task<WriteResult>? Landing { get; set; }
}

/// <summary>The steps of a dead-letter retry in its shard.</summary>
internal enum ResubmitStage
{
    /// <summary>Decide from the entry if there is one; else watch the key's drops and let the caller read the store.</summary>
    Watch,

    /// <summary>Decide, from the entry, or from the store's version and the drops seen meanwhile.</summary>
    Decide,

    /// <summary>The caller gave up after the watch began: stop watching.</summary>
    Abandoned,
}
