namespace WriteBehindAkka.Diagnostics;

/// <summary>What a cache reports to the observable gauges.</summary>
internal interface IMetricsSource
{
    string Name { get; }

    long PendingEntries { get; }

    long PendingBytes { get; }

    /// <summary>Entries held in memory, pending and clean.</summary>
    long CachedEntries { get; }

    TimeSpan OldestPendingAge { get; }

    /// <summary>The journal's records in bytes (what MaxJournalBytes bounds); null without a journal.</summary>
    long? JournalBytes { get; }
}
