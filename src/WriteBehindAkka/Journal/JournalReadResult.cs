namespace WriteBehindAkka.Journal;

/// <summary>What <see cref="JournalReader"/> found.</summary>
/// <param name="Records">Intact records, oldest first.</param>
/// <param name="Report">The report (its key count is filled in by the cache).</param>
/// <param name="Replayable">Segments that were read (number, and the bytes their header and records use: a segment that was current at a crash keeps a preallocated zero tail, not counted; and the highest version of its records, long.MaxValue when some were damaged; and its path, as found: a file renamed to another spelling of its number is deleted by that name): deleted once their writes are committed.</param>
/// <param name="HighestSegment">The highest segment number in the folder, read or not.</param>
/// <param name="Unused">Segments created ahead of time that never received a record (paths): not counted, deleted at open.</param>
internal sealed record JournalReadResult(List<JournalRecord> Records, JournalRecoveryReport Report, List<(long Number, long Bytes, long HighestVersion, string Path)> Replayable, long HighestSegment, List<string> Unused);
