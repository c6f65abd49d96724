using WriteBehindAkka.Sharding;

namespace WriteBehindAkka;

/// <content>Reads, status and flush.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <inheritdoc />
    public ValueTask<TValue?> GetAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();
        return GetCoreAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<CacheLookup<TValue>> TryGetAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();
        return TryGetCoreAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyDictionary<TKey, TValue>> GetManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var distinct = new HashSet<TKey>();
        int index = 0;
        foreach (var key in keys)
        {
            try
            {
                CheckKey(key);
            }
            catch (ArgumentException error)
            {
                // Its index in the list the caller gave, repeated keys included; the inner error's parameter is not the caller's.
                throw new ArgumentException($"keys[{index}]: {WithoutParameter(error)}", nameof(keys), error);
            }

            distinct.Add(key);
            index++;
        }

        ThrowIfStopped();
        var found = new Dictionary<TKey, TValue>(distinct.Count);
        Dictionary<int, GetManyRequest<TKey>>? byShard = null;
        foreach (var key in distinct)
        {
            int shard = ShardOf(key);
            if (_shards[shard].TryGetInline(key, out byte[]? cached))
            {
                if (cached is not null)
                {
                    found[key] = _serializer.Deserialize(cached)!;
                }
            }
            else if (!StoreCannotHold(key))
            {
                // A miss (or a busy shard): the shard answers, loading its misses in one store call.
                byShard ??= [];
                if (!byShard.TryGetValue(shard, out var request))
                {
                    byShard[shard] = request = new GetManyRequest<TKey>([]);
                }

                request.Reads.Add((key, new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously)));
            }

            // Else a key the store can never hold: it has no value (as GetAsync answers it).
        }

        return byShard is null ? new ValueTask<IReadOnlyDictionary<TKey, TValue>>(found) : AskManyAsync(found, byShard, cancellationToken);
    }

    /// <summary>Posts each shard its reads and collects the values; every read is awaited (none left unobserved) before the first error is thrown.</summary>
    private async ValueTask<IReadOnlyDictionary<TKey, TValue>> AskManyAsync(Dictionary<TKey, TValue> found, Dictionary<int, GetManyRequest<TKey>> byShard, CancellationToken cancellationToken)
    {
        var posted = new List<GetManyRequest<TKey>>(byShard.Count);
        try
        {
            foreach (var (shard, request) in byShard)
            {
                var command = new ShardCommand<TKey>(CommandKind.GetMany, default!, null, request, default);
                await PostCommandAsync(_shards[shard], command, cancellationToken).ConfigureAwait(false);
                posted.Add(request);
            }
        }
        catch (Exception)
        {
            // Cancelled (or stopped) while a shard's mailbox was full: the shards posted before still answer their
            // reads, a failed load with an error nobody awaits now; observe it (see ObserveFault).
            foreach (var (_, reply) in posted.SelectMany(request => request.Reads))
            {
                ObserveFault(reply.Task);
            }

            throw;
        }

        var reads = byShard.Values.SelectMany(request => request.Reads).ToList();
        await WaitOrObserveAsync(Task.WhenAll(reads.Select(read => read.Reply.Task)), cancellationToken).ConfigureAwait(false);

        foreach (var (key, reply) in reads)
        {
            if (reply.Task.Result is { } payload)
            {
                found[key] = _serializer.Deserialize(payload)!;
            }
        }

        return found;
    }

    /// <inheritdoc />
    public ValueTask<KeyStatus> GetStatusAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();
        return GetStatusCoreAsync(key, cancellationToken);
    }

    private ValueTask<TValue?> GetCoreAsync(TKey key, CancellationToken cancellationToken)
    {
        var lookup = TryGetCoreAsync(key, cancellationToken);
        return lookup.IsCompletedSuccessfully ? new ValueTask<TValue?>(lookup.Result.Value) : AwaitValueAsync(lookup);

        static async ValueTask<TValue?> AwaitValueAsync(ValueTask<CacheLookup<TValue>> lookup) => (await lookup.ConfigureAwait(false)).Value;
    }

    /// <summary>A cached key (or no read-through) is answered on the caller's thread when its shard is idle; else the shard answers.</summary>
    private ValueTask<CacheLookup<TValue>> TryGetCoreAsync(TKey key, CancellationToken cancellationToken)
    {
        if (_shards[ShardOf(key)].TryGetInline(key, out byte[]? cached))
        {
            return new ValueTask<CacheLookup<TValue>>(cached is null ? default : new CacheLookup<TValue>(true, _serializer.Deserialize(cached)));
        }

        if (StoreCannotHold(key))
        {
            return default;
        }

        return AskGetAsync(key, cancellationToken);
    }

    private async ValueTask<CacheLookup<TValue>> AskGetAsync(TKey key, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await AskAsync(key, CommandKind.Get, reply, cancellationToken).ConfigureAwait(false);
        byte[]? payload = await WaitOrObserveAsync(reply.Task, cancellationToken).ConfigureAwait(false);
        return payload is null ? default : new CacheLookup<TValue>(true, _serializer.Deserialize(payload));
    }

    /// <inheritdoc />
    public ValueTask<bool> EvictAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();

        // A token already cancelled drops nothing (else the entry would go and the caller see only a cancellation).
        return cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<bool>(cancellationToken) : EvictCoreAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<long> EvictAllAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfStopped();
        cancellationToken.ThrowIfCancellationRequested(); // drops nothing
        var replies = new TaskCompletionSource<long>[_shards.Length];
        for (int i = 0; i < _shards.Length; i++)
        {
            replies[i] = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            await PostCommandAsync(_shards[i], new ShardCommand<TKey>(CommandKind.EvictAll, default!, null, replies[i], default), cancellationToken).ConfigureAwait(false);
        }

        long dropped = 0;
        foreach (var reply in replies)
        {
            dropped += await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return dropped;
    }

    private async ValueTask<bool> EvictCoreAsync(TKey key, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await AskAsync(key, CommandKind.Evict, reply, cancellationToken).ConfigureAwait(false);
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<KeyStatus> GetStatusCoreAsync(TKey key, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<KeyStatus>(TaskCreationOptions.RunContinuationsAsynchronously);
        await AskAsync(key, CommandKind.Status, reply, cancellationToken).ConfigureAwait(false);
        return await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfStopped();
        return FlushRacingShutdownAsync(cancellationToken);
    }

    /// <summary>A user's flush: one that meets a shard's mailbox closed by the shutdown fails as the cache's other calls do.</summary>
    private async Task<FlushResult> FlushRacingShutdownAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            ThrowIfStopped();
            throw;
        }
    }

    /// <summary>Flushes every shard.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="kind">null for a user's flush; <see cref="EpochCounter.QuietFlush"/> for the cache's own (before journal truncation: it reports no failures and leaves them to the users' flushes); <see cref="EpochCounter.FinalFlush"/> for shutdown's (the shards take no write after it).</param>
    private async Task<FlushResult> FlushCoreAsync(CancellationToken cancellationToken, object? kind = null)
    {
        // A user's flush and shutdown's send what they wait for at once: the shards skip the write delay, and the
        // lanes emit their groups without waiting out MaxBatchDelay (on a test's manual clock nobody advances, that
        // wait never ended). The cache's own flush before journal truncation is in no hurry.
        bool hurry = kind != EpochCounter.QuietFlush;
        if (hurry)
        {
            foreach (var lane in _lanes)
            {
                lane.Hurry();
            }
        }

        var sources = new TaskCompletionSource<long>[_shards.Length];
        try
        {
            var replies = new Task<long>[_shards.Length];
            for (int i = 0; i < _shards.Length; i++)
            {
                var reply = sources[i] = new TaskCompletionSource<long>(kind, TaskCreationOptions.RunContinuationsAsynchronously);
                replies[i] = reply.Task;
                await _shards[i].PostAsync(new ShardCommand<TKey>(CommandKind.Flush, default!, null, reply, default), cancellationToken).ConfigureAwait(false);
            }

            long[] failed = await Task.WhenAll(replies).WaitAsync(cancellationToken).ConfigureAwait(false);
            return new FlushResult(failed.Sum());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up and sees no count: a shard that has not answered yet leaves the failures it would have
            // reported to the next flush (see EpochCounter.Release), rather than reporting them to nobody.
            foreach (var source in sources)
            {
                source?.TrySetCanceled(cancellationToken);
            }

            throw;
        }
        finally
        {
            if (hurry)
            {
                foreach (var lane in _lanes)
                {
                    lane.EndHurry();
                }
            }
        }
    }

    private ValueTask AskAsync(TKey key, CommandKind kind, object reply, CancellationToken cancellationToken) =>
        PostCommandAsync(_shards[ShardOf(key)], new ShardCommand<TKey>(kind, key, null, reply, default), cancellationToken);

    /// <summary>Posts a read's command to its shard, waiting for room in the mailbox when it is full.</summary>
    private async ValueTask PostCommandAsync(Shard<TKey> shard, ShardCommand<TKey> command, CancellationToken cancellationToken)
    {
        if (!shard.TryPost(command))
        {
            try
            {
                await shard.PostAsync(command, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                ThrowIfStopped();
                throw;
            }
        }
    }
}
