using System.Globalization;
using WriteBehindAkka.Pipeline;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka;

/// <content>Health: what the writer loops are retrying, how many records failed for good lately, and the backlog against its bound.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
    /// <summary>
    /// The fewest records failed for good within <see cref="RecentOutcomes.Window"/> that make the cache Degraded,
    /// when they are at least as many as the records committed within it: a stray refused record is what dead
    /// letters are for, a store that refuses most writes (a NOT NULL column the mapping leaves out, a disposed
    /// store) is not.
    /// </summary>
    internal const int RefusedRecordsThreshold = 10;

    /// <summary>
    /// How long a store write (or a read-through load) may run before health reports it: the cache sets no timeout on a store call (the
    /// PostgreSQL store's is its <c>CommandTimeout</c> option, 30 s by default), so a call that never returns holds its
    /// lane, and without this the cache read "Writing normally" while it wrote nothing.
    /// </summary>
    internal static readonly TimeSpan StoreCallThreshold = TimeSpan.FromMinutes(1);

    /// <summary>The fewest read-through loads failed within <see cref="RecentOutcomes.Window"/> that make the cache Degraded, when no more succeeded.</summary>
    internal const int FailedLoadsThreshold = 3;

    /// <summary>
    /// Gets a value indicating whether the cache holds writes back now: its pending entries or bytes, or its
    /// journal's <c>MaxJournalBytes</c>, are at their bound, so writes wait (<c>Backpressure</c>) or are refused.
    /// </summary>
    public bool IsAtBound => _ctx.IsOverBound();

    /// <inheritdoc />
    public CacheHealthReport GetHealth()
    {
        long entries = _ctx.PendingEntries;
        long bytes = _ctx.PendingBytes;
        if (Volatile.Read(ref _state) != Running)
        {
            return new CacheHealthReport(CacheHealth.Unhealthy, $"The cache '{Name}' is shut down and accepts no writes.", null, null, null, TimeSpan.Zero, entries, bytes);
        }

        LaneFailure? store = null;
        LaneFailure? sink = null;
        foreach (var lane in _lanes)
        {
            store = Worse(store, lane.StoreFailure);
            sink = Worse(sink, lane.SinkFailure);
        }

        string backlog = string.Create(CultureInfo.InvariantCulture, $"{entries} pending writes ({bytes} bytes) are kept");
        if (store is not null)
        {
            var failingFor = _ctx.Time.GetElapsedTime(store.Since);
            string description = store.Kind == StoreErrorKind.Configuration
                ? $"The store refuses every write because of how it is set up, not because of the data ({Describe(store)}); {backlog} and retried with backoff until it is fixed: check the table, its columns, the privileges and the credentials."
                : $"The store has been failing for {Seconds(failingFor)}, since its last commit ({Describe(store)}); {backlog} and retried with backoff, "
                  + (_ctx.Options.Restart.MaxRestarts < 0
                      ? "until the store is back (Restart.MaxRestarts is unlimited: none is given up on)."
                      : "and a record whose restart budget is spent is dead-lettered.");
            return new CacheHealthReport(CacheHealth.Degraded, description, store.Kind, store.Message, store.ErrorCode, failingFor, entries, bytes);
        }

        (long Since, int Records, bool Sink)? hung = null;
        foreach (var lane in _lanes)
        {
            if (lane.StoreCall is { } call && (hung is null || call.Since < hung.Value.Since))
            {
                hung = call;
            }
        }

        if (hung is { } longest && _ctx.Time.GetElapsedTime(longest.Since) is var running && running > StoreCallThreshold)
        {
            string description = longest.Sink
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"A dead-letter write has not returned for {Seconds(running)} ({longest.Records} letters): the cache sets no timeout of its own, so its lane waits for it and writes nothing else; give the sink a timeout. {backlog} and written once it returns or fails.")
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"A store write has not returned for {Seconds(running)} ({longest.Records} records): the cache sets no timeout of its own, so its lane waits for it and writes nothing else; give the store a timeout (PostgreSqlStoreOptions.CommandTimeout, for PostgreSQL). {backlog} and written once it returns or fails.");
            return new CacheHealthReport(CacheHealth.Degraded, description, StoreErrorKind.Transient, null, null, running, entries, bytes);
        }

        if (HungLoad() is { } hungLoad)
        {
            return hungLoad with { PendingEntries = entries, PendingBytes = bytes };
        }

        if (sink is not null)
        {
            var failingFor = _ctx.Time.GetElapsedTime(sink.Since);
            string description = $"The dead-letter sink has been failing for {Seconds(failingFor)} ({Describe(sink)}); the refused writes wait in memory and the writers wait with them.";
            return new CacheHealthReport(CacheHealth.Degraded, description, sink.Kind, sink.Message, sink.ErrorCode, failingFor, entries, bytes);
        }

        if (_ctx.UnrecordedFailures is > 0 and var unrecorded)
        {
            // Neither in the store nor in the dead letters: an operator must hear of them, however few.
            string where = _ctx.Journal is null ? "this process's memory" : "this process's memory and its journal";
            string description = string.Create(
                CultureInfo.InvariantCulture,
                $"{unrecorded} failed writes are recorded only in {where}: the store refused them and the dead-letter sink refused their letters, so they are in neither the store nor the dead letters (event 1004 names each key; its status is Failed). Writing such a key again replaces its failed write; fix the sink or the data for the others.");
            return new CacheHealthReport(CacheHealth.Degraded, description, StoreErrorKind.Permanent, null, null, TimeSpan.Zero, entries, bytes);
        }

        if (_ctx.Journal?.LastFailure is { } journal && _ctx.Time.GetElapsedTime(journal.At) < RecentOutcomes.Window)
        {
            // Reported as a configuration error (of the journal's disk or folder), so that the hosting check says it at once.
            string description = string.Create(
                CultureInfo.InvariantCulture,
                $"Journal writes are failing in '{_ctx.Options.Journal!.Directory}' ({journal.Operation}: {journal.Message}; {Seconds(_ctx.Time.GetElapsedTime(journal.At))} ago): writes whose record cannot be appended are refused with JournalWriteException. Check the disk's free space and the folder's permissions.");
            return new CacheHealthReport(CacheHealth.Degraded, description, StoreErrorKind.Configuration, journal.Message, null, TimeSpan.Zero, entries, bytes);
        }

        if (Refusals() is { } refusals)
        {
            return refusals with { PendingEntries = entries, PendingBytes = bytes };
        }

        if (LoadFailures() is { } loads)
        {
            return loads with { PendingEntries = entries, PendingBytes = bytes };
        }

        if (_ctx.IsOverBound())
        {
            var queued = _ctx.Queued();
            string description = _ctx.JournalFull
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"The journal is at its bound ({_ctx.JournalBytesWithQueued(_ctx.Journal!)} of {_ctx.Options.Journal!.MaxJournalBytes} bytes with the writes queued for it, MaxJournalBytes): writers wait or are refused until the store commits the writes its segments hold.")
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"The backlog is at its bound ({entries + queued.Entries} of {_ctx.Options.MaxPendingEntries} entries, {bytes + queued.Bytes} of {_ctx.Options.MaxPendingBytes} bytes{(queued.Entries == 0 ? "" : $", counting {queued.Entries} writes queued for the shards")}): writers wait or are refused until the store catches up.");
            return new CacheHealthReport(CacheHealth.Degraded, description, null, null, null, TimeSpan.Zero, entries, bytes);
        }

        return new CacheHealthReport(CacheHealth.Healthy, $"Writing normally; {backlog}.", null, null, null, TimeSpan.Zero, entries, bytes);
    }

    /// <summary>
    /// A Degraded report when, over the last minute, at least <see cref="RefusedRecordsThreshold"/> records failed for
    /// good and no more were committed; otherwise <see langword="null"/>. Its failure kind is
    /// <see cref="StoreErrorKind.Permanent"/> (the records' fate: nothing is retried), with the last failure's error.
    /// </summary>
    private CacheHealthReport? Refusals()
    {
        long committed = 0, failed = 0;
        RecentFailure? last = null;
        foreach (var lane in _lanes)
        {
            var recent = lane.Recent.Read();
            committed += recent.Committed;
            failed += recent.Failed;
            if (recent.Last is { } failure && (last is null || failure.At > last.At))
            {
                last = failure;
            }
        }

        if (failed < RefusedRecordsThreshold || failed < committed || last is null)
        {
            return null;
        }

        string description = string.Create(
            CultureInfo.InvariantCulture,
            $"Writes are failing for good: {failed} of the {failed + committed} records written in the last minute failed ({last.Text}) and were dead-lettered (or, without a dead-letter sink, left Failed); check the data and the table (constraints, columns the store does not write) and the dead letters.");
        return new CacheHealthReport(CacheHealth.Degraded, description, StoreErrorKind.Permanent, last.Message, last.ErrorCode, TimeSpan.Zero, 0, 0);
    }

    /// <summary>
    /// A Degraded report when, over the last minute, at least <see cref="FailedLoadsThreshold"/> read-through loads
    /// failed and no more succeeded: an idle service over a database that is down stays Healthy by its writes while
    /// every read of a key the cache does not hold throws. Otherwise <see langword="null"/>.
    /// </summary>
    internal CacheHealthReport? LoadFailures()
    {
        var (succeeded, failed, last) = _ctx.Loads.Read();
        if (failed < FailedLoadsThreshold || failed < succeeded || last is null)
        {
            return null;
        }

        string description = string.Create(
            CultureInfo.InvariantCulture,
            $"Reads are failing: {failed} of the {failed + succeeded} read-through loads in the last minute failed ({last.Text}), so reads of keys the cache does not hold throw InvalidOperationException; writes are kept and written as usual. Check the store.");
        return new CacheHealthReport(CacheHealth.Degraded, description, last.Kind, last.Message, last.ErrorCode, TimeSpan.Zero, 0, 0);
    }

    /// <summary>
    /// A Degraded report when a read-through load has run for longer than <see cref="StoreCallThreshold"/>: the cache
    /// sets no timeout on loads, and the reads of its keys wait for it. Otherwise <see langword="null"/>. Like
    /// <see cref="LoadFailures"/>, it says nothing of the writes (its <c>FailingFor</c> is zero: no write is failing).
    /// </summary>
    internal CacheHealthReport? HungLoad()
    {
        if (_ctx.LoadsUnderWay.Oldest() is not { } load || _ctx.Time.GetElapsedTime(load.Since) is var running && running <= StoreCallThreshold)
        {
            return null;
        }

        string description = string.Create(
            CultureInfo.InvariantCulture,
            $"A read-through load has not returned for {Seconds(running)} ({load.Keys} keys): the cache sets no timeout of its own, so the reads of its keys wait for it (each until its own token ends the wait); give the store a timeout (PostgreSqlStoreOptions.CommandTimeout, for PostgreSQL). Writes are kept and written as usual.");
        return new CacheHealthReport(CacheHealth.Degraded, description, StoreErrorKind.Transient, null, null, TimeSpan.Zero, 0, 0);
    }

    /// <summary>A configuration error outranks a transient one; then the longer-lasting one.</summary>
    private static LaneFailure? Worse(LaneFailure? a, LaneFailure? b)
    {
        if (a is null || b is null)
        {
            return a ?? b;
        }

        if (a.Kind != b.Kind)
        {
            return a.Kind == StoreErrorKind.Configuration ? a : b;
        }

        return a.Since <= b.Since ? a : b;
    }

    private static string Seconds(TimeSpan duration) => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:F1} s");

    private static string Describe(LaneFailure failure) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{RecentFailure.WithCode(failure.ErrorCode, failure.Message)}; {failure.Attempts} failed attempts");
}
