namespace WriteBehindAkka;

/// <summary>How far a write must have gone before its <c>SetAsync</c>/<c>DeleteAsync</c> completes.</summary>
public enum WriteConsistency
{
    /// <summary>
    /// The owning shard has applied the write in memory: reads see it and it will be written. Memory speed. With the
    /// journal on, also the journal's fsync policy is met (see <see cref="Journal.FsyncPolicy"/>).
    /// </summary>
    Accepted = 0,

    /// <summary>
    /// Accepted, and its journal record fsynced to disk, whatever the journal's fsync policy (group commit with
    /// the other records). Needs <see cref="Options.WriteBehindOptions.Journal"/>.
    /// </summary>
    Journaled = 1,

    /// <summary>The write (or a later write to the same key that supersedes it) is committed to the store.</summary>
    Committed = 2,
}
