using WriteBehindAkka.Sharding;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Pipeline;

/// <summary>A write event: one record on its way to the store, and where to report its outcome.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <param name="Shard">The index of the shard that emitted it.</param>
/// <param name="Entry">The shard's entry (read and changed only by that shard).</param>
/// <param name="Record">The record as emitted.</param>
/// <param name="DirtySince">When the oldest write it stands for was accepted (a <see cref="TimeProvider.GetTimestamp"/> reading).</param>
internal readonly record struct PipelineItem<TKey>(int Shard, CacheEntry<TKey> Entry, WriteRecord<TKey> Record, long DirtySince)
    where TKey : notnull;
