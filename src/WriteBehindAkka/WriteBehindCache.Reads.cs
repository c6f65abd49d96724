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
    public ValueTask<KeyStatus> GetStatusAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();
        return GetStatusCoreAsync(key, cancellationToken);
    }

    private async ValueTask<TValue?> GetCoreAsync(TKey key, CancellationToken cancellationToken) =>
        (await TryGetCoreAsync(key, cancellationToken).ConfigureAwait(false)).Value;

    private async ValueTask<CacheLookup<TValue>> TryGetCoreAsync(TKey key, CancellationToken cancellationToken)
    {
        var reply = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await AskAsync(key, CommandKind.Get, reply, cancellationToken).ConfigureAwait(false);
        byte[]? payload = await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return payload is null ? default : new CacheLookup<TValue>(true, _serializer.Deserialize(payload));
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
        return FlushCoreAsync(cancellationToken);
    }

    private async Task<FlushResult> FlushCoreAsync(CancellationToken cancellationToken)
    {
        var replies = new Task<long>[_shards.Length];
        for (int i = 0; i < _shards.Length; i++)
        {
            var reply = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            replies[i] = reply.Task;
            await _shards[i].Mailbox.WriteAsync(new ShardCommand<TKey>(CommandKind.Flush, default!, null, reply, default), cancellationToken).ConfigureAwait(false);
        }

        long[] failed = await Task.WhenAll(replies).WaitAsync(cancellationToken).ConfigureAwait(false);
        return new FlushResult(failed.Sum());
    }

    private async ValueTask AskAsync(TKey key, CommandKind kind, object reply, CancellationToken cancellationToken)
    {
        var mailbox = _shards[ShardOf(key)].Mailbox;
        var command = new ShardCommand<TKey>(kind, key, null, reply, default);
        if (!mailbox.TryWrite(command))
        {
            try
            {
                await mailbox.WriteAsync(command, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                ThrowIfStopped();
                throw;
            }
        }
    }
}
