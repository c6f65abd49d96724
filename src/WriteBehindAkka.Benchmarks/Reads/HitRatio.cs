using System.Globalization;
using WriteBehindAkka.Benchmarks.Workloads;
using WriteBehindAkka.Options;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.Benchmarks.Reads;

/// <summary>
/// The <c>hits</c> command: how many reads a cache bounded by <c>MaxCachedEntries</c> answers from memory. Zipf(0.99)
/// reads over 100,000 stored keys go through the cache (default options, read-through from a store in memory that
/// counts its loads) with bounds of 1%, 5%, 10% and 20% of the keys; the same sequence of reads goes through an exact
/// least-recently-used cache and a first-in-first-out one of the same size, simulated here, for reference. The first
/// half of the reads fills the caches; the second half is counted. Deterministic (a fixed seed) and CPU-only: no
/// database, a few seconds.
/// </summary>
internal static class HitRatio
{
    private const int Keys = 100_000;
    private const int Reads = 1_000_000;
    private const int Seed = 42;

    public static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var sampler = new ZipfSampler(Keys, 0.99);
        var random = new Random(Seed);
        var sequence = new int[Reads];
        for (int i = 0; i < Reads; i++)
        {
            sequence[i] = sampler.Sample(random.NextDouble());
        }

        Console.WriteLine($"Zipf(0.99) reads over {Keys:N0} keys, {Reads:N0} reads (the second half counted), seed {Seed}; the cache with its default options ({new WriteBehindOptions().ShardCount} shards, each holding its share of the bound).");
        Console.WriteLine();
        Console.WriteLine("| MaxCachedEntries | cache: reads from memory | exact LRU (simulated) | FIFO (simulated) | cache's loads / LRU's misses |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (double share in new[] { 0.01, 0.05, 0.10, 0.20 })
        {
            cancellationToken.ThrowIfCancellationRequested();
            int capacity = (int)(Keys * share);
            long cacheMisses = await CacheMissesAsync(sequence, capacity, cancellationToken);
            long lruMisses = LruMisses(sequence, capacity);
            long fifoMisses = FifoMisses(sequence, capacity);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {capacity:N0} ({share * 100:0}%) | {Hits(cacheMisses) * 100:F1}% | {Hits(lruMisses) * 100:F1}% | {Hits(fifoMisses) * 100:F1}% | {(double)cacheMisses / lruMisses:F2} |"));
        }

        return 0;
    }

    private static double Hits(long misses) => 1 - ((double)misses / (Reads - (Reads / 2)));

    /// <summary>Loads the cache made in the counted half of the reads, one read at a time.</summary>
    private static async Task<long> CacheMissesAsync(int[] sequence, int capacity, CancellationToken cancellationToken)
    {
        var store = new CountingStore();
        await using var cache = new WriteBehindCache<long, byte[]>(store, new WriteBehindOptions { MaxCachedEntries = capacity }, ByteArraySerializer.Instance, name: "hits");
        long before = 0;
        for (int i = 0; i < sequence.Length; i++)
        {
            if (i == sequence.Length / 2)
            {
                before = store.Loads;
            }

            await cache.GetAsync(sequence[i], cancellationToken).ConfigureAwait(false);
        }

        return store.Loads - before;
    }

    /// <summary>Misses in the second half of <paramref name="sequence"/> of an exact LRU cache of <paramref name="capacity"/> keys.</summary>
    internal static long LruMisses(IReadOnlyList<int> sequence, int capacity)
    {
        var order = new LinkedList<int>();
        var nodes = new Dictionary<int, LinkedListNode<int>>(capacity + 1);
        long misses = 0;
        for (int i = 0; i < sequence.Count; i++)
        {
            int key = sequence[i];
            if (nodes.TryGetValue(key, out var node))
            {
                order.Remove(node);
                order.AddLast(node);
                continue;
            }

            misses += i >= sequence.Count / 2 ? 1 : 0;
            nodes[key] = order.AddLast(key);
            if (nodes.Count > capacity)
            {
                nodes.Remove(order.First!.Value);
                order.RemoveFirst();
            }
        }

        return misses;
    }

    /// <summary>Misses in the second half of <paramref name="sequence"/> of a first-in-first-out cache of <paramref name="capacity"/> keys.</summary>
    internal static long FifoMisses(IReadOnlyList<int> sequence, int capacity)
    {
        var held = new HashSet<int>(capacity + 1);
        var order = new Queue<int>(capacity + 1);
        long misses = 0;
        for (int i = 0; i < sequence.Count; i++)
        {
            int key = sequence[i];
            if (held.Contains(key))
            {
                continue;
            }

            misses += i >= sequence.Count / 2 ? 1 : 0;
            held.Add(key);
            order.Enqueue(key);
            if (held.Count > capacity)
            {
                held.Remove(order.Dequeue());
            }
        }

        return misses;
    }

    /// <summary>A store in memory where every key has a row; it counts loads.</summary>
    private sealed class CountingStore : IWriteBehindStore<long>
    {
        private static readonly byte[] Row = new byte[100];
        private long _loads;

        public long Loads => Interlocked.Read(ref _loads);

        public ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<long>> batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<StoredEntry?> LoadAsync(long key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _loads);
            return ValueTask.FromResult<StoredEntry?>(new StoredEntry(Row, 1));
        }

        public StoreErrorKind Classify(Exception error) => StoreErrorKind.Transient;
    }
}
