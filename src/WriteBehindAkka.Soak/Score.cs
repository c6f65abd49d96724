namespace WriteBehindAkka.Soak;

/// <summary>A row of <c>soak_scores</c>: the write's sequence number and a score the table's CHECK wants non-negative.</summary>
/// <param name="Seq">The global sequence number of the write.</param>
/// <param name="Points">The score; negative for a poison write.</param>
internal sealed record Score(long Seq, int Points);
