using WriteBehindAkka.Pipeline;

namespace WriteBehindAkka.Sharding;

/// <summary>What became of one shard's records in one batch.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class BatchOutcome<TKey> : ShardSignal
    where TKey : notnull
{
    /// <summary>
    /// Runs of records committed by the store. Each run is a whole batch (or a committed half of a split one) shared
    /// by every shard it touches, read-only; a shard takes only its own records from it. Sharing the batch's list
    /// instead of copying records into per-shard lists saves a large array per batch.
    /// </summary>
    public List<List<PipelineItem<TKey>>>? Committed;

    /// <summary>Records the store refused, with the reason and what became of their dead letters.</summary>
    public List<FailedRecord<TKey>>? Failed;

    /// <summary>Records not written (shutdown, crashed writer): the shard emits them again.</summary>
    public List<PipelineItem<TKey>>? Requeued;
}
