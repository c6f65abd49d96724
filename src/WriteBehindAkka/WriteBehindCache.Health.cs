using System.Globalization;
using WriteBehindAkka.Pipeline;
using WriteBehindAkka.Storage;

namespace WriteBehindAkka;

/// <content>Health: what the writer loops are retrying, and the backlog against its bound.</content>
public sealed partial class WriteBehindCache<TKey, TValue>
{
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
                : $"The store has been failing for {Seconds(failingFor)}, since its last commit ({Describe(store)}); {backlog} and retried with backoff, and a record whose restart budget is spent is dead-lettered.";
            return new CacheHealthReport(CacheHealth.Degraded, description, store.Kind, store.Message, store.ErrorCode, failingFor, entries, bytes);
        }

        if (sink is not null)
        {
            var failingFor = _ctx.Time.GetElapsedTime(sink.Since);
            string description = $"The dead-letter sink has been failing for {Seconds(failingFor)} ({Describe(sink)}); the refused writes wait in memory and the writers wait with them.";
            return new CacheHealthReport(CacheHealth.Degraded, description, sink.Kind, sink.Message, sink.ErrorCode, failingFor, entries, bytes);
        }

        if (_ctx.IsOverBound())
        {
            string description = string.Create(
                CultureInfo.InvariantCulture,
                $"The backlog is at its bound ({entries} of {_ctx.Options.MaxPendingEntries} entries, {bytes} of {_ctx.Options.MaxPendingBytes} bytes): writers wait or are refused until the store catches up.");
            return new CacheHealthReport(CacheHealth.Degraded, description, null, null, null, TimeSpan.Zero, entries, bytes);
        }

        return new CacheHealthReport(CacheHealth.Healthy, $"Writing normally; {backlog}.", null, null, null, TimeSpan.Zero, entries, bytes);
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
            $"{(failure.ErrorCode is null ? string.Empty : failure.ErrorCode + ": ")}{failure.Message}; {failure.Attempts} failed attempts");
}
