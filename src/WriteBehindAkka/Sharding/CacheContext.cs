using Microsoft.Extensions.Logging;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using System.Diagnostics;

namespace WriteBehindAkka.Sharding;

/// <summary>What the shards and writer loops of one cache share. Immutable after construction.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class CacheContext<TKey>
    where TKey : notnull
{
    public CacheContext(string name, WriteBehindOptions options, IWriteBehindStore<TKey> store, TimeProvider time, ILogger logger, Func<double> jitter)
    {
        Name = name;
        Options = options;
        Store = store;
        Time = time;
        Logger = logger;
        Jitter = jitter;
        Tags = WriteBehindMetrics.Tags(name);
    }

    public string Name { get; }

    public WriteBehindOptions Options { get; }

    public IWriteBehindStore<TKey> Store { get; }

    /// <summary>Where refused records are recorded, or null when the cache has no dead-letter sink.</summary>
    public IDeadLetterSink<TKey>? DeadLetterSink { get; init; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Returns a number in [0, 1) for backoff jitter; thread-safe.</summary>
    public Func<double> Jitter { get; }

    public TagList Tags { get; }

    public CapacityGate Gate { get; } = new();

    /// <summary>Cancelled when the shutdown deadline passes: store calls and waits give up.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>The shards, set once after they are created.</summary>
    public Shard<TKey>[] Shards { get; set; } = [];

    public long PendingEntries
    {
        get
        {
            long sum = 0;
            foreach (var shard in Shards)
            {
                sum += shard.PendingEntries;
            }

            return sum;
        }
    }

    public long PendingBytes
    {
        get
        {
            long sum = 0;
            foreach (var shard in Shards)
            {
                sum += shard.PendingBytes;
            }

            return sum;
        }
    }

    public bool IsOverBound() => PendingEntries >= Options.MaxPendingEntries || PendingBytes >= Options.MaxPendingBytes;
}
