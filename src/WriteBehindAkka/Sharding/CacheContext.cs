using Microsoft.Extensions.Logging;
using WriteBehindAkka.Diagnostics;
using WriteBehindAkka.Options;
using WriteBehindAkka.Storage;
using System.Diagnostics;

namespace WriteBehindAkka.Sharding;

/// <summary>What the shards and writer loops of one cache share. Immutable after construction.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
internal sealed class CacheContext<TKey>
    where TKey : notnull
{
    public CacheContext(string name, WriteBehindOptions options, IWriteBehindStore<TKey> store, TimeProvider time, ILogger logger, Func<double> jitter)
    {
        Name = name;
        Options = options;
        Store = store;
        Time = time;
        Logger = logger as GuardedLogger ?? new GuardedLogger(logger);
        Jitter = () =>
        {
            // The user's: one that throws must not take down the writer loop that asks it for its next wait (nor its
            // restart, which asks it again): no jitter then. Values outside [0, 1) are clamped by Backoff.
            try
            {
                return jitter();
            }
            catch (Exception)
            {
                return 0;
            }
        };
        Tags = WriteBehindMetrics.Tags(name);
        Loads = new Pipeline.RecentOutcomes(time);
    }

    /// <summary>Read-through loads of the last minute, succeeded and failed: health reports a store that fails reads.</summary>
    public Pipeline.RecentOutcomes Loads { get; }

    /// <summary>Read-through loads under way: health reports one that never returns.</summary>
    public LoadsInFlight LoadsUnderWay { get; } = new();

    public string Name { get; }

    public WriteBehindOptions Options { get; }

    public IWriteBehindStore<TKey> Store { get; }

    /// <summary>Where refused records are recorded, or null when the cache has no dead-letter sink.</summary>
    public IDeadLetterSink<TKey>? DeadLetterSink { get; init; }

    public TimeProvider Time { get; }

    /// <summary>The cache's logger, behind the guard every loop relies on: a provider that throws loses the line, and no log call needs a try of its own.</summary>
    public ILogger Logger { get; }

    /// <summary>Returns a number in [0, 1) for backoff jitter (0 when the user's source throws); thread-safe.</summary>
    public Func<double> Jitter { get; }

    public TagList Tags { get; }

    public CapacityGate Gate { get; } = new();

    /// <summary>The last failure time handed out, in microseconds since the Unix epoch.</summary>
    private long _lastFailureMicros;

    /// <summary>
    /// Returns a dead letter's failure time: the wall clock in microseconds, bumped so that no two failures of this
    /// cache share one. A letter written again for the same version then differs from the one an operator read.
    /// </summary>
    public long NextFailureMicros()
    {
        long now = Versioning.FromTimestamp(Time.GetUtcNow());
        while (true)
        {
            long last = Volatile.Read(ref _lastFailureMicros);
            long next = now > last ? now : last + 1;
            if (Interlocked.CompareExchange(ref _lastFailureMicros, next, last) == last)
            {
                return next;
            }
        }
    }

    /// <summary>Cancelled when the shutdown deadline passes: store calls and waits give up.</summary>
    public CancellationTokenSource Stop { get; } = new();

    /// <summary>The shards, set once after they are created.</summary>
    public Shard<TKey>[] Shards { get; set; } = [];

    public long PendingEntries
    {
        get
        {
            long sum = 0;
            foreach (var shard in Shards)
            {
                sum += shard.PendingEntries;
            }

            return sum;
        }
    }

    /// <summary>Failed writes recorded nowhere but in memory and the journal (the dead-letter sink refused them).</summary>
    public long UnrecordedFailures
    {
        get
        {
            long sum = 0;
            foreach (var shard in Shards)
            {
                sum += shard.UnrecordedFailures;
            }

            return sum;
        }
    }

    public long PendingBytes
    {
        get
        {
            long sum = 0;
            foreach (var shard in Shards)
            {
                sum += shard.PendingBytes;
            }

            return sum;
        }
    }

    /// <summary>The journal, when the options turn it on.</summary>
    public Journal.WriteAheadJournal? Journal { get; set; }

    /// <summary>A journal record's bytes beyond its key and value.</summary>
    private static readonly int JournalRecordOverhead = WriteBehindAkka.Journal.JournalFormat.RecordLength(0, 0);

    /// <summary>Whether the journal holds its <c>MaxJournalBytes</c>: a bound of its own, which the pending counts do not show.</summary>
    public bool JournalFull => Journal is { } journal && JournalBytesWithQueued(journal) >= Options.Journal!.MaxJournalBytes;

    /// <summary>
    /// The writes taken but not yet handled by their shard: queued in its mailbox, or admitted by the capacity gate.
    /// They will be pending (and journaled) once their shard handles them, so every bound check counts them.
    /// </summary>
    public (long Entries, long Bytes) Queued()
    {
        var (entries, bytes) = InMailboxes();
        return (entries + Gate.AdmittedEntries, bytes + Gate.AdmittedBytes);
    }

    /// <summary>The writes queued in the shards' mailboxes (not those the gate admitted).</summary>
    private (long Entries, long Bytes) InMailboxes()
    {
        long entries = 0, bytes = 0;
        foreach (var shard in Shards)
        {
            entries += shard.QueuedWrites;
            bytes += shard.QueuedWriteBytes;
        }

        return (entries, bytes);
    }

    /// <summary>The journal's bytes, and an estimate of the records of the writes queued for it (their values; not their keys).</summary>
    public long JournalBytesWithQueued(Journal.WriteAheadJournal journal)
    {
        var (entries, bytes) = Queued();
        return WithRecords(journal, entries, bytes);
    }

    /// <summary>The journal's bytes once the records of <paramref name="entries"/> writes of <paramref name="bytes"/> value bytes are in it.</summary>
    private static long WithRecords(Journal.WriteAheadJournal journal, long entries, long bytes) =>
        journal.TotalBytes + bytes + (entries * JournalRecordOverhead);

    /// <summary>Says which bound holds writes back, for the messages of an overflow: the pending counts, and the journal when it is full.</summary>
    public string DescribeBound()
    {
        var (queuedEntries, queuedBytes) = Queued();
        string queued = queuedEntries == 0
            ? string.Empty
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $" and {queuedEntries} writes ({queuedBytes} bytes) queued for its shards");
        string pending = string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"holds {PendingEntries} pending entries ({PendingBytes} bytes){queued}; the bound is {Options.MaxPendingEntries} entries or {Options.MaxPendingBytes} bytes");
        return JournalFull
            ? string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"{pending}, and its journal holds {Journal!.TotalBytes} bytes (with the writes queued for it, {JournalBytesWithQueued(Journal)}), its MaxJournalBytes of {Options.Journal!.MaxJournalBytes} (segments go once the writes in them are committed)")
            : pending;
    }

    /// <summary>
    /// Whether the cache is over its bounds: its pending entries and bytes, and its journal's bytes, each counting the
    /// writes taken that their shard has not handled yet (<see cref="Queued"/>).
    /// </summary>
    public bool IsOverBound() => IsOverBound(Gate.AdmittedEntries, Gate.AdmittedBytes);

    /// <summary>
    /// Whether a write must go through the capacity gate rather than straight in: the cache is over its bounds, or
    /// writers already wait for room (a write that went in ahead of them could overtake the same caller's earlier
    /// write of the key, still waiting; see <c>WaitForRoomAndPostAsync</c>).
    /// </summary>
    public bool MustWaitForRoom() => Gate.HasWaiters || IsOverBound();

    /// <summary>
    /// Whether the cache is over its bounds, counting the writes in the mailboxes, once <paramref name="extraEntries"/>
    /// more writes of <paramref name="extraBytes"/> are counted (the capacity gate passes its admissions, read under its lock).
    /// </summary>
    public bool IsOverBound(long extraEntries, long extraBytes)
    {
        // One pass over the shards: this runs before every write.
        long pendingEntries = 0, pendingBytes = 0, queuedEntries = extraEntries, queuedBytes = extraBytes;
        foreach (var shard in Shards)
        {
            pendingEntries += shard.PendingEntries;
            pendingBytes += shard.PendingBytes;
            queuedEntries += shard.QueuedWrites;
            queuedBytes += shard.QueuedWriteBytes;
        }

        return pendingEntries + queuedEntries >= Options.MaxPendingEntries
            || pendingBytes + queuedBytes >= Options.MaxPendingBytes
            || (Journal is { } journal
                && WithRecords(journal, queuedEntries, queuedBytes) >= Options.Journal!.MaxJournalBytes);
    }
}
