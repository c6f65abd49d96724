namespace WriteBehindAkka.Benchmarks.Reporting;

/// <summary>One target of the issue against what this run measured. Reported, never asserted.</summary>
/// <param name="Target">The target in words.</param>
/// <param name="Workload">The workload it was checked on.</param>
/// <param name="Measured">The measured value, in the target's terms (a ratio, a fraction, microseconds or bytes).</param>
/// <param name="Display">The measured value as printed.</param>
/// <param name="Met">Whether the target is met; null when it could not be checked.</param>
/// <param name="Note">What to know when reading it.</param>
internal sealed record TargetCheck(string Target, string Workload, double Measured, string Display, bool? Met, string? Note);
