namespace WriteBehindAkka.Options;

/// <summary>
/// Settings of one write-behind cache. Read once when the cache is created (the cache keeps a copy, so
/// later changes to this object reach nothing) and validated then, with one exception listing every problem.
/// </summary>
public sealed record WriteBehindOptions
{
    /// <summary>
    /// How many shard actors own the key space. Each is one loop reading one mailbox and owns a contiguous
    /// range of the 64-bit key hash.
    /// </summary>
    /// <value>
    /// The default value is the processor count, at least 2, and at least <see cref="Parallelism"/> (each writer owns
    /// at least one shard): a <see cref="Parallelism"/> chosen on a many-core machine still starts in a 2-core container.
    /// </value>
    public int ShardCount
    {
        get => _shardCount ?? Math.Max(WriteBehindDefaults.ShardCount, Parallelism);
        init => _shardCount = value;
    }

    /// <summary>The <see cref="ShardCount"/> set, or null for the default (which follows <see cref="Parallelism"/>).</summary>
    private int? _shardCount;

    /// <summary>Gets whether <see cref="ShardCount"/> was set (rather than left to follow the processor count and <see cref="Parallelism"/>).</summary>
    internal bool ShardCountIsSet => _shardCount is not null;

    /// <summary>
    /// A copy whose <see cref="ShardCount"/> follows its default again: .NET's configuration binder sets every
    /// property it can to its getter's value, even one the configuration does not name, which would freeze the
    /// default before a <see cref="Parallelism"/> bound after it.
    /// </summary>
    internal WriteBehindOptions WithShardCountUnset() => this with { _shardCount = null };

    /// <summary>How many commands one shard's mailbox holds before writers wait (Ask) or are refused (Tell).</summary>
    /// <value>The default value is 4096.</value>
    public int MailboxCapacity { get; init; } = WriteBehindDefaults.MailboxCapacity;

    /// <summary>The most records in one batch (the <c>n</c> of <c>GroupedWithin(n, d)</c>).</summary>
    /// <value>The default value is 10000.</value>
    public int MaxBatchSize { get; init; } = WriteBehindDefaults.MaxBatchSize;

    /// <summary>
    /// The most bytes in one batch (the <c>maxWeight</c> of <c>GroupedWeightedWithin</c>), each record weighed by its
    /// value, its key (a string's UTF-8 at most, three bytes a character) and 64 bytes: a batch is full at
    /// <see cref="MaxBatchSize"/> records or at this many bytes, whichever comes first. A record heavier than this
    /// travels in a batch of its own.
    /// </summary>
    /// <value>The default value is 8 MiB.</value>
    public long MaxBatchBytes { get; init; } = WriteBehindDefaults.MaxBatchBytes;

    /// <summary>How long a batch waits for more records after its first one (the <c>d</c> of <c>GroupedWithin(n, d)</c>).</summary>
    /// <value>The default value is 50 milliseconds.</value>
    public TimeSpan MaxBatchDelay { get; init; } = WriteBehindDefaults.MaxBatchDelay;

    /// <summary>
    /// How many writer loops drain batches into the store at once (Akka's <c>SelectAsync</c> parallelism).
    /// Each writer owns a fixed set of shards, so two concurrent batches never share a key.
    /// </summary>
    /// <value>
    /// The default value is 4: four batches in flight keep PostgreSQL busy while the cache prepares the next ones
    /// (on a 2-core machine shared with it, 4 lanes committed more rows per second than 2 at a seventh of the lag,
    /// and left the callers fewer acknowledged writes per second; see the README's "Choosing Parallelism"). With a
    /// <see cref="ShardCount"/> set below 4, the default is that count (each writer owns at least one shard), so a
    /// <c>ShardCount = 2</c> set when the default was 2 still starts.
    /// </value>
    public int Parallelism
    {
        get => _parallelism ?? (_shardCount is { } shards ? Math.Clamp(shards, 1, WriteBehindDefaults.Parallelism) : WriteBehindDefaults.Parallelism);
        init => _parallelism = value;
    }

    /// <summary>The <see cref="Parallelism"/> set, or null for the default (which follows a <see cref="ShardCount"/> set below it).</summary>
    private int? _parallelism;

    /// <summary>Gets whether <see cref="Parallelism"/> was set (rather than left to its default).</summary>
    internal bool ParallelismIsSet => _parallelism is not null;

    /// <summary>A copy whose <see cref="Parallelism"/> follows its default again (see <see cref="WithShardCountUnset"/>).</summary>
    internal WriteBehindOptions WithParallelismUnset() => this with { _parallelism = null };

    /// <summary>How many records each writer's input buffer holds before shards stop emitting and coalesce in memory.</summary>
    /// <value>The default value is 4096.</value>
    public int PipelineBufferSize { get; init; } = WriteBehindDefaults.PipelineBufferSize;

    /// <summary>How long a written key stays dirty before it is emitted, so that more writes to it coalesce.</summary>
    /// <value>The default value is zero: a key is emitted as soon as the pipeline takes it.</value>
    public TimeSpan WriteDelay { get; init; } = WriteBehindDefaults.WriteDelay;

    /// <summary>The bound on pending entries (written, not yet committed) across all shards.</summary>
    /// <value>The default value is 1,000,000.</value>
    public long MaxPendingEntries { get; init; } = WriteBehindDefaults.MaxPendingEntries;

    /// <summary>The bound on the value bytes of pending entries across all shards.</summary>
    /// <value>The default value is 256 MiB.</value>
    public long MaxPendingBytes { get; init; } = WriteBehindDefaults.MaxPendingBytes;

    /// <summary>What a write does past <see cref="MaxPendingEntries"/> or <see cref="MaxPendingBytes"/>.</summary>
    /// <value>The default value is <see cref="OverflowStrategy.Backpressure"/>.</value>
    public OverflowStrategy OverflowStrategy { get; init; } = OverflowStrategy.Backpressure;

    /// <summary>The largest serialized value accepted; a larger one fails with <see cref="ArgumentException"/>.</summary>
    /// <value>The default value is 1 MiB.</value>
    public int MaxValueBytes { get; init; } = WriteBehindDefaults.MaxValueBytes;

    /// <summary>
    /// The most entries kept in memory; past it, committed (clean) entries are evicted, least recently used first
    /// (approximately: a commit or a read moves a key to the back of its shard's eviction queue, a read once until
    /// the key's older place comes up).
    /// Dirty and in-flight entries are never evicted. Zero keeps every entry.
    /// </summary>
    /// <value>The default value is 0 (no bound).</value>
    public long MaxCachedEntries { get; init; } = WriteBehindDefaults.MaxCachedEntries;

    /// <summary>
    /// How long a clean entry stays in memory after it last became clean (its latest write committed, or its row
    /// loaded by read-through): after that a read no longer answers from it but loads the stored row again, so that
    /// a change another process made to the store shows within this time, and the entry is dropped from memory. A
    /// key with a write not yet committed never expires; its time starts once that write is committed. Zero keeps
    /// entries until <see cref="MaxCachedEntries"/> evicts them. (Hazelcast's <c>time-to-live-seconds</c>, NCache's
    /// absolute expiration.)
    /// </summary>
    /// <value>The default value is zero (no expiry).</value>
    public TimeSpan TimeToLive { get; init; } = WriteBehindDefaults.TimeToLive;

    /// <summary>
    /// How long a clean entry stays in memory without being read: one not read for this long (counted from its last
    /// read, or from when it last became clean if none came since) is dropped, and the next read loads the stored row
    /// again. Keeps in memory the keys in use and lets the others go, without a count to choose. A key with a write
    /// not yet committed never expires. With <see cref="TimeToLive"/> set too, an entry goes at whichever comes first.
    /// Zero keeps entries however long they are not read. (Hazelcast's <c>max-idle-seconds</c>, the sliding expiration
    /// of <c>IMemoryCache</c> and NCache.)
    /// </summary>
    /// <value>The default value is zero (no idle expiry).</value>
    public TimeSpan MaxIdle { get; init; } = WriteBehindDefaults.MaxIdle;

    /// <summary>Whether a read that misses the cache loads the key from the store (one load per key at a time).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ReadThrough { get; init; } = WriteBehindDefaults.ReadThrough;

    /// <summary>How long <c>DisposeAsync</c> waits for the backlog to be committed before it gives up and reports what is left.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; init; } = WriteBehindDefaults.ShutdownTimeout;

    /// <summary>Retry and backoff for transient store errors and crashed writer loops.</summary>
    /// <value>The default value is <see cref="RestartSettings"/> with its defaults.</value>
    public RestartSettings Restart { get; init; } = new();

    /// <summary>
    /// The local write-ahead journal: with it, an acknowledged write survives a crash of the process (and, by the
    /// fsync policy, of the machine) and is replayed at the next start. <see langword="null"/> turns it off.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no journal: a crash loses what was not yet committed).</value>
    public Journal.JournalOptions? Journal { get; init; }
}
