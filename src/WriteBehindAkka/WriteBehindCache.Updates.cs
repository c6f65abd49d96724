using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Sharding;

namespace WriteBehindAkka;

/// <content>Atomic updates: read, compute on the caller's thread, write if the key did not change in between.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <inheritdoc />
    public ValueTask<UpdateResult<TValue>> UpdateAsync(TKey key, Func<CacheLookup<TValue>, TValue> update, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return StartUpdate(key, update, null, consistency, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<UpdateResult<TValue>> ComputeAsync(TKey key, Func<CacheLookup<TValue>, CacheLookup<TValue>> compute, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(compute);
        return StartUpdate(key, null, compute, consistency, cancellationToken);
    }

    /// <summary>Checks an update's key and level and that the cache runs, before anything is read; a token already cancelled reads nothing.</summary>
    private ValueTask<UpdateResult<TValue>> StartUpdate(TKey key, Func<CacheLookup<TValue>, TValue>? update, Func<CacheLookup<TValue>, CacheLookup<TValue>>? compute, WriteConsistency consistency, CancellationToken cancellationToken)
    {
        CheckWriteKey(key);
        CheckConsistency(consistency);
        ThrowIfStopped();
        return cancellationToken.IsCancellationRequested
            ? ValueTask.FromCanceled<UpdateResult<TValue>>(cancellationToken)
            : UpdateCoreAsync(key, update, compute, consistency, cancellationToken);
    }

    /// <summary>Gets a value indicating whether any shard keeps change tables for updates (tests: a cache that never updates keeps none).</summary>
    internal bool TracksUpdateChanges => _shards.Any(shard => shard.TracksChanges);

    /// <inheritdoc />
    public ValueTask<UpdateResult<TValue>> AddOrUpdateAsync(TKey key, TValue addValue, Func<TValue, TValue> update, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        UpdateAsync(key, UpdateFunctions.AddOrUpdate(addValue, update), consistency, cancellationToken);

    /// <inheritdoc />
    public ValueTask<UpdateResult<TValue>> GetOrAddAsync(TKey key, TValue value, WriteConsistency consistency = WriteConsistency.Accepted, CancellationToken cancellationToken = default) =>
        UpdateAsync(key, UpdateFunctions.GetOrAdd(value), consistency, cancellationToken);

    /// <summary>
    /// Reads the key (its value and version, and the shard's change counter), runs the function on the value, and
    /// writes the result on condition that nothing changed the key since the read (see <c>Shard.UpdateCanWrite</c>);
    /// when something did (a write, an eviction on request, a row changed elsewhere), reads again and runs the
    /// function again. Exactly one of <paramref name="update"/> (the new value) and <paramref name="compute"/> (the new
    /// value, or no value: delete the key) is given.
    /// </summary>
    private async ValueTask<UpdateResult<TValue>> UpdateCoreAsync(TKey key, Func<CacheLookup<TValue>, TValue>? update, Func<CacheLookup<TValue>, CacheLookup<TValue>>? compute, WriteConsistency consistency, CancellationToken cancellationToken)
    {
        var shard = _shards[ShardOf(key)];
        for (int attempts = 1; ; attempts++)
        {
            var read = await ReadForUpdateAsync(shard, key, cancellationToken).ConfigureAwait(false);
            while (read.Load is { } load)
            {
                // Not in memory: loaded first (a failed load fails the update, as it fails a read). The shard hands
                // over what the load found; a stale load hands over nothing, and the key is read again.
                await WaitOrObserveAsync(load.Task, cancellationToken).ConfigureAwait(false);
                read = load.Snapshot ?? await ReadForUpdateAsync(shard, key, cancellationToken).ConfigureAwait(false);
            }

            var current = read.Value is null ? default : new CacheLookup<TValue>(true, _serializer.Deserialize(read.Value));
            var next = update is not null ? new CacheLookup<TValue>(true, update(current)) : compute!(current);
            if (!next.Found)
            {
                next = default; // no value, whatever else the function put in the lookup: the result's Value is the default
            }

            byte[]? payload = null;
            if (next.Found)
            {
                if (next.Value is null)
                {
                    throw new InvalidOperationException(
                        $"The {(update is null ? "compute" : "update")} function of key '{key}' returned null; it must return the key's new value (to remove a key, {(update is null ? "return default (no value)" : "call ComputeAsync or DeleteAsync")}). Nothing was written.");
                }

                payload = Serialize(key, next.Value);
            }

            // A delete of a key without a value, or the bytes read written again, changes nothing.
            bool changed = payload is null ? read.Value is not null : read.Value is null || !payload.AsSpan().SequenceEqual(read.Value);
            if (!changed && consistency == WriteConsistency.Accepted)
            {
                return new UpdateResult<TValue>(next.Value!, false, read.Version, WriteConsistency.Accepted, attempts);
            }

            var condition = new ConditionalWrite(read.ReadAt, read.Version);
            var written = await Send(payload is null ? CommandKind.Delete : CommandKind.Set, key, payload, consistency, cancellationToken, condition).ConfigureAwait(false);
            if (written != ConditionalWrite.Conflict)
            {
                return new UpdateResult<TValue>(next.Value!, changed, written.Version, written.Consistency, attempts);
            }

            WriteBehindMetrics.UpdateConflicts.AddSafely(1, _ctx.Tags);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>An update's read: on the caller's thread when the shard is idle and the key is in memory, else by the shard.</summary>
    private ValueTask<UpdateSnapshot<TKey>> ReadForUpdateAsync(Shard<TKey> shard, TKey key, CancellationToken cancellationToken)
    {
        return shard.TryReadForUpdateInline(key, out var read) ? new ValueTask<UpdateSnapshot<TKey>>(read) : AskAsync();

        async ValueTask<UpdateSnapshot<TKey>> AskAsync()
        {
            var reply = new TaskCompletionSource<UpdateSnapshot<TKey>>(TaskCreationOptions.RunContinuationsAsynchronously);
            await PostCommandAsync(shard, new ShardCommand<TKey>(CommandKind.ReadForUpdate, key, null, reply, default), cancellationToken).ConfigureAwait(false);
            return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
