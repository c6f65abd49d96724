using System.Collections.Concurrent;
using System.Threading.Channels;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka.TestKit;

/// <summary>
/// A scriptable in-memory store with the same version-guarded semantics as the PostgreSQL store: for tests of
/// code that uses the cache, without a database. Script faults (<see cref="FailNext"/>, <see cref="PoisonKeys"/>, <see cref="FailNextLoads"/>),
/// hold writes (<see cref="Pause"/>), and await batches (<see cref="ExpectBatchAsync"/>).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class InMemoryStore<TKey> : IWriteBehindStore<TKey>
    where TKey : notnull
{
    /// <summary>The code of the error a poison key raises (a check_violation's SQLSTATE).</summary>
    public const string PoisonCode = "23514";

    private readonly ConcurrentDictionary<TKey, StoredRow> _rows = new();
    private readonly ConcurrentQueue<IReadOnlyList<WriteRecord<TKey>>> _committed = new();
    private readonly Channel<IReadOnlyList<WriteRecord<TKey>>> _attempts = Channel.CreateUnbounded<IReadOnlyList<WriteRecord<TKey>>>();
    private readonly ConcurrentDictionary<TKey, int> _loads = new();
    private readonly object _script = new();
    private readonly Lock _apply = new();
    private readonly Queue<Exception> _failures = new();
    private readonly Queue<Exception> _loadFailures = new();
    private TaskCompletionSource? _paused;
    private int _attemptCount;
    private int _loadManyCalls;

    /// <summary>Keys whose presence in a batch makes the store refuse it with a permanent error.</summary>
    public ConcurrentDictionary<TKey, bool> PoisonKeys { get; } = new();

    /// <summary>
    /// The dead-letter store that goes with this store (<see cref="IWriteBehindStore{TKey}.DeadLetters"/>): a cache
    /// over this store records refused writes here unless it is given another sink.
    /// </summary>
    public InMemoryDeadLetterStore<TKey> DeadLetters { get; } = new();

    /// <summary>
    /// Called with each batch write after the <see cref="FailNext"/> failures are used up; the exception it returns,
    /// if any, is thrown instead of applying the batch (for faults that depend on a batch's content).
    /// </summary>
    public Func<IReadOnlyList<WriteRecord<TKey>>, Exception?>? FailWhen { get; set; }

    /// <summary>
    /// Called with each load's key (read-through, and a dead-letter retry's read of the stored version) after the
    /// <see cref="FailNextLoads"/> failures are used up; the exception it returns, if any, is thrown instead of
    /// reading (a database that is down for reads, or for some keys).
    /// </summary>
    public Func<TKey, Exception?>? LoadFailWhen { get; set; }

    private readonly TimeProvider _time;

    /// <summary>Creates an empty store.</summary>
    /// <param name="timeProvider">
    /// The clock <see cref="WriteLatency"/> is measured on: pass the cache's <see cref="ManualTimeProvider"/> to make a
    /// slow database's batches wait for <c>Advance</c>; the system clock by default.
    /// </param>
    public InMemoryStore(TimeProvider? timeProvider = null) => _time = timeProvider ?? TimeProvider.System;

    /// <summary>How long each batch write waits, on the store's clock, before it is applied (a slow database); zero by default.</summary>
    public TimeSpan WriteLatency { get; set; }

    /// <summary>Every batch committed, in commit order.</summary>
    public IReadOnlyCollection<IReadOnlyList<WriteRecord<TKey>>> CommittedBatches => _committed;

    /// <summary>How many times <see cref="WriteBatchAsync"/> was called.</summary>
    public int Attempts => Volatile.Read(ref _attemptCount);

    /// <summary>How many times <see cref="LoadManyAsync"/> was called (one call loads a shard's misses of a <c>GetManyAsync</c>).</summary>
    public int LoadManyCalls => Volatile.Read(ref _loadManyCalls);

    /// <summary>The rows as the store holds them now.</summary>
    public IReadOnlyDictionary<TKey, StoredRow> Rows => _rows;

    /// <summary>How many read-through loads a key has had.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The count.</returns>
    public int LoadsOf(TKey key) => _loads.GetValueOrDefault(key);

    /// <summary>Puts a row in the store directly (as if written by someone else).</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The serialized value.</param>
    /// <param name="version">Its version.</param>
    public void Seed(TKey key, byte[] value, long version)
    {
        // Under the batches' lock, as another writer's transaction would be: never between a record's guard and its write.
        lock (_apply)
        {
            _rows[key] = new StoredRow(value, version);
        }
    }

    /// <summary>Deletes a row from the store directly (as if deleted by someone else; the cache is not told).</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether there was a row.</returns>
    public bool Unseed(TKey key)
    {
        lock (_apply)
        {
            return _rows.TryRemove(key, out _);
        }
    }

    /// <summary>Makes the next <paramref name="count"/> batch writes throw (by default a transient error).</summary>
    /// <param name="count">How many calls fail.</param>
    /// <param name="error">The exception; <see langword="null"/> for a transient <see cref="SimulatedStoreException"/>.</param>
    public void FailNext(int count, Exception? error = null)
    {
        lock (_script)
        {
            for (int i = 0; i < count; i++)
            {
                _failures.Enqueue(error ?? new SimulatedStoreException());
            }
        }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> loads (read-through, and a dead-letter retry's read of the stored
    /// version) throw, by default a transient error. Batch writes are scripted apart, with <see cref="FailNext"/>.
    /// </summary>
    /// <param name="count">How many loads fail.</param>
    /// <param name="error">The exception; <see langword="null"/> for a transient <see cref="SimulatedStoreException"/>.</param>
    public void FailNextLoads(int count, Exception? error = null)
    {
        lock (_script)
        {
            for (int i = 0; i < count; i++)
            {
                _loadFailures.Enqueue(error ?? new SimulatedStoreException());
            }
        }
    }

    /// <summary>Holds every batch write (and load) until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        lock (_script)
        {
            _paused ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Lets held writes go on.</summary>
    public void Resume()
    {
        TaskCompletionSource? paused;
        lock (_script)
        {
            paused = _paused;
            _paused = null;
        }

        paused?.TrySetResult();
    }

    /// <summary>Awaits the next batch handed to the store (committed or not), in order.</summary>
    /// <param name="within">The real-time budget.</param>
    /// <returns>The batch's records.</returns>
    /// <exception cref="TimeoutException">No batch arrived within the budget.</exception>
    public async Task<IReadOnlyList<WriteRecord<TKey>>> ExpectBatchAsync(TimeSpan within)
    {
        using var budget = new CancellationTokenSource(within);
        try
        {
            return await _attempts.Reader.ReadAsync(budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Expected a batch within {within}, but none came.");
        }
    }

    /// <summary>Whether a batch arrived that no <see cref="ExpectBatchAsync"/> took yet.</summary>
    /// <returns>True when a batch is waiting.</returns>
    public bool HasUnexpectedBatch() => _attempts.Reader.TryPeek(out _);

    /// <inheritdoc />
    public async ValueTask WriteBatchAsync(IReadOnlyList<WriteRecord<TKey>> batch, CancellationToken cancellationToken)
    {
        // The records' bytes are copied: the cache may reuse a value's buffer for a later write of the key once the
        // batch is answered, and the batches kept here must still show what was written.
        var copy = batch.Select(r => r with { Value = r.Value.ToArray() }).ToArray();
        Interlocked.Increment(ref _attemptCount);
        _attempts.Writer.TryWrite(copy);
        await WaitWhilePausedAsync(cancellationToken).ConfigureAwait(false);
        if (WriteLatency > TimeSpan.Zero)
        {
            await Task.Delay(WriteLatency, _time, cancellationToken).ConfigureAwait(false);
        }

        if ((NextScripted(_failures) ?? FailWhen?.Invoke(copy)) is { } failure)
        {
            throw failure;
        }

        foreach (var record in copy)
        {
            if (PoisonKeys.ContainsKey(record.Key))
            {
                throw new SimulatedStoreException(StoreErrorKind.Permanent, $"Poison key '{WriteBehindAkka.Diagnostics.KeyText.Of(record.Key)}' refused.") { Code = PoisonCode };
            }
        }

        // One batch at a time, as a transaction with row locks would: two caches over one store (two replicas)
        // cannot interleave their guards, and a load never sees half a batch.
        lock (_apply)
        {
            foreach (var record in copy)
            {
                Apply(record);
            }

            _committed.Enqueue(copy);
        }
    }

    /// <inheritdoc />
    public async ValueTask<StoredEntry?> LoadAsync(TKey key, CancellationToken cancellationToken)
    {
        _loads.AddOrUpdate(key, 1, (_, n) => n + 1);
        await WaitWhilePausedAsync(cancellationToken).ConfigureAwait(false);
        if ((NextScripted(_loadFailures) ?? LoadFailWhen?.Invoke(key)) is { } failure)
        {
            throw failure;
        }

        lock (_apply)
        {
            return _rows.TryGetValue(key, out var row) ? new StoredEntry(row.Value, row.Version) : null;
        }
    }

    /// <inheritdoc />
    /// <remarks>One call: each key counts as loaded (<see cref="LoadsOf"/>), <see cref="Pause"/> holds the call once, and a scripted load failure fails it whole.</remarks>
    public async ValueTask<IReadOnlyList<StoredEntry?>> LoadManyAsync(IReadOnlyList<TKey> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keys);
        Interlocked.Increment(ref _loadManyCalls);
        foreach (var key in keys)
        {
            _loads.AddOrUpdate(key, 1, (_, n) => n + 1);
        }

        await WaitWhilePausedAsync(cancellationToken).ConfigureAwait(false);
        if ((NextScripted(_loadFailures) ?? keys.Select(key => LoadFailWhen?.Invoke(key)).FirstOrDefault(error => error is not null)) is { } failure)
        {
            throw failure;
        }

        lock (_apply)
        {
            return [.. keys.Select(key => _rows.TryGetValue(key, out var row) ? new StoredEntry(row.Value, row.Version) : null)];
        }
    }

    /// <inheritdoc />
    /// <returns>
    /// For string keys, what the PostgreSQL store refuses too (a NUL character, half of a surrogate pair), so that tests
    /// over this store catch such keys; <see langword="null"/> otherwise.
    /// </returns>
    public string? GetKeyError(TKey key) =>
        key is string text && TextKeyRules.Problem(text) is { } problem
            ? $"{problem}: the PostgreSQL store could never store the write, and the in-memory store refuses it as that store does."
            : null;

    /// <inheritdoc />
    /// <returns>
    /// The kind of a <see cref="SimulatedStoreException"/>; as the PostgreSQL store classifies client-side errors,
    /// transient for a timeout, an I/O or socket error or a cancellation; permanent for anything else.
    /// </returns>
    public StoreErrorKind Classify(Exception error) => SimulatedStoreException.Classify(error);

    /// <inheritdoc />
    /// <returns>
    /// The <see cref="SimulatedStoreException.Code"/> of the first simulated error in the exception's chain (its inner
    /// exceptions, an <see cref="AggregateException"/>'s first), as the PostgreSQL store finds the SQLSTATE of a
    /// wrapped server error; otherwise <see langword="null"/>.
    /// </returns>
    public string? GetErrorCode(Exception error) => SimulatedStoreException.Chain(error).OfType<SimulatedStoreException>().FirstOrDefault()?.Code;

    /// <inheritdoc />
    IDeadLetterStore<TKey>? IWriteBehindStore<TKey>.DeadLetters => DeadLetters;

    /// <summary>Takes the next failure scripted with <see cref="FailNext"/> or <see cref="FailNextLoads"/>, if any.</summary>
    private Exception? NextScripted(Queue<Exception> failures)
    {
        lock (_script)
        {
            return failures.TryDequeue(out var failure) ? failure : null;
        }
    }

    private async Task WaitWhilePausedAsync(CancellationToken cancellationToken)
    {
        Task? paused;
        lock (_script)
        {
            paused = _paused?.Task;
        }

        if (paused is not null)
        {
            await paused.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The version guard: a record applies only over an older stored version (a missing row counts as older).</summary>
    private void Apply(WriteRecord<TKey> record)
    {
        if (_rows.TryGetValue(record.Key, out var existing) && existing.Version >= record.Version)
        {
            return;
        }

        if (record.Operation == WriteOperation.Delete)
        {
            _rows.TryRemove(record.Key, out _);
        }
        else
        {
            _rows[record.Key] = new StoredRow(record.Value.ToArray(), record.Version);
        }
    }
}
