namespace WriteBehindAkka.Journal;

/// <summary>Settings of the local write-ahead journal. Set <see cref="Options.WriteBehindOptions.Journal"/> to turn it on.</summary>
public sealed record JournalOptions
{
    /// <summary>The folder of the journal's segment files; one cache per folder (a lock file enforces it).</summary>
    /// <value>No default: required.</value>
    public string Directory { get; init; } = string.Empty;

    /// <summary>When records are forced to disk, and so when a write is acknowledged.</summary>
    /// <value>The default value is <see cref="FsyncPolicy.Always"/>.</value>
    public FsyncPolicy FsyncPolicy { get; init; } = FsyncPolicy.Always;

    /// <summary>The longest time between two fsyncs under <see cref="FsyncPolicy.EverySecond"/>.</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The size of a segment file: each is preallocated to this size on disk and mapped into memory when it is
    /// created, and sealed (truncated to its records) when full.
    /// </summary>
    /// <value>The default value is 64 MiB.</value>
    public long SegmentBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// The bound on the journal's size: the sealed segments and the records of the current one (the current
    /// segment and the next one, created ahead of time, each occupy <see cref="SegmentBytes"/> on disk). Past it, writes wait (or fail, per the overflow
    /// strategy) until commits to the store let old segments be deleted.
    /// </summary>
    /// <value>The default value is 1 GiB.</value>
    public long MaxJournalBytes { get; init; } = 1024L * 1024 * 1024;
}
