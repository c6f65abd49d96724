using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Pipeline;

/// <summary>A record the store would not take, with why, and what became of its dead letter.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class FailedRecord<TKey>
    where TKey : notnull
{
    public FailedRecord(PipelineItem<TKey> item, Exception error, StoreErrorKind kind)
    {
        Item = item;
        Error = error;
        Kind = kind;
    }

    /// <summary>The record and its entry.</summary>
    public PipelineItem<TKey> Item { get; }

    /// <summary>The store's error.</summary>
    public Exception Error { get; }

    /// <summary>Permanent (isolated by splitting) or Transient (retries ran out).</summary>
    public StoreErrorKind Kind { get; }

    /// <summary>The dead letter, once built by the writer loop.</summary>
    public DeadLetter<TKey>? Letter { get; set; }

    /// <summary>Whether the sink took the letter; set by the writer loop before the outcome goes to the shard.</summary>
    public DeadLetterState State { get; set; }
}
