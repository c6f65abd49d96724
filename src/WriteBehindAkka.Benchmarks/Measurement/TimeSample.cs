namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>One 100 ms point of a run's time series.</summary>
/// <param name="Seconds">Seconds since the run started (warm-up included).</param>
/// <param name="WritesPerSecond">Writes acknowledged per second over the interval.</param>
/// <param name="RowsPerSecond">Rows committed to PostgreSQL per second over the interval.</param>
/// <param name="Backlog">Entries written but not committed (write-behind only; null otherwise).</param>
/// <param name="LagP50Ms">Median lag of the lag samples committed in the interval (null when none).</param>
/// <param name="LagMaxMs">Largest lag of those samples.</param>
/// <param name="WorkingSetBytes">The process's working set.</param>
internal sealed record TimeSample(double Seconds, double WritesPerSecond, double RowsPerSecond, long? Backlog, double? LagP50Ms, double? LagMaxMs, long WorkingSetBytes);
