namespace WriteBehindAkka.Journal;

/// <summary>When the journal forces its records to disk, named as Redis names its append-only-file policies.</summary>
public enum FsyncPolicy
{
    /// <summary>
    /// A write is acknowledged only after its record is on disk (fsync). Group commit: one fsync covers every
    /// record appended while the previous fsync ran. Promise: no acknowledged write is lost, even on power loss.
    /// </summary>
    Always = 0,

    /// <summary>
    /// A write is acknowledged once its record is handed to the operating system (copied into the page cache through
    /// the journal's mapped segment); the journal fsyncs at least once
    /// per <see cref="JournalOptions.FsyncInterval"/> (one second by default). Promise: a crash of the process
    /// loses nothing; a crash of the machine loses at most about one interval of acknowledged writes.
    /// </summary>
    EverySecond = 1,

    /// <summary>
    /// A write is acknowledged once its record is handed to the operating system (as for EverySecond), which decides when it reaches
    /// the disk. Promise: a crash of the process loses nothing; a crash of the machine may lose any amount of
    /// what the operating system had not written yet.
    /// </summary>
    No = 2,
}
