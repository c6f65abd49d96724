namespace WriteBehindAkka.Sharding;

/// <summary>The writes of one shard replayed from the journal: the newest version of each key.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class RecoveryBatch<TKey>
    where TKey : notnull
{
    public List<(TKey Key, byte[]? Value, long Version)> Entries { get; } = [];

    /// <summary>The highest version the journal saw in the earlier run: the shard's clock starts above it.</summary>
    public long HighestVersion { get; set; }

    public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
