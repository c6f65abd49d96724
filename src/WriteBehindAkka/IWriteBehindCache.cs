namespace WriteBehindAkka;

/// <summary>
/// A write-behind cache: writes are answered at memory speed by the shard that owns the key and drained to the
/// store in the background, coalesced and batched; reads see your writes; nothing accepted is dropped.
/// </summary>
/// <typeparam name="TKey">The key type (<see cref="string"/>, <see cref="long"/>, <see cref="int"/>, <see cref="Guid"/>, or any type with an <see cref="Keys.IKeyHasher{TKey}"/>).</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface IWriteBehindCache<TKey, TValue> : IAsyncDisposable
    where TKey : notnull
{
    /// <summary>The cache's name (the <c>writebehind.cache</c> tag of its metrics).</summary>
    string Name { get; }

    /// <summary>Ask: writes a value and completes when the owning shard has accepted it.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; serialized now, so later changes to the object are not seen.</param>
    /// <param name="cancellationToken">Cancels only the wait for room (backpressure); an accepted write stands.</param>
    /// <returns>A task that completes when the write is accepted.</returns>
    ValueTask SetAsync(TKey key, TValue value, CancellationToken cancellationToken = default);

    /// <summary>Ask: writes a value and completes when it reaches <paramref name="consistency"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="consistency">Accepted (in memory), Journaled (its journal record fsynced, whatever the fsync policy; needs the journal) or Committed (in the store).</param>
    /// <param name="cancellationToken">Cancels the wait for room and, for Journaled or Committed, the wait for that level; an accepted write stands and is still written. An Accepted write is never cancelled once it was taken.</param>
    /// <returns>The write's version and the level reached; faults with <see cref="WriteFailedException"/> when the store refused it.</returns>
    ValueTask<WriteResult> SetAsync(TKey key, TValue value, WriteConsistency consistency, CancellationToken cancellationToken = default);

    /// <summary>Tell: offers a write without waiting. Returns at once.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>True when the write was accepted (it will be applied and written); false when the cache is over its bound, writers wait for room (a Tell does not go in ahead of them), or the shard's mailbox is full (nothing was changed), or when it ran on the caller's thread and its journal record could not be appended (the write was not applied; the failure is logged). A Tell is fire-and-forget: under the journal's Always policy true is returned before the fsync, and for a Tell queued behind a busy shard before its record is appended.</returns>
    /// <exception cref="ObjectDisposedException">The cache is shut down (or shutting down): a Tell is refused, not dropped in silence.</exception>
    bool TrySet(TKey key, TValue value);

    /// <summary>Ask: deletes a key (from the cache at once, from the store behind).</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels only the wait for room.</param>
    /// <returns>A task that completes when the delete is accepted.</returns>
    ValueTask DeleteAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>Ask: deletes a key and completes when the delete reaches <paramref name="consistency"/>.</summary>
    /// <param name="key">The key.</param>
    /// <param name="consistency">Accepted, Journaled or Committed, as for <see cref="SetAsync(TKey, TValue, WriteConsistency, CancellationToken)"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for room and, for Journaled or Committed, the wait for that level; an accepted delete stands. An Accepted delete is never cancelled once it was taken.</param>
    /// <returns>The delete's version and the level reached.</returns>
    ValueTask<WriteResult> DeleteAsync(TKey key, WriteConsistency consistency, CancellationToken cancellationToken = default);

    /// <summary>Tell: offers a delete without waiting.</summary>
    /// <param name="key">The key.</param>
    /// <returns>True when accepted; false as for <see cref="TrySet"/>.</returns>
    /// <exception cref="ObjectDisposedException">The cache is shut down (or shutting down).</exception>
    bool TryDelete(TKey key);

    /// <summary>
    /// Ask for many: makes a write of each pair, in the order given (a key given twice ends at its later value), and
    /// completes when every one reached <paramref name="consistency"/>: what a <c>SetAsync</c> of each would do, with
    /// one wait instead of one per write. With the journal's Always policy (or at Journaled) one fsync covers the
    /// writes made on the caller's thread, so a bulk write costs far less per write than as many Asks. Not a
    /// transaction: each write is taken on its own, and readers can see the first before the last is made.
    /// </summary>
    /// <param name="items">The keys and values; the cache checks every key and serializes every value before the first write, so a bad one fails the call (<see cref="ArgumentException"/> naming its index) with nothing written. (This interface's own body, for an implementation without one, makes one <c>SetAsync</c> after another: a bad item fails there, after the items before it were written.)</param>
    /// <param name="consistency">The level each write must reach: Accepted, Journaled or Committed.</param>
    /// <param name="cancellationToken">Stops the writes not yet made and those still waiting for room (each then fails); the ones let in stand. For Journaled or Committed it also cancels the wait for that level.</param>
    /// <returns>The level the writes reached, and the version of each.</returns>
    /// <exception cref="BulkWriteException">A write was refused (the writes after it were not made) or did not reach its level: it says which, and how many were taken.</exception>
    ValueTask<BulkWriteResult> SetManyAsync(IEnumerable<KeyValuePair<TKey, TValue>> items, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        BulkWrites.OneByOneAsync(items, pair => SetAsync(pair.Key, pair.Value, consistency, cancellationToken), consistency, cancellationToken);

    /// <summary>Ask for many: deletes each key, in the order given, and completes when every delete reached <paramref name="consistency"/>; as <see cref="SetManyAsync"/>.</summary>
    /// <param name="keys">The keys; every key is checked before the first delete.</param>
    /// <param name="consistency">The level each delete must reach.</param>
    /// <param name="cancellationToken">As for <see cref="SetManyAsync"/>.</param>
    /// <returns>The level the deletes reached, and the version of each.</returns>
    /// <exception cref="BulkWriteException">A delete was refused or did not reach its level.</exception>
    ValueTask<BulkWriteResult> DeleteManyAsync(IEnumerable<TKey> keys, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        BulkWrites.OneByOneAsync(keys, key => DeleteAsync(key, consistency, cancellationToken), consistency, cancellationToken);

    /// <summary>
    /// Ask: an atomic read-modify-write of one key (Akka's <c>Replicator.Update</c> with a modify function, Hazelcast's
    /// entry processor, <c>ConcurrentDictionary.AddOrUpdate</c>): reads the key's value (from memory, or by read-through),
    /// runs <paramref name="update"/> on it, and writes the result, unless the key changed in between (a write, an
    /// eviction on request, a row found changed elsewhere; an eviction for room, an expiry or a read is no change):
    /// then it reads again and runs the function again. No write made by anyone else between the read and the write is
    /// lost, so concurrent increments of a counter all count. The function runs on the caller's
    /// thread, never inside the shard, and may run more than once: it must be free of side effects, and quick (a
    /// slow one is overtaken by other writes of the key and runs again).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="update">Gets whether the key has a value, and a copy of it; returns the key's new value (not null).</param>
    /// <param name="consistency">The level the write must reach, as for <c>SetAsync</c>. A value that did not change is not written at Accepted; at Journaled or Committed it is written again.</param>
    /// <param name="cancellationToken">Cancels the reads, the waits for room and, for Journaled or Committed, the wait for that level; a write that was taken stands.</param>
    /// <returns>The new value, whether it changed, the write's version and level, and how many times the function ran.</returns>
    /// <exception cref="InvalidOperationException">The function returned null, or a read-through load failed.</exception>
    /// <exception cref="NotSupportedException">This interface's own body: an implementation without one cannot update atomically.</exception>
    ValueTask<UpdateResult<TValue>> UpdateAsync(TKey key, Func<CacheLookup<TValue>, TValue> update, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not implement UpdateAsync; a decorator passes it on to the cache it wraps.");

    /// <summary>
    /// Ask: as <see cref="UpdateAsync"/>, with a function that may also remove the key (Java's <c>Map.compute</c>): it
    /// returns the key's new state, a value (<c>new CacheLookup&lt;TValue&gt;(true, value)</c>) to write or no value
    /// (<see langword="default"/>) to delete the key. Deleting a key that has no value writes nothing at Accepted.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="compute">Gets whether the key has a value, and a copy of it; returns the key's new value, or no value to delete it.</param>
    /// <param name="consistency">As for <see cref="UpdateAsync"/>.</param>
    /// <param name="cancellationToken">As for <see cref="UpdateAsync"/>.</param>
    /// <returns>As for <see cref="UpdateAsync"/>; when the key was deleted, <c>Value</c> is the type's default.</returns>
    /// <exception cref="InvalidOperationException">The function returned a value that is null, or a read-through load failed.</exception>
    /// <exception cref="NotSupportedException">This interface's own body: an implementation without one cannot update atomically.</exception>
    ValueTask<UpdateResult<TValue>> ComputeAsync(TKey key, Func<CacheLookup<TValue>, CacheLookup<TValue>> compute, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not implement ComputeAsync; a decorator passes it on to the cache it wraps.");

    /// <summary>
    /// Ask: writes <paramref name="addValue"/> if the key has no value, else <paramref name="update"/> of its value,
    /// atomically (see <see cref="UpdateAsync"/>; <paramref name="update"/> may run more than once).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="addValue">The value of a key that has none.</param>
    /// <param name="update">Gets a copy of the key's value; returns its new value (not null).</param>
    /// <param name="consistency">As for <see cref="UpdateAsync"/>.</param>
    /// <param name="cancellationToken">As for <see cref="UpdateAsync"/>.</param>
    /// <returns>As for <see cref="UpdateAsync"/>.</returns>
    ValueTask<UpdateResult<TValue>> AddOrUpdateAsync(TKey key, TValue addValue, Func<TValue, TValue> update, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        UpdateAsync(key, UpdateFunctions.AddOrUpdate(addValue, update), consistency, cancellationToken);

    /// <summary>
    /// Ask: writes <paramref name="value"/> if the key has no value (from memory, or by read-through), atomically (see
    /// <see cref="UpdateAsync"/>); else leaves the key as it is. The result's <c>Value</c> is the key's value either
    /// way, and <c>Changed</c> says whether it was added.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value of a key that has none.</param>
    /// <param name="consistency">As for <see cref="UpdateAsync"/> (at Journaled or Committed a value already there is written again).</param>
    /// <param name="cancellationToken">As for <see cref="UpdateAsync"/>.</param>
    /// <returns>As for <see cref="UpdateAsync"/>.</returns>
    ValueTask<UpdateResult<TValue>> GetOrAddAsync(TKey key, TValue value, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        UpdateAsync(key, UpdateFunctions.GetOrAdd(value), consistency, cancellationToken);

    /// <summary>Reads a key: your latest write, or on a miss the stored row (read-through), or the default when there is none.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value, or <see langword="default"/> when the key has none.</returns>
    ValueTask<TValue?> GetAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>Reads a key and says whether it has a value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether the key has a value, and the value.</returns>
    ValueTask<CacheLookup<TValue>> TryGetAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads many keys: for each, what <see cref="TryGetAsync"/> would answer (your latest write, or on a miss the
    /// stored row by read-through), each shard's misses loaded in one store call
    /// (<see cref="Storage.IWriteBehindStore{TKey}.LoadManyAsync"/>). A key given twice is read once.
    /// </summary>
    /// <param name="keys">The keys; none may be null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The keys that have a value, with their values (a key without one is absent).</returns>
    /// <exception cref="InvalidOperationException">A read-through load failed (its <c>InnerException</c> is the store's error), once every read has ended.</exception>
    async ValueTask<IReadOnlyDictionary<TKey, TValue>> GetManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<TKey, TValue>();
        foreach (var key in keys.Distinct())
        {
            if (await TryGetAsync(key, cancellationToken).ConfigureAwait(false) is { Found: true, Value: var value })
            {
                found[key] = value!;
            }
        }

        return found;
    }

    /// <summary>Where the key's latest write stands: Pending, Writing, Completed or Failed.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The status.</returns>
    ValueTask<KeyStatus> GetStatusAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops a key's entry from memory, so that the next read loads the stored row (Hazelcast's <c>evict</c>): for a
    /// row you know another process changed. Only a clean entry is dropped; a key with a write not yet committed
    /// keeps it (that write is the newest value, and the store does not have it yet). A read-through load of the key
    /// already under way is made again when it returns, since it may have read the row before the change. The store is
    /// not touched.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>True when the entry was dropped; false when the key was not cached, or holds a write not committed yet.</returns>
    /// <exception cref="NotSupportedException">This interface's own body: an implementation without one cannot evict.</exception>
    ValueTask<bool> EvictAsync(TKey key, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not implement EvictAsync; a decorator passes it on to the cache it wraps.");

    /// <summary>
    /// Drops every clean entry from memory, as <see cref="EvictAsync"/> does one (Hazelcast's <c>evictAll</c>): after a
    /// job changed many rows behind the cache. Keys with a write not yet committed keep theirs; loads under way are made
    /// again, as for <see cref="EvictAsync"/>. The store is not touched.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (shards that got the request still drop their entries).</param>
    /// <returns>How many entries were dropped.</returns>
    /// <exception cref="NotSupportedException">This interface's own body: an implementation without one cannot evict.</exception>
    ValueTask<long> EvictAllAsync(CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not implement EvictAllAsync; a decorator passes it on to the cache it wraps.");

    /// <summary>Completes when every write accepted before the call is committed (or has failed, which the result counts).</summary>
    /// <param name="cancellationToken">Cancels the wait; the writes go on.</param>
    /// <returns>How the flush ended.</returns>
    Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops intake, flushes within <c>ShutdownTimeout</c>, stops the pipeline and the shards, and reports what could not be flushed.</summary>
    /// <param name="cancellationToken">Ends the flush early (the report then counts what is left).</param>
    /// <returns>What the shutdown left behind. Calling it again returns the same report.</returns>
    Task<ShutdownReport> ShutdownAsync(CancellationToken cancellationToken = default);

    /// <summary>A snapshot of the backlog and supervision counters.</summary>
    /// <returns>The statistics.</returns>
    CacheStatistics GetStatistics();

    /// <summary>
    /// How the cache is doing: Healthy; Degraded while the store or the dead-letter sink keeps failing (every
    /// accepted write is kept and retried), while writes fail for good at a high rate (in the last minute at least
    /// 10 records failed and they were at least as many as those committed: they are dead-lettered, not kept), or
    /// while the backlog is at its bound; Unhealthy once shut down.
    /// </summary>
    /// <returns>The report, with a description of what is wrong and what to do.</returns>
    CacheHealthReport GetHealth();

    /// <summary>Lists dead letters (writes the store refused for good), oldest failure first.</summary>
    /// <param name="offset">How many to skip; 0 or more.</param>
    /// <param name="limit">The most to return; 1 to 10,000.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The letters.</returns>
    /// <exception cref="InvalidOperationException">The cache's dead-letter sink cannot be read (none, or a callback).</exception>
    /// <exception cref="ObjectDisposedException">The cache is shut down and its dead-letter store disposed (a hosted cache's, once the host stopped).</exception>
    ValueTask<IReadOnlyList<Storage.DeadLetter<TKey>>> ListDeadLettersAsync(int offset = 0, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Counts the dead letters.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    /// <exception cref="InvalidOperationException">The cache's dead-letter sink cannot be read (none, or a callback).</exception>
    /// <exception cref="ObjectDisposedException">The cache is shut down and its dead-letter store disposed (a hosted cache's, once the host stopped).</exception>
    ValueTask<long> CountDeadLettersAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Retries the dead letter of a key: resubmits its write through the cache, at the letter's version, unless the
    /// key was written since (in the cache or the store); either way the letter is deleted. A resubmitted write
    /// that fails again is dead-lettered again.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait (including a wait for room under backpressure).</param>
    /// <returns>Resubmitted, Superseded, or NotFound.</returns>
    /// <exception cref="InvalidOperationException">The cache's dead-letter sink cannot be read (none, or a callback).</exception>
    /// <exception cref="CacheOverflowException">The backlog is at its bound and the overflow strategy is Fail.</exception>
    ValueTask<DeadLetterRetryResult> RetryDeadLetterAsync(TKey key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Discards the dead letter of a key: deletes it, and drops the key's Failed entry if it still holds that write,
    /// so reads go to the store again. Nothing is written.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a letter was deleted.</returns>
    /// <exception cref="InvalidOperationException">The cache's dead-letter sink cannot be read (none, or a callback).</exception>
    ValueTask<bool> DiscardDeadLetterAsync(TKey key, CancellationToken cancellationToken = default);
}
