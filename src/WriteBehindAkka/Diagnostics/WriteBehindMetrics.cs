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
    internal static readonly Counter<long> WritesFailed = Meter.CreateCounter<long>("writebehind.writes.failed", "{write}", "Records that ended Failed: refused by the store for good, or given up on when their restart budget ran out.");
    internal static readonly Counter<long> EntriesRemoved = Meter.CreateCounter<long>("writebehind.entries.removed", "{entry}", "Clean entries dropped from memory (tag writebehind.reason: evicted past MaxCachedEntries, expired after TimeToLive or MaxIdle, or requested by EvictAsync).");
    internal static readonly Counter<long> UpdateConflicts = Meter.CreateCounter<long>("writebehind.updates.conflicts", "{update}", "Atomic updates whose key changed between their read and their write: the update function ran again.");
    internal static readonly Counter<long> DeadLetters = Meter.CreateCounter<long>("writebehind.dead_letters", "{letter}", "Refused records written to the dead-letter sink.");
    internal static readonly Histogram<double> JournalSyncDuration = Meter.CreateHistogram(
        "writebehind.journal.sync.duration",
        "s",
        "Time one group fsync of the journal took, as its thread saw it; Always Asks wait for it. Seals of full segments are not included.",
        tags: null,
        // An fsync takes a fraction of a millisecond on an SSD: exporters' default buckets (from 5 ms or 1 s up) would put them all in the first one.
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    internal static readonly Histogram<int> JournalSyncRecords = Meter.CreateHistogram(
        "writebehind.journal.sync.records",
        "{record}",
        "Journal records one group fsync made durable: those appended since the previous fsync (the group commit). Records made durable by a segment's seal are not counted.",
        tags: null,
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384] });

    internal static readonly Counter<long> JournalErrors = Meter.CreateCounter<long>("writebehind.journal.errors", "{error}", "Journal appends, fsyncs, seals or segment creations that failed (tag writebehind.journal.operation).");

    static WriteBehindMetrics()
    {
        Meter.CreateObservableUpDownCounter("writebehind.pending.entries", () => Observe(s => s.PendingEntries), "{entry}", "Entries written but not yet committed.");
        Meter.CreateObservableUpDownCounter("writebehind.pending.bytes", () => Observe(s => s.PendingBytes), "By", "Value bytes of entries written but not yet committed.");
        Meter.CreateObservableUpDownCounter("writebehind.entries.cached", () => Observe(s => s.CachedEntries), "{entry}", "Entries held in memory, pending and clean (what MaxCachedEntries bounds).");
        Meter.CreateObservableUpDownCounter("writebehind.journal.bytes", ObserveJournalBytes, "By", "The journal's records, in bytes: sealed segments not yet deleted and what the current segment holds (what MaxJournalBytes bounds; the current and the spare segment each occupy SegmentBytes on disk).");
        Meter.CreateObservableGauge("writebehind.lag", () => ObserveDouble(s => s.OldestPendingAge.TotalSeconds), "s", "Age of the oldest write not yet committed (database lag).");
    }

    internal static void Register(IMetricsSource source) => Sources.TryAdd(source, 0);

    internal static void Unregister(IMetricsSource source) => Sources.TryRemove(source, out _);

    internal static TagList Tags(string cache) => new() { { "writebehind.cache", cache } };

    /// <summary>The cache's tags and a <c>writebehind.reason</c>.</summary>
    internal static TagList Tags(string cache, string reason) => new() { { "writebehind.cache", cache }, { "writebehind.reason", reason } };

    /// <summary>
    /// Adds to a counter; a <see cref="MeterListener"/> callback that throws is ignored. Listener callbacks run on
    /// the recording thread, and a broken exporter must not turn into a failed write, a commit taken for a store
    /// error (and split and dead-lettered), an fsync taken for a failed one, or a crashed loop.
    /// </summary>
    internal static void AddSafely(this Counter<long> counter, long value, in TagList tags)
    {
        try
        {
            counter.Add(value, tags);
        }
        catch (Exception)
        {
            // Metrics are best effort.
        }
    }

    /// <summary>Records into a histogram; a listener that throws is ignored (see <see cref="AddSafely"/>).</summary>
    internal static void RecordSafely<T>(this Histogram<T> histogram, T value, in TagList tags)
        where T : struct
    {
        try
        {
            histogram.Record(value, tags);
        }
        catch (Exception)
        {
            // Metrics are best effort.
        }
    }

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
