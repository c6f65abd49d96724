using WriteBehindAkka.Pipeline;

namespace WriteBehindAkka.Sharding;

/// <summary>What became of one shard's records in one batch.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class BatchOutcome<TKey> : ShardSignal
    where TKey : notnull
{
    /// <summary>Records committed by the store.</summary>
    public List<PipelineItem<TKey>>? Committed;

    /// <summary>Records the store refused, with the reason and what became of their dead letters.</summary>
    public List<FailedRecord<TKey>>? Failed;

    /// <summary>Records not written (shutdown, crashed writer): the shard emits them again.</summary>
    public List<PipelineItem<TKey>>? Requeued;
}
