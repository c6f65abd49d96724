using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace WriteBehindAkka.Diagnostics;

/// <summary>
/// The cache's instruments on the public meter <see cref="MeterName"/>, with OpenTelemetry-style names and
/// units. Every measurement carries the tag <c>writebehind.cache</c> with the cache's name.
/// </summary>
public static class WriteBehindMetrics
{
    /// <summary>The name of the meter to subscribe to (for example with OpenTelemetry's <c>AddMeter</c>).</summary>
    public const string MeterName = "WriteBehindAkka";

    private static readonly Meter Meter = new(MeterName, typeof(WriteBehindMetrics).Assembly.GetName().Version?.ToString());

    /// <summary>Live caches, for the observable gauges.</summary>
    private static readonly ConcurrentDictionary<IMetricsSource, byte> Sources = new();

    internal static readonly Counter<long> WritesAccepted = Meter.CreateCounter<long>("writebehind.writes.accepted", "{write}", "Writes (sets and deletes) accepted by a shard.");
    internal static readonly Counter<long> WritesRejected = Meter.CreateCounter<long>("writebehind.writes.rejected", "{write}", "Writes refused because the cache was full or a mailbox was full.");
    internal static readonly Counter<long> WritesCoalesced = Meter.CreateCounter<long>("writebehind.writes.coalesced", "{write}", "Writes that replaced a pending write of the same key before it reached the store.");
    internal static readonly Counter<long> RowsCommitted = Meter.CreateCounter<long>("writebehind.rows.committed", "{row}", "Records committed to the store.");
    internal static readonly Counter<long> BatchesCommitted = Meter.CreateCounter<long>("writebehind.batches.committed", "{batch}", "Batches committed to the store.");
    internal static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("writebehind.batch.size", "{row}", "Records per batch handed to the store.");
    internal static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("writebehind.commit.duration", "s", "Time the store took to commit one batch.");
    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>("writebehind.retries", "{retry}", "Batch retries after transient store errors.");
    internal static readonly Counter<long> Restarts = Meter.CreateCounter<long>("writebehind.restarts", "{restart}", "Shard or writer loops restarted after a crash.");
    internal static readonly Histogram<double> CommitLag = Meter.CreateHistogram<double>("writebehind.commit.lag", "s", "Time from the oldest write of a batch being accepted to the batch's commit.");
    internal static readonly Counter<long> WritesFailed = Meter.CreateCounter<long>("writebehind.writes.failed", "{write}", "Records the store refused for good.");
    internal static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("writebehind.dead_letters", "{letter}", "Refused records written to the dead-letter sink.");
    internal static readonly Histogram<double> JournalSyncDuration = Meter.CreateHistogram<double>("writebehind.journal.sync.duration", "s", "Time one group fsync of the journal took; Always Asks wait for it.");
    internal static readonly Histogram<int> JournalSyncRecords = Meter.CreateHistogram<int>("writebehind.journal.sync.records", "{record}", "Journal records appended since the previous group fsync that one group fsync made durable (the group commit).");
    internal static readonly Counter<long> JournalErrors = Meter.CreateCounter<long>("writebehind.journal.errors", "{error}", "Journal appends, fsyncs, seals or segment creations that failed (tag writebehind.journal.operation).");

    static WriteBehindMetrics()
    {
        Meter.CreateObservableUpDownCounter("writebehind.pending.entries", () => Observe(s => s.PendingEntries), "{entry}", "Entries written but not yet committed.");
        Meter.CreateObservableUpDownCounter("writebehind.pending.bytes", () => Observe(s => s.PendingBytes), "By", "Value bytes of entries written but not yet committed.");
        Meter.CreateObservableUpDownCounter("writebehind.journal.bytes", ObserveJournalBytes, "By", "Bytes of the journal on disk: sealed segments not yet truncated and what the current one holds.");
        Meter.CreateObservableGauge("writebehind.lag", () => ObserveDouble(s => s.OldestPendingAge.TotalSeconds), "s", "Age of the oldest write not yet committed (database lag).");
    }

    internal static void Register(IMetricsSource source) => Sources.TryAdd(source, 0);

    internal static void Unregister(IMetricsSource source) => Sources.TryRemove(source, out _);

    internal static TagList Tags(string cache) => new() { { "writebehind.cache", cache } };

    private static IEnumerable<Measurement<double>> ObserveDouble(Func<IMetricsSource, double> read)
    {
        foreach (var source in Sources.Keys)
        {
            yield return new Measurement<double>(read(source), Tags(source.Name));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveJournalBytes()
    {
        foreach (var source in Sources.Keys)
        {
            if (source.JournalBytes is { } bytes)
            {
                yield return new Measurement<long>(bytes, Tags(source.Name));
            }
        }
    }

    private static IEnumerable<Measurement<long>> Observe(Func<IMetricsSource, long> read)
    {
        foreach (var source in Sources.Keys)
        {
            yield return new Measurement<long>(read(source), Tags(source.Name));
        }
    }
}
