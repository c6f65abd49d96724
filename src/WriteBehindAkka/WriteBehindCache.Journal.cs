using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Journal;
using WriteBehindAkka.Sharding;
using WriteBehindAkka.Storage;
using WriteBehindAkka.Supervision;

namespace WriteBehindAkka;

/// <content>The journal: replay at start-up, truncation behind commits.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <summary>
    /// Opens the journal and sorts the newest replayed version of each key by shard. When that throws, the journal is
    /// abandoned first (its loop stopped, the segments this start created deleted, the folder unlocked), so that the
    /// cache can be built again in this process once the cause is fixed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder is in use, or holds a key that is not a <typeparamref name="TKey"/>.</exception>
    private RecoveryBatch<TKey>[] OpenJournal(JournalOptions options)
    {
        var journal = WriteAheadJournal.Open(
            options,
            _ctx.Time,
            _ctx.Tags,
            onSealed: StartTruncation,
            onSpaceFreed: _ctx.Gate.Open,
            onWriteFailed: (error, bytes) => LogJournalFailure(error, bytes, options.Directory),
            out var read);
        _ctx.Journal = journal;
        try
        {
            CheckKeyType(options, read);
            return SortRecovered(options, journal, read);
        }
        catch
        {
            _ctx.Journal = null;
            journal.Abandon();
            throw;
        }
    }

    /// <summary>
    /// Logs a failed journal write (event 1012), at most once per <see cref="JournalFailureLogInterval"/>, with how
    /// many failed since the last one logged. On a full disk every write fails: one error with its stack trace per
    /// write would flood the logs (often kept on that same disk); the metric still counts each. With
    /// <paramref name="always"/> (the last error of a shutdown) it is logged whatever the interval.
    /// </summary>
    private void LogJournalFailure(Exception error, int bytes, string directory, bool always = false)
    {
        long unlogged;
        lock (_journalFailureLogLock)
        {
            long now = _ctx.Time.GetTimestamp();
            if (!always && _journalFailureLoggedAt is { } loggedAt && _ctx.Time.GetElapsedTime(loggedAt, now) < JournalFailureLogInterval)
            {
                _journalFailuresUnlogged++;
                return;
            }

            _journalFailureLoggedAt = now;
            unlogged = _journalFailuresUnlogged;
            _journalFailuresUnlogged = 0;
        }

        Log.JournalWriteFailed(_ctx.Logger, error, Name, bytes, directory, unlogged, (int)JournalFailureLogInterval.TotalSeconds);
    }

    /// <summary>Sorts the newest replayed version of each key by shard, and reports what the start-up read found.</summary>
    private RecoveryBatch<TKey>[] SortRecovered(JournalOptions options, WriteAheadJournal journal, JournalReadResult read)
    {
        var newest = new Dictionary<TKey, (byte[]? Value, long Version)>();
        Dictionary<TKey, long>? discarded = null;
        foreach (var record in read.Records)
        {
            var key = DecodeRecovered(options, record.Key);
            if (record.Operation == JournalFormat.Discard)
            {
                // A dead letter discarded up to this version: its write, and any older one of the key, is not replayed.
                discarded ??= [];
                discarded[key] = Math.Max(discarded.GetValueOrDefault(key), record.Version);
            }
            else if (!newest.TryGetValue(key, out var known) || record.Version > known.Version)
            {
                newest[key] = (record.Operation == WriteOperation.Delete ? null : record.Value, record.Version);
            }
        }

        foreach (var (key, upTo) in discarded ?? [])
        {
            if (newest.TryGetValue(key, out var known) && known.Version <= upTo)
            {
                newest.Remove(key);
            }
        }

        foreach (var (key, (_, version)) in newest)
        {
            if (_ctx.Store.GetKeyError(key) is { } problem)
            {
                // Replayed, it would fail at every attempt, and its letter too where the dead-letter store keeps keys as
                // the store does (PostgreSQL text): copied forward in the journal for ever, with no letter to discard.
                throw new InvalidOperationException(
                    $"The journal folder '{options.Directory}' holds a write (version {version}) of the key '{TextKeyRules.Storable(KeyText.Of(key))}', which this cache's store can never hold: {problem} "
                    + "It was written through a store that could hold it. Start the cache with that store until its writes are committed "
                    + "(a clean shutdown with everything committed empties the journal), or give it another JournalOptions.Directory (the writes in this one are then not replayed).");
            }
        }

        var batches = new RecoveryBatch<TKey>[_shards.Length];
        for (int i = 0; i < batches.Length; i++)
        {
            batches[i] = new RecoveryBatch<TKey> { HighestVersion = journal.HighestVersionAtOpen };
        }

        foreach (var (key, (value, version)) in newest)
        {
            batches[ShardOf(key)].Entries.Add((key, value, version));
        }

        JournalRecovery = read.Report with { Keys = newest.Count };
        Log.JournalOpened(_ctx.Logger, Name, _ctx.Options.Journal!.Directory, _ctx.Options.Journal.FsyncPolicy);
        if (read.Report.Segments > 0)
        {
            Log.JournalRecovered(_ctx.Logger, Name, JournalRecovery.Segments, JournalRecovery.Records, JournalRecovery.Keys, JournalRecovery.TornTailBytes, JournalRecovery.CorruptRegions, JournalRecovery.SkippedSegments);
            foreach (var problem in JournalRecovery.Problems)
            {
                Log.JournalProblem(_ctx.Logger, Name, problem);
            }
        }

        return batches;
    }

    /// <summary>The file in the journal's folder that names the key type its records were written with.</summary>
    internal const string KeyTypeFile = "key-type";

    /// <summary>The shortest time between two logs of a failed journal write (event 1012).</summary>
    internal static readonly TimeSpan JournalFailureLogInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Checks that the records were written with this cache's key type, which the folder's <see cref="KeyTypeFile"/>
    /// names, and names it for the writes to come (before any is appended). The key layouts cannot tell every type from
    /// another (eight bytes of a string key read as a long), so without the name a cache whose key type changed could
    /// replay acknowledged writes under other keys. A folder from before the file existed is taken as it is.
    /// </summary>
    /// <exception cref="InvalidOperationException">The records were written with another key type.</exception>
    /// <exception cref="IOException">The file could not be written (a full disk, a folder that refuses it), naming the folder.</exception>
    private static void CheckKeyType(JournalOptions options, JournalReadResult read)
    {
        string path = Path.Combine(options.Directory, KeyTypeFile);
        string keyType = typeof(TKey).FullName ?? typeof(TKey).Name;
        string? written = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        if (written == keyType)
        {
            return;
        }

        if (written is not null && read.Records.Count > 0)
        {
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' holds writes of a cache whose keys were {written}, and this cache's keys are {keyType}. "
                + "Changing the key type of a cache whose journal is not empty is a configuration error: start the cache with its former key type until its writes are committed "
                + "(a clean shutdown with everything committed empties the journal), or give it another JournalOptions.Directory (the writes in this one are then not replayed).");
        }

        // Durable before the first record.
        try
        {
            DirectorySync.WriteFile(options.Directory, KeyTypeFile, System.Text.Encoding.UTF8.GetBytes(keyType));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new IOException(
                $"The journal folder '{options.Directory}' could not take the file '{KeyTypeFile}' that names its key type ({error.Message}); "
                + "the cache writes it before its first journal record, so it cannot start. Free space on that disk, or make the folder writable, and start the cache again.",
                error);
        }
    }

    /// <summary>
    /// Reads a replayed key. A key that is not a <typeparamref name="TKey"/> was written by this folder's cache under
    /// another key type: replaying it as some other key, or skipping it, would lose or misplace acknowledged writes,
    /// so the start fails and the user decides.
    /// </summary>
    private static TKey DecodeRecovered(JournalOptions options, byte[] key)
    {
        try
        {
            return JournalKeyCodec<TKey>.Decode(key);
        }
        catch (Exception error) when (error is FormatException or System.Text.Json.JsonException or NotSupportedException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"The journal folder '{options.Directory}' holds a key that is not a {typeof(TKey)} ({error.Message}): it was written by a cache with another key type. "
                + "Changing the key type of a cache whose journal is not empty is a configuration error: start the cache with its former key type until its writes are committed "
                + "(a clean shutdown with everything committed empties the journal), or give it another JournalOptions.Directory (the writes in this one are then not replayed).",
                error);
        }
    }

    /// <summary>Hands each shard its replayed writes (ahead of any user command), then truncates the old segments once they are committed.</summary>
    private void StartRecovery(RecoveryBatch<TKey>[] batches)
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            bool queued = _shards[i].TryPost(new ShardCommand<TKey>(CommandKind.Recover, default!, null, batches[i], default));
            System.Diagnostics.Debug.Assert(queued, "a new shard's mailbox has room");
        }

        long recoveredUpTo = _ctx.Journal!.RecoveredUpTo;
        if (recoveredUpTo > 0)
        {
            StartTruncation(recoveredUpTo);
        }
    }

    /// <summary>Truncates up to <paramref name="number"/> in the background (after a seal, or after a replay).</summary>
    private void StartTruncation(long number)
    {
        Interlocked.Increment(ref _truncationsStarted);
        _ = Task.Run(() => TruncateAsync(number));
    }

    /// <summary>Truncations started (after a seal, or after a replay), and truncations finished (whatever their result): for tests to wait on.</summary>
    internal (int Started, int Finished) Truncations => (Volatile.Read(ref _truncationsStarted), Volatile.Read(ref _truncationsFinished));

    /// <summary>
    /// The flush counts writes the store refused as failed, but when the dead-letter sink refused them too the
    /// old segments may hold their only durable copy: each shard appends those records again, to the current
    /// segment (see <see cref="RejournalRequest"/>). Returns the oldest segment holding a latest copy, once the
    /// copies are fsynced: the segments before it can go. Null when a copy failed (logged): none can.
    /// </summary>
    private async Task<long?> RejournalUnrecordedAsync(long number)
    {
        var copies = new List<Task<WriteResult>>();
        long oldest = long.MaxValue;
        foreach (var shard in _shards)
        {
            var request = new RejournalRequest(number);
            await shard.PostAsync(new ShardCommand<TKey>(CommandKind.Rejournal, default!, null, request, default), _ctx.Stop.Token).ConfigureAwait(false);
            var (shardCopies, shardOldest) = await request.Task.ConfigureAwait(false);
            copies.AddRange(shardCopies);
            oldest = Math.Min(oldest, shardOldest);
        }

        try
        {
            await Task.WhenAll(copies).ConfigureAwait(false);
            return oldest;
        }
        catch (Exception error) when (error is JournalWriteException or ObjectDisposedException)
        {
            Log.JournalTruncationDeferred(_ctx.Logger, error, Name, number, copies.Count);
            return null;
        }
    }

    /// <summary>
    /// Deletes sealed segments up to <paramref name="number"/> once every write accepted before now is committed
    /// or failed; failed writes recorded nowhere else are copied forward first.
    /// </summary>
    private async Task TruncateAsync(long number)
    {
        bool kept = false;
        try
        {
            await FlushCoreAsync(_ctx.Stop.Token, EpochCounter.QuietFlush).ConfigureAwait(false);
            long upTo = number;
            if (_ctx.UnrecordedFailures > 0)
            {
                if (await RejournalUnrecordedAsync(number).ConfigureAwait(false) is not { } oldestCopy)
                {
                    // Kept; a later seal, or a retry while the journal is over its bound, tries again, and a start replays them.
                    kept = true;
                    return;
                }

                upTo = Math.Min(number, oldestCopy - 1);
            }

            _ctx.Journal!.DeleteSealedUpTo(upTo);
            Truncated(number);
        }
        catch (Exception error) when (error is OperationCanceledException or System.Threading.Channels.ChannelClosedException or ObjectDisposedException)
        {
            // Shutting down: the segments stay for the next start.
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Log.JournalTruncationFailed(_ctx.Logger, error, Name, number);
            kept = true;
        }
        finally
        {
            if (kept)
            {
                RetryTruncationLater(number);
            }

            Interlocked.Increment(ref _truncationsFinished);
        }
    }

    /// <summary>Notes that a truncation up to <paramref name="number"/> went through: a kept one at or below it needs no retry.</summary>
    private void Truncated(long number)
    {
        lock (_truncationRetryLock)
        {
            if (number >= _keptUpTo)
            {
                _keptUpTo = 0;
                _truncationRetries = 0;
            }
        }
    }

    /// <summary>
    /// Remembers a truncation up to <paramref name="number"/> that kept its segments, and starts waiting to try it
    /// again. The next seal tries again too, but a seal needs appends, and once the kept segments hold the journal
    /// over its bound the bound holds the appends back: so the retry runs while the journal is over its bound.
    /// </summary>
    private void RetryTruncationLater(long number)
    {
        int attempt;
        lock (_truncationRetryLock)
        {
            _keptUpTo = Math.Max(_keptUpTo, number);
            attempt = ++_truncationRetries;
            if (_truncationRetryWaiting)
            {
                return;
            }

            _truncationRetryWaiting = true;
        }

        _ = RetryTruncationAsync(attempt);
    }

    /// <summary>
    /// Waits with the writers' backoff (<see cref="Options.RestartSettings"/>, doubling per truncation kept in a row),
    /// until the journal is over its bound, then truncates again up to the highest kept segment; stops when a
    /// later truncation got there first, or at shutdown (the segments stay for the next start).
    /// </summary>
    private async Task RetryTruncationAsync(int attempt)
    {
        var delay = Backoff.Compute(_ctx.Options.Restart, attempt, _ctx.Jitter());
        long number = 0;
        try
        {
            while (number == 0)
            {
                await Task.Delay(delay, _ctx.Time, _ctx.Stop.Token).ConfigureAwait(false);
                bool overBound = _ctx.Journal!.TotalBytes >= _ctx.Options.Journal!.MaxJournalBytes;
                lock (_truncationRetryLock)
                {
                    if (_keptUpTo == 0)
                    {
                        _truncationRetryWaiting = false;
                        return;
                    }

                    if (overBound)
                    {
                        // Handed over: if this one keeps its segments too, it waits again.
                        number = _keptUpTo;
                        _keptUpTo = 0;
                        _truncationRetryWaiting = false;
                    }
                }
            }
        }
        catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException)
        {
            // Shutting down: the segments stay for the next start.
            return;
        }

        StartTruncation(number);
    }
}
