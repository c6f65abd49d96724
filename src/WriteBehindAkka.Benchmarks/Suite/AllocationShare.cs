namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>One type's share of the allocations of a run's window.</summary>
/// <param name="Type">The type name.</param>
/// <param name="BytesPerWrite">Sampled bytes of that type per write acknowledged.</param>
internal sealed record AllocationShare(string Type, double BytesPerWrite);
