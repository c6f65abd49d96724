namespace WriteBehindAkka.Demo.Metrics;

/// <summary>The demo cache's counters since start.</summary>
/// <param name="WritesAccepted">Writes accepted.</param>
/// <param name="WritesCoalesced">Writes that replaced a pending write of the same key.</param>
/// <param name="WritesRejected">Writes refused (cache or mailbox full).</param>
/// <param name="WritesFailed">Records the store refused for good, or given up on when their retry budget ran out (writebehind.writes.failed).</param>
/// <param name="RowsCommitted">Rows committed.</param>
/// <param name="BatchesCommitted">Batches committed.</param>
/// <param name="Retries">Batch retries after transient errors.</param>
public sealed record LiveTotals(double WritesAccepted, double WritesCoalesced, double WritesRejected, double WritesFailed, double RowsCommitted, double BatchesCommitted, double Retries)
{
    /// <summary>Nothing yet.</summary>
    public static LiveTotals Zero { get; } = new(0, 0, 0, 0, 0, 0, 0);
}
