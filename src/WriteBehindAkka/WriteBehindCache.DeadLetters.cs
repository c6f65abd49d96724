using System.Globalization;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Options;
using WriteBehindAkka.Sharding;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka;

/// <content>Operator actions on dead letters: list, count, retry, discard.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <summary>The most letters one <see cref="ListDeadLettersAsync"/> call returns.</summary>
    private const int MaxDeadLetterPage = 10_000;

    /// <summary>
    /// Retries and discards of one key's letter, one at a time: each reads the letter, acts, and deletes it (a retry
    /// only once its write is journaled), so the second finds the first's result (the letter gone) instead of acting
    /// on a letter read before. A retry that read the letter before a discard deleted it went on to resubmit its write
    /// after the discard's journal record: the cache held the write, and a restart skipped it.
    /// </summary>
    private readonly KeyedGate<TKey> _letterActions = new();

    /// <summary>Where the cache records the writes the store refused for good, or <see langword="null"/> when it has no sink.</summary>
    public IDeadLetterSink<TKey>? DeadLetterSink => _ctx.DeadLetterSink;

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<DeadLetter<TKey>>> ListDeadLettersAsync(int offset = 0, int limit = 100, CancellationToken cancellationToken = default)
    {
        if (offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "The offset of a dead-letter page must be 0 or more.");
        }

        if (limit is < 1 or > MaxDeadLetterPage)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, $"The limit of a dead-letter page must be between 1 and {MaxDeadLetterPage}; page through more with offset.");
        }

        var letters = ReadableDeadLetters();
        return ReadAfterShutdownAsync(() => letters.ListAsync(offset, limit, cancellationToken));
    }

    /// <inheritdoc />
    public ValueTask<long> CountDeadLettersAsync(CancellationToken cancellationToken = default)
    {
        var letters = ReadableDeadLetters();
        return ReadAfterShutdownAsync(() => letters.CountAsync(cancellationToken));
    }

    /// <summary>
    /// Reads the dead-letter store. Listing and counting do not need the shards, so they go on after a shutdown
    /// while the store is alive; once the store is disposed too (a hosted cache's goes when the host stops), its
    /// bare <see cref="ObjectDisposedException"/> (naming a data source) is turned into one that names the cache.
    /// </summary>
    private async ValueTask<T> ReadAfterShutdownAsync<T>(Func<ValueTask<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (ObjectDisposedException disposed) when (Volatile.Read(ref _state) != Running)
        {
            throw new ObjectDisposedException(
                $"The write-behind cache '{Name}' is shut down and its dead-letter store is disposed (a hosted cache's store goes when the host stops): list and count dead letters while the cache runs, or read them from the dead-letter table.",
                disposed);
        }
    }

    /// <inheritdoc />
    public ValueTask<DeadLetterRetryResult> RetryDeadLetterAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();
        var letters = ReadableDeadLetters();
        return StoreCannotHold(key)
            ? new ValueTask<DeadLetterRetryResult>(new DeadLetterRetryResult(DeadLetterRetryOutcome.NotFound, 0))
            : RetryDeadLetterCoreAsync(letters, key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<bool> DiscardDeadLetterAsync(TKey key, CancellationToken cancellationToken = default)
    {
        CheckKey(key);
        ThrowIfStopped();
        var letters = ReadableDeadLetters();
        return StoreCannotHold(key) ? new ValueTask<bool>(false) : DiscardDeadLetterCoreAsync(letters, key, cancellationToken);
    }

    private async ValueTask<DeadLetterRetryResult> RetryDeadLetterCoreAsync(IDeadLetterStore<TKey> letters, TKey key, CancellationToken cancellationToken)
    {
        using var exclusive = await _letterActions.EnterAsync(key, cancellationToken).ConfigureAwait(false);
        var letter = await letters.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (letter is null)
        {
            return new DeadLetterRetryResult(DeadLetterRetryOutcome.NotFound, 0);
        }

        await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);

        // The shard's entry decides when it holds the key. Else the store's version does (the key was evicted, or
        // another process wrote it), read once the shard watches the key: an entry of it committed and evicted while
        // the store is read counts too, so the letter never comes back over a newer write.
        var shard = _shards[ShardOf(key)];
        var value = letter.Operation == WriteOperation.Delete ? null : letter.Value ?? [];
        ResubmitRequest request;
        DeadLetterRetryResult result;
        while (true)
        {
            request = new ResubmitRequest(letter.Version);
            try
            {
                await shard.PostAsync(new ShardCommand<TKey>(CommandKind.Resubmit, key, value, request, default), cancellationToken).ConfigureAwait(false);
                await request.Watching.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (!request.Task.IsCompleted)
                {
                    request.StoredVersion = await _ctx.Store.LoadVersionAsync(key, cancellationToken).ConfigureAwait(false) ?? 0;
                    request.Stage = ResubmitStage.Decide;
                    await shard.PostAsync(new ShardCommand<TKey>(CommandKind.Resubmit, key, value, request, default), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception error)
            {
                // Given up after the watch was asked for: undo it (the shard undoes only a watch this request made),
                // through a post that is not cancelled, in the background.
                request.Stage = ResubmitStage.Abandoned;
                _ = AbandonResubmitAsync(shard, key, request);
                if (error is System.Threading.Channels.ChannelClosedException)
                {
                    // The cache stopped meanwhile: nothing was retried, and the letter stays.
                    ThrowIfStopped();
                }

                throw;
            }

            result = await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (request.Landing is not { } landing)
            {
                break;
            }

            // The key's write at the letter's version is in flight: it may be the refused write itself, whose letter the
            // writer recorded before its outcome reached the shard. Deleted now, the letter would go while the write is
            // about to be Failed (and evictable) in memory: neither resubmitted nor kept. Decide again once it lands.
            await LandedAsync(landing, cancellationToken).ConfigureAwait(false);
        }

        if (request.Journaled is { } journaled)
        {
            // With the journal the letter goes only once the resubmitted write is on disk: a crash in between
            // replays the write instead of losing both. A journal error keeps the letter and reaches the caller.
            await journaled.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        // Deleted only now, and only this very letter: the write is safe in the cache first, and a letter written
        // again meanwhile (it failed again) has a later failure time and stays.
        await letters.DeleteAsync(letter, cancellationToken).ConfigureAwait(false);
        Log.DeadLetterRetried(_ctx.Logger, Name, KeyText.Of(key), letter.Version, result.Outcome == DeadLetterRetryOutcome.Resubmitted ? "resubmitted" : "found superseded");
        return result;
    }

    /// <summary>
    /// Waits for an in-flight write of a dead letter's key to land, committed or failed (as a refused write is): the
    /// retry or discard that waits then looks again, and sees which. Only the caller's cancellation ends it early.
    /// </summary>
    private static async Task LandedAsync(Task<WriteResult> landing, CancellationToken cancellationToken)
    {
        try
        {
            await landing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Failed, or the cache stopped: the next look says which.
        }
    }

    private static async Task AbandonResubmitAsync(Shard<TKey> shard, TKey key, ResubmitRequest request)
    {
        try
        {
            await shard.PostAsync(new ShardCommand<TKey>(CommandKind.Resubmit, key, null, request, default), CancellationToken.None).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // The shard has stopped: its watches went with it.
        }
    }

    private async ValueTask<bool> DiscardDeadLetterCoreAsync(IDeadLetterStore<TKey> letters, TKey key, CancellationToken cancellationToken)
    {
        using var exclusive = await _letterActions.EnterAsync(key, cancellationToken).ConfigureAwait(false);
        var letter = await letters.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (letter is null || !await letters.DeleteAsync(letter, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        ForgetRequest request;
        while (true)
        {
            request = new ForgetRequest(letter.Version);
            await _shards[ShardOf(key)].PostAsync(new ShardCommand<TKey>(CommandKind.Forget, key, null, request, default), cancellationToken).ConfigureAwait(false);
            await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (request.Landing is not { } landing)
            {
                break;
            }

            // The discarded write was in flight (its letter recorded before its outcome reached the shard): forget
            // it once it has landed, or it would stay Failed in memory, and in the journal, after the discard.
            await LandedAsync(landing, cancellationToken).ConfigureAwait(false);
        }

        if (request.Journaled is { } journaled)
        {
            // Durable before it is answered: a crash after the answer must not replay the discarded write.
            await journaled.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        Log.DeadLetterDiscarded(_ctx.Logger, Name, KeyText.Of(key), letter.Version);
        return true;
    }

    /// <summary>A resubmitted write is a write: it respects the pending bound like <c>SetAsync</c>.</summary>
    private async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (!_ctx.IsOverBound())
        {
            return;
        }

        if (_overflow == OverflowStrategy.Fail)
        {
            WriteBehindMetrics.WritesRejected.AddSafely(1, _ctx.Tags);
            throw new CacheOverflowException(string.Create(
                CultureInfo.InvariantCulture,
                $"The write-behind cache '{Name}' {_ctx.DescribeBound()}. Retry the dead letter later, raise the bound, or use OverflowStrategy.Backpressure to wait."));
        }

        // A retry waits as one write would; it does not hold its admission (it may yet find the letter superseded).
        await _ctx.Gate.WaitAsync(_overBoundForWaiters, 0, cancellationToken).ConfigureAwait(false);
        _ctx.Gate.Release(0);
        ThrowIfStopped();
    }

    /// <summary>The dead-letter store, or a clear error saying how to get one.</summary>
    private IDeadLetterStore<TKey> ReadableDeadLetters() => _ctx.DeadLetterSink switch
    {
        IDeadLetterStore<TKey> store => store,
        null => throw new InvalidOperationException(
            $"The cache '{Name}' has no dead-letter store, so there are no dead letters to list, retry or discard. Pass one to the cache (the deadLetters argument), or use a store that keeps one (the PostgreSQL store keeps a dead-letter table unless its DeadLetterTable option is null)."),
        var sink => throw new InvalidOperationException(
            $"The dead-letter sink of cache '{Name}' ({sink.GetType().Name}) only receives letters; to list, retry or discard them, give the cache an IDeadLetterStore<{typeof(TKey).Name}> instead."),
    };
}
