namespace WriteBehindAkka.Demo.Metrics;

/// <summary>One point of the page's charts.</summary>
/// <param name="At">When it was sampled (Unix milliseconds).</param>
/// <param name="WritesPerSecond">Writes accepted by the cache per second since the previous sample.</param>
/// <param name="RowsPerSecond">Rows committed to PostgreSQL per second since the previous sample.</param>
/// <param name="Backlog">Entries written but not yet committed.</param>
/// <param name="LagSeconds">How far the database is behind the cache, in seconds (see <see cref="LiveStats.LagSource"/>).</param>
public sealed record LiveSample(long At, double WritesPerSecond, double RowsPerSecond, long Backlog, double LagSeconds);
