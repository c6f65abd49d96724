using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Keys;
using WriteBehindAkka.Options;
using WriteBehindAkka.Pipeline;
using WriteBehindAkka.Serialization;
using WriteBehindAkka.Sharding;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka;

/// <summary>
/// The write-behind cache: N shard actors own the key space; each write goes to the shard that owns its
/// hash, which answers at memory speed and emits the key into a <c>GroupedWithin</c> pipeline that upserts
/// batches into the store and reports each outcome back to the shard.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed partial class WriteBehindCache<TKey, TValue> : IWriteBehindCache<TKey, TValue>, IDisposable, IMetricsSource
    where TKey : notnull
{
    private const int Running = 0;
    private const int Stopping = 1;

    private readonly CacheContext<TKey> _ctx;
    private readonly IValueSerializer<TValue> _serializer;
    private readonly IKeyHasher<TKey> _hasher;
    private readonly Shard<TKey>[] _shards;
    private readonly WriterLane<TKey>[] _lanes;
    private readonly Task[] _shardLoops;
    private readonly Task[] _laneLoops;
    private readonly int _maxValueBytes;
    private readonly OverflowStrategy _overflow;

    /// <summary>The capacity gate's bound for its waiters, given the writes it admitted (entries, bytes): none once the cache stops.</summary>
    private readonly Func<long, long, bool> _overBoundForWaiters;

    private int _state;
    private Task<ShutdownReport>? _shutdown;
    private int _truncationsStarted;
    private int _truncationsFinished;

    /// <summary>Guards <see cref="_journalFailureLoggedAt"/> and <see cref="_journalFailuresUnlogged"/>.</summary>
    private readonly Lock _journalFailureLogLock = new();

    /// <summary>When event 1012 was last logged (a timestamp of the cache's clock); null: never.</summary>
    private long? _journalFailureLoggedAt;

    /// <summary>Journal failures since then that were counted but not logged.</summary>
    private long _journalFailuresUnlogged;

    /// <summary>Guards <see cref="_keptUpTo"/>, <see cref="_truncationRetryWaiting"/> and <see cref="_truncationRetries"/>.</summary>
    private readonly Lock _truncationRetryLock = new();

    /// <summary>The highest segment number a truncation kept (deferred or failed) and none has deleted up to since; 0: none.</summary>
    private long _keptUpTo;

    /// <summary>Whether a retry of the kept truncation is waiting (one at a time).</summary>
    private bool _truncationRetryWaiting;

    /// <summary>Truncations kept in a row, for the retry's backoff.</summary>
    private int _truncationRetries;

    /// <summary>Creates and starts a cache.</summary>
    /// <param name="store">Where writes are drained.</param>
    /// <param name="options">Settings; copied and validated now. <see langword="null"/> for the defaults.</param>
    /// <param name="serializer">Value serializer; <see langword="null"/> for System.Text.Json.</param>
    /// <param name="timeProvider">Clock and timers; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Logging; <see langword="null"/> for none.</param>
    /// <param name="keyHasher">Stable key hash; <see langword="null"/> for the built-in one of <typeparamref name="TKey"/>.</param>
    /// <param name="name">The cache's name in logs and metrics.</param>
    /// <param name="jitter">A thread-safe source of numbers in [0, 1) for backoff jitter (a value outside it is clamped, an exception taken as 0); <see langword="null"/> for <see cref="Random.Shared"/>.</param>
    /// <param name="deadLetters">
    /// Where writes the store refused for good are recorded; <see langword="null"/> for the store's own
    /// (<see cref="IWriteBehindStore{TKey}.DeadLetters"/>: the PostgreSQL store's dead-letter table), if it has one.
    /// </param>
    /// <exception cref="ArgumentException">The options are invalid (the message lists every problem).</exception>
    /// <exception cref="NotSupportedException">There is no built-in hash for <typeparamref name="TKey"/> and none was given.</exception>
    public WriteBehindCache(
        IWriteBehindStore<TKey> store,
        WriteBehindOptions? options = null,
        IValueSerializer<TValue>? serializer = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IKeyHasher<TKey>? keyHasher = null,
        string name = "default",
        Func<double>? jitter = null,
        IDeadLetterSink<TKey>? deadLetters = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var copy = options is null ? new WriteBehindOptions() : options with { };
        OptionsValidator.ThrowIfInvalid(copy);
        if (copy.Journal is { } journalOptions)
        {
            // Resolved once, against the working directory at start: every message names the folder itself, and a
            // restart from another working directory is visible in the logs (event 1017) rather than silent.
            copy = copy with { Journal = journalOptions with { Directory = Path.GetFullPath(journalOptions.Directory) } };
        }

        _hasher = keyHasher ?? KeyHashers.For<TKey>();
        _serializer = serializer ?? new JsonValueSerializer<TValue>();
        _maxValueBytes = copy.MaxValueBytes;
        _overflow = copy.OverflowStrategy;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("WriteBehindAkka.WriteBehindCache");
        _ctx = new CacheContext<TKey>(name, copy, store, timeProvider ?? TimeProvider.System, logger, jitter ?? Random.Shared.NextDouble)
        {
            DeadLetterSink = deadLetters ?? store.DeadLetters,
        };
        _overBoundForWaiters = (entries, bytes) => Volatile.Read(ref _state) == Running && _ctx.IsOverBound(entries, bytes);

        _lanes = new WriterLane<TKey>[copy.Parallelism];
        for (int i = 0; i < _lanes.Length; i++)
        {
            _lanes[i] = new WriterLane<TKey>(i, _ctx);
        }

        _shards = new Shard<TKey>[copy.ShardCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard<TKey>(i, _ctx, _lanes[i % _lanes.Length].Input);
        }

        _ctx.Shards = _shards;
        var recovery = copy.Journal is { } journal ? OpenJournal(journal) : null;
        _shardLoops = Array.ConvertAll(_shards, shard => Task.Run(shard.RunAsync));
        _laneLoops = Array.ConvertAll(_lanes, lane => Task.Run(lane.RunAsync));
        if (recovery is not null)
        {
            StartRecovery(recovery);
        }

        WriteBehindMetrics.Register(this);
    }

    /// <summary>What the journal found at start-up; <see cref="JournalRecoveryReport.Empty"/> without a journal.</summary>
    public JournalRecoveryReport JournalRecovery { get; private set; } = JournalRecoveryReport.Empty;

    /// <inheritdoc />
    public string Name => _ctx.Name;

    /// <summary>The options in force (a copy of what was passed).</summary>
    public WriteBehindOptions Options => _ctx.Options;

    long IMetricsSource.PendingEntries => _ctx.PendingEntries;

    long IMetricsSource.PendingBytes => _ctx.PendingBytes;

    long IMetricsSource.CachedEntries => _shards.Sum(shard => shard.CachedEntries);

    TimeSpan IMetricsSource.OldestPendingAge => OldestPendingAge();

    long? IMetricsSource.JournalBytes => _ctx.Journal?.TotalBytes;

    /// <summary>The shard that owns a key: the high bits of <c>hash * ShardCount</c>, so each shard owns a contiguous hash range.</summary>
    internal int ShardOf(TKey key) => (int)Math.BigMul(_hasher.Hash(key), (ulong)_shards.Length, out _);

    internal WriterLane<TKey>[] Lanes => _lanes;

    internal WriteAheadJournal? Journal => _ctx.Journal;

    /// <summary>Test hook: makes a shard's loop throw on its next command.</summary>
    internal ValueTask CrashShardAsync(int shard) =>
        _shards[shard].PostAsync(new ShardCommand<TKey>(CommandKind.Crash, default!, null, null, default));

    /// <inheritdoc />
    public CacheStatistics GetStatistics()
    {
        long failed = 0, shardRestarts = 0, writerRestarts = 0, cached = 0;
        foreach (var shard in _shards)
        {
            failed += shard.FailedCount;
            shardRestarts += shard.Restarts;
            cached += shard.CachedEntries;
        }

        foreach (var lane in _lanes)
        {
            writerRestarts += lane.Restarts;
        }

        return new CacheStatistics(_ctx.PendingEntries, _ctx.PendingBytes, failed, shardRestarts, writerRestarts, Volatile.Read(ref _state) == Running, OldestPendingAge(), cached);
    }

    private TimeSpan OldestPendingAge()
    {
        long oldest = long.MaxValue;
        foreach (var shard in _shards)
        {
            long since = shard.OldestWaitingSince;
            if (since != 0 && since < oldest)
            {
                oldest = since;
            }
        }

        foreach (var lane in _lanes)
        {
            long since = lane.CurrentOldest;
            if (since != 0 && since < oldest)
            {
                oldest = since;
            }
        }

        return oldest == long.MaxValue || _ctx.PendingEntries == 0 ? TimeSpan.Zero : _ctx.Time.GetElapsedTime(oldest);
    }

    private void ThrowIfStopped()
    {
        if (Volatile.Read(ref _state) != Running)
        {
            throw new ObjectDisposedException(GetType().Name, $"The write-behind cache '{Name}' is shut down; create a new cache (or restart the host) to write again.");
        }
    }

    /// <summary>
    /// Whether the key is one the store can never hold (a NUL character for PostgreSQL text): its writes are refused
    /// before they are taken, so it has no value to read and no dead letter, and asking the store about it would fail
    /// at the server (22021) as a store error, counted against the store's health, for a key a client merely named.
    /// </summary>
    private bool StoreCannotHold(TKey key) => _ctx.Store.GetKeyError(key) is not null;

    private static void CheckKey(TKey key)
    {
        if (key is null)
        {
            throw new ArgumentNullException(nameof(key), "A cache key cannot be null.");
        }
    }

    private byte[] Serialize(TKey key, TValue value)
    {
        if (value is null)
        {
            throw new ArgumentNullException(nameof(value), $"The value of key '{key}' is null. To remove a key, call DeleteAsync or TryDelete.");
        }

        byte[]? payload = _serializer.Serialize(value);
        if (payload is null)
        {
            // A custom serializer's slip: without this the write failed with a bare NullReferenceException.
            throw new InvalidOperationException(
                $"The serializer ({_serializer.GetType().Name}) returned null for the value of key '{key}'; IValueSerializer<{typeof(TValue).Name}>.Serialize must return the value's bytes. Nothing was written.");
        }

        if (payload.Length > _maxValueBytes)
        {
            throw new ArgumentException(
                $"The serialized value of key '{key}' is {payload.Length} bytes; MaxValueBytes is {_maxValueBytes}. Store large objects elsewhere and cache a reference, or raise MaxValueBytes.",
                nameof(value));
        }

        return payload;
    }
}
