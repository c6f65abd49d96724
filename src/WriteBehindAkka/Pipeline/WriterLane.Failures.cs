using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Sharding;
using WriteBehindAkka.Storage;
using WriteBehindAkka.Supervision;

namespace WriteBehindAkka.Pipeline;

/// <content>
/// Dead letters and the failure state read by health reports. After a batch, the records the store refused go to
/// the dead-letter sink before their outcome goes to the shards: a record leaves the backlog only once its letter
/// is durable, so a failure is never dropped unseen. <b>Backpressures</b> (the lane waits) while the sink fails
/// transiently; a letter the sink refuses for good keeps its record in memory, counted as pending.
/// </content>
internal sealed partial class WriterLane<TKey>
{
    /// <summary>The store failure this lane keeps retrying, or null while the store writes.</summary>
    private LaneFailure? _storeFailure;

    /// <summary>The dead-letter sink failure this lane keeps retrying, or null.</summary>
    private LaneFailure? _sinkFailure;

    /// <summary>
    /// The store failure being retried now, or <see langword="null"/>. A failure whose batch was given up on (its
    /// restart budget spent) still counts for two <c>MaxBackoff</c>: during an outage the next batch is on its way,
    /// and its failure continues the same outage; after that quiet spell the store is taken for well again.
    /// </summary>
    public LaneFailure? StoreFailure => Volatile.Read(ref _storeFailure) is { } failure
        && (failure.GaveUpAt == 0 || _ctx.Time.GetElapsedTime(failure.GaveUpAt) <= OutageGap)
            ? failure
            : null;

    /// <summary>The dead-letter sink failure being retried now, or <see langword="null"/>.</summary>
    public LaneFailure? SinkFailure => Volatile.Read(ref _sinkFailure);

    /// <summary>How long after a batch given up on a failure still continues the same outage.</summary>
    private TimeSpan OutageGap => 2 * _ctx.Options.Restart.MaxBackoff;

    /// <summary>The store wrote (or answered for the data): nothing is being retried, and no outage goes on.</summary>
    private void ClearStoreFailure() => Volatile.Write(ref _storeFailure, null);

    /// <summary>The lane gave up on a batch (its restart budget is spent): nothing is retried now, but the outage may go on.</summary>
    private void GiveUpOnStoreFailure()
    {
        if (Volatile.Read(ref _storeFailure) is { } failure)
        {
            Volatile.Write(ref _storeFailure, failure with { GaveUpAt = _ctx.Time.GetTimestamp() });
        }
    }

    /// <summary>Records a failed attempt, begun at <paramref name="attemptStarted"/>: the same outage, unless the lane had given up and was quiet longer than the gap before this attempt.</summary>
    private void StoreFailing(StoreErrorKind kind, Exception error, long attemptStarted)
    {
        var previous = Volatile.Read(ref _storeFailure);
        if (previous is { GaveUpAt: not 0 } given && _ctx.Time.GetElapsedTime(given.GaveUpAt, attemptStarted) > OutageGap)
        {
            previous = null;
        }

        Volatile.Write(ref _storeFailure, Next(previous, kind, error, ErrorCode(error)));
    }

    private LaneFailure Next(LaneFailure? previous, StoreErrorKind kind, Exception error, string? code) =>
        new(kind, error.Message, code, previous?.Since ?? _ctx.Time.GetTimestamp(), (previous?.Attempts ?? 0) + 1);

    /// <summary>The store's code for an error; a store that throws here gives none.</summary>
    private string? ErrorCode(Exception error)
    {
        try
        {
            return _ctx.Store.GetErrorCode(error);
        }
        catch (Exception)
        {
            return null;
        }
    }

    /// <summary>Builds the dead letters of a batch's failed records and hands them to the sink.</summary>
    private async Task RecordFailuresAsync(Dictionary<int, BatchOutcome<TKey>> outcomes, CancellationToken token)
    {
        List<FailedRecord<TKey>>? failures = null;
        foreach (var outcome in outcomes.Values)
        {
            if (outcome.Failed is { } failed)
            {
                (failures ??= []).AddRange(failed);
            }
        }

        if (failures is null)
        {
            return;
        }

        foreach (var failure in failures)
        {
            // Microseconds, so that a store keeps the time exactly and DeleteAsync can match it; unique per cache.
            var failedAt = Versioning.ToTimestamp(_ctx.NextFailureMicros());
            var record = failure.Item.Record;
            failure.Letter = new DeadLetter<TKey>(
                record.Key,
                record.Operation,
                record.Operation == WriteOperation.Delete ? null : record.Value.ToArray(),
                record.Version,
                failure.Error.Message,
                ErrorCode(failure.Error),
                failure.Kind,
                failedAt);
        }

        if (_ctx.DeadLetterSink is { } sink)
        {
            await WriteLettersAsync(sink, failures, token).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes letters, retrying transient and configuration errors with backoff (transient ones within the restart
    /// budget); a group refused for good is split in halves, and a single refused letter is given up on.
    /// </summary>
    private async Task WriteLettersAsync(IDeadLetterSink<TKey> sink, List<FailedRecord<TKey>> group, CancellationToken token)
    {
        var letters = group.ConvertAll(failure => failure.Letter!);
        var budget = new RestartBudget(_ctx.Options.Restart, _ctx.Time);
        for (int attempt = 1; ; attempt++)
        {
            Exception error;
            Volatile.Write(ref _callIsSink, true);
            Volatile.Write(ref _callRecords, letters.Count);
            Volatile.Write(ref _callStarted, _ctx.Time.GetTimestamp());
            try
            {
                try
                {
                    await sink.WriteAsync(letters, token).ConfigureAwait(false);
                }
                finally
                {
                    Volatile.Write(ref _callStarted, 0);
                }

                Volatile.Write(ref _sinkFailure, null);
                foreach (var failure in group)
                {
                    failure.State = DeadLetterState.Recorded;
                }

                WriteBehindMetrics.DeadLetters.AddSafely(letters.Count, _ctx.Tags);
                Log.DeadLettered(_ctx.Logger, _ctx.Name, letters.Count);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception caught) when (token.IsCancellationRequested)
            {
                // As for the store: an error the stop caused is the stop, not a refusal of these letters.
                throw new OperationCanceledException("The writer stopped while the dead-letter sink was writing.", caught, token);
            }
            catch (Exception caught)
            {
                error = caught;
            }

            var kind = ClassifySinkError(sink, error);
            if (kind == StoreErrorKind.Permanent)
            {
                if (group.Count > 1)
                {
                    // Halves, as a refused batch of the store is split: a few refused letters among many cost a few
                    // round trips each, not one per letter.
                    int half = group.Count / 2;
                    await WriteLettersAsync(sink, group.GetRange(0, half), token).ConfigureAwait(false);
                    await WriteLettersAsync(sink, group.GetRange(half, group.Count - half), token).ConfigureAwait(false);
                    return;
                }

                Refuse(group, error);
                return;
            }

            if (kind == StoreErrorKind.Transient && !budget.TryRestart())
            {
                Refuse(group, error);
                return;
            }

            var backoff = Backoff.Compute(_ctx.Options.Restart, attempt, _ctx.Jitter());
            Volatile.Write(ref _sinkFailure, Next(_sinkFailure, kind, error, null));
            Log.DeadLetterRetrying(_ctx.Logger, error, _ctx.Name, _index, letters.Count, attempt, backoff);
            await Task.Delay(backoff, _ctx.Time, token).ConfigureAwait(false);
        }
    }

    private void Refuse(List<FailedRecord<TKey>> group, Exception error)
    {
        Volatile.Write(ref _sinkFailure, null);
        foreach (var failure in group)
        {
            failure.State = DeadLetterState.Refused;
            Log.DeadLetterRefused(_ctx.Logger, error, _ctx.Name, KeyText.Of(failure.Item.Record.Key), failure.Item.Record.Version);
        }
    }

    /// <summary>The sink's classification; an exception from the classifier itself, or an unknown kind, counts as permanent.</summary>
    private static StoreErrorKind ClassifySinkError(IDeadLetterSink<TKey> sink, Exception error)
    {
        try
        {
            var kind = sink.Classify(error);
            return Enum.IsDefined(kind) ? kind : StoreErrorKind.Permanent;
        }
        catch (Exception)
        {
            return StoreErrorKind.Permanent;
        }
    }
}
