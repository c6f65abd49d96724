using System.Runtime.CompilerServices;
using WriteBehindAkka.Options;
using WriteBehindAkka.Serialization;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>
/// Bytes per pending entry: fills a cache (default options, or the suite's Parallelism) over a store that never commits with N entries of
/// 100-byte values, forces full compacting collections, and compares the managed heap with that of the same cache
/// empty. The difference per entry, less the key and value bytes, is what the cache adds; the growth over the second
/// half of the entries alone is what one more entry adds (the lanes' bounded buffers and batches are full by then).
/// </summary>
internal static class MemoryProbe
{
    public const int KeyBytes = sizeof(long);
    public const int ValueBytes = 100;

    /// <param name="entries">The pending entries to hold.</param>
    /// <param name="parallelism">The cache's <see cref="WriteBehindOptions.Parallelism"/>; null for the default.</param>
    /// <param name="cancellationToken">Stops the measurement.</param>
    public static async Task<MemoryResult> MeasureAsync(int entries, int? parallelism, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(entries);
        var options = new WriteBehindOptions { ShutdownTimeout = TimeSpan.FromSeconds(1) };
        options = parallelism is { } lanes ? options with { Parallelism = lanes } : options;
        var cache = new WriteBehindCache<long, byte[]>(
            new NeverCommittingStore(),
            options,
            ByteArraySerializer.Instance,
            name: "bench-memory");
        try
        {
            // Warm the paths once, so that the JIT and the channels' first growth are in the baseline.
            var value = new byte[ValueBytes];
            await cache.SetAsync(-1, value, cancellationToken).ConfigureAwait(false);
            await WaitForPendingAsync(cache, 1, cancellationToken).ConfigureAwait(false);
            long before = HeapAfterFullCollection();

            // Two steps: by the first half the lanes' buffers and in-flight batches are full (they are bounded, a
            // fixed cost however many entries wait), so the second half's growth is what one more entry costs.
            int half = entries / 2;
            await FillAsync(cache, 0, half, cancellationToken).ConfigureAwait(false);
            await WaitForPendingAsync(cache, half + 1, cancellationToken).ConfigureAwait(false);
            long middle = HeapAfterFullCollection();
            await FillAsync(cache, half, entries, cancellationToken).ConfigureAwait(false);
            await WaitForPendingAsync(cache, entries + 1, cancellationToken).ConfigureAwait(false);
            long after = HeapAfterFullCollection();
            GC.KeepAlive(cache);

            double perEntry = (after - before) / (double)entries;
            double marginal = (after - middle) / (double)Math.Max(1, entries - half);

            // The premise holds only when the first half fills what the lanes can hold: each lane's input buffer,
            // the batch it is writing and the one it is gathering. Below that (a --quick run) the average is all there is.
            bool lanesFullByHalf = half >= (long)options.Parallelism * (options.PipelineBufferSize + (2L * options.MaxBatchSize));
            int arrayHeader = ArrayHeapSize(ValueBytes) - ValueBytes;
            await cache.DisposeAsync().ConfigureAwait(false);
            double entryObject = EntryObjectBytes();
            double dictionary = EntryTableBytesPerEntry(entries, options.ShardCount);
            return new MemoryResult(
                entries,
                KeyBytes,
                ValueBytes,
                perEntry,
                perEntry - KeyBytes - ValueBytes,
                arrayHeader,
                "GC.GetTotalMemory after full blocking compacting collections: a cache over a never-committing store holding N pending entries, less the same cache holding one")
            {
                EntryObjectBytes = entryObject,
                DictionaryBytesPerEntry = dictionary,
                MarginalOverheadBytesPerEntry = lanesFullByHalf ? marginal - KeyBytes - ValueBytes : null,
                FixedBytes = lanesFullByHalf ? (perEntry - marginal) * entries : null,
            };
        }
        finally
        {
            await cache.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes the keys from <paramref name="from"/> to <paramref name="to"/> (excluded) from two callers.</summary>
    private static async Task FillAsync(WriteBehindCache<long, byte[]> cache, long from, long to, CancellationToken cancellationToken)
    {
        const int Writers = 2;
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(
            async () =>
            {
                var buffer = new byte[ValueBytes];
                for (long key = from + w; key < to; key += Writers)
                {
                    buffer[0] = (byte)key;
                    await cache.SetAsync(key, buffer, cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>Bytes allocated per <c>CacheEntry&lt;long&gt;</c>.</summary>
    private static double EntryObjectBytes()
    {
        const int Count = 10_000;
        var keep = new Sharding.CacheEntry<long>[Count];
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Count; i++)
        {
            keep[i] = new Sharding.CacheEntry<long>(i);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - start;
        GC.KeepAlive(keep);
        return allocated / (double)Count;
    }

    /// <summary>Heap growth per entry of the entry tables of <paramref name="shardCount"/> shards holding <paramref name="entries"/> keys between them.</summary>
    private static double EntryTableBytesPerEntry(int entries, int shardCount)
    {
        long before = HeapAfterFullCollection();
        var entryObjects = new Sharding.CacheEntry<long>[entries];
        for (int i = 0; i < entries; i++)
        {
            entryObjects[i] = new Sharding.CacheEntry<long>(i);
        }

        long withEntries = HeapAfterFullCollection();
        var shards = Enumerable.Range(0, shardCount).Select(_ => new Sharding.EntryTable<long>()).ToArray();
        foreach (var entry in entryObjects)
        {
            shards[(int)(entry.Key % shards.Length)].Add(entry);
        }

        long after = HeapAfterFullCollection();
        GC.KeepAlive(shards);
        GC.KeepAlive(entryObjects);
        return (after - withEntries) / (double)entries;
    }

    /// <summary>The heap size of a byte[] of the given length on this runtime (header, length, data rounded to 8).</summary>
    internal static int ArrayHeapSize(int length) => (IntPtr.Size * 3) + ((length + 7) & ~7);

    private static long HeapAfterFullCollection()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task WaitForPendingAsync(WriteBehindCache<long, byte[]> cache, long expected, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (cache.GetStatistics().PendingEntries < expected)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The memory probe's cache holds {cache.GetStatistics().PendingEntries} pending entries, expected {expected}.");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }
}
