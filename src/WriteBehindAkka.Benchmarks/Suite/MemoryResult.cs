namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>Heap cost of pending entries, measured over a store that never commits.</summary>
/// <param name="Entries">Pending entries held.</param>
/// <param name="KeyBytes">Bytes of one key (long).</param>
/// <param name="ValueBytes">Bytes of one value.</param>
/// <param name="HeapBytesPerEntry">Managed heap growth per entry, between an empty cache and one holding the entries (after full GCs).</param>
/// <param name="OverheadBytesPerEntry">The same less the key and value bytes: what the cache adds.</param>
/// <param name="ValueArrayHeaderBytes">Of that overhead, the byte[] object's own header and padding, which any cache holding byte[] values pays.</param>
/// <param name="Method">How it was measured.</param>
internal sealed record MemoryResult(int Entries, int KeyBytes, int ValueBytes, double HeapBytesPerEntry, double OverheadBytesPerEntry, int ValueArrayHeaderBytes, string Method)
{
    /// <summary>The shard's per-key object (<c>CacheEntry&lt;long&gt;</c>), measured by allocating some.</summary>
    public double? EntryObjectBytes { get; init; }

    /// <summary>The shard's <c>Dictionary&lt;long, CacheEntry&gt;</c> per entry, grown the way a shard grows it.</summary>
    public double? DictionaryBytesPerEntry { get; init; }

    /// <summary>
    /// What one more pending entry adds beyond its key and value: the heap growth over the second half of the entries,
    /// when the pipeline's bounded buffers and in-flight batches were already full. The figure the target is checked on.
    /// </summary>
    public double? MarginalOverheadBytesPerEntry { get; init; }

    /// <summary>The part of the heap growth that does not grow with the entries (the lanes' buffers and in-flight batches): the average's excess over the marginal cost, times the entries.</summary>
    public double? FixedBytes { get; init; }

    /// <summary>What is left: the ready queue, the pipeline's buffers and in-flight batches, and rounding.</summary>
    public double? OtherBytesPerEntry => EntryObjectBytes is { } e && DictionaryBytesPerEntry is { } d
        ? HeapBytesPerEntry - (ValueArrayHeaderBytes + ValueBytes) - e - d
        : null;
}
