namespace WriteBehindAkka.Journal;

/// <summary>What the journal found at start-up.</summary>
/// <param name="Segments">Segment files read.</param>
/// <param name="Records">Intact records read.</param>
/// <param name="Keys">Distinct keys among them, each loaded into its shard as pending at its newest version.</param>
/// <param name="TornTailBytes">Bytes at segment ends that held an incomplete record (a write cut short by a crash) and were ignored.</param>
/// <param name="CorruptRegions">Damaged stretches inside segments that were skipped (bad checksum or lengths); recovery resumed at the next intact record.</param>
/// <param name="SkippedSegments">Segments not replayed (unknown format version, unreadable header); they are left in place.</param>
/// <param name="Problems">One sentence per problem found, naming the file and offset.</param>
public sealed record JournalRecoveryReport(
    int Segments,
    long Records,
    long Keys,
    long TornTailBytes,
    int CorruptRegions,
    int SkippedSegments,
    IReadOnlyList<string> Problems)
{
    /// <summary>A report for an empty or new journal folder.</summary>
    public static JournalRecoveryReport Empty { get; } = new(0, 0, 0, 0, 0, 0, []);

    /// <summary>Whether every byte of every segment was understood.</summary>
    public bool Clean => TornTailBytes == 0 && CorruptRegions == 0 && SkippedSegments == 0;

    /// <summary>Prints the counts and each problem's sentence (a record's default would print the list's type name).</summary>
    /// <param name="builder">Where the members go.</param>
    /// <returns>True: there are members.</returns>
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(System.Globalization.CultureInfo.InvariantCulture,
            $"Segments = {Segments}, Records = {Records}, Keys = {Keys}, TornTailBytes = {TornTailBytes}, CorruptRegions = {CorruptRegions}, SkippedSegments = {SkippedSegments}, Clean = {Clean}, Problems = [");
        builder.AppendJoin(" | ", Problems);
        builder.Append(']');
        return true;
    }
}
