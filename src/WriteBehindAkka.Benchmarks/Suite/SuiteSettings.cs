namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>How long and how hard the standard suite runs (from the command line).</summary>
/// <param name="Warmup">Time each run writes before its window opens.</param>
/// <param name="Duration">The measured window of each run.</param>
/// <param name="Repetitions">Runs per contender and workload; medians and ranges are over these.</param>
/// <param name="Concurrency">Concurrent callers of the cache, and connections of write-through: the same for both.</param>
/// <param name="CeilingBatch">Rows per batch of the ceiling contenders.</param>
/// <param name="CeilingWriters">Concurrent writers of the ceiling contenders, each on its own share of the keys.</param>
/// <param name="LagSampleEvery">One write in this many is issued at WriteConsistency.Committed to sample the database lag.</param>
/// <param name="MemoryEntries">Entries of the bytes-per-pending-entry measurement (0 skips it).</param>
/// <param name="AllocationProfile">Whether to sample allocations by type inside each window (costs a little).</param>
/// <param name="JournalCallers">Concurrent callers of the extra high-concurrency journal contenders (journal: Always, N callers), one contender each; null: 256 and 512.</param>
/// <param name="JournalOnAllWorkloads">Whether the journal contenders run on every workload, not only uniform-1M-100B.</param>
/// <param name="Parallelism">The write-behind contenders' <c>WriteBehindOptions.Parallelism</c>; null: the cache's default.</param>
/// <param name="DrainEntries">The backlog the backlog-drain contender fills before it times the drain (at most half the workload's keys, and fewer when three quarters of the cache's bounds come first).</param>
internal sealed record SuiteSettings(
    TimeSpan Warmup,
    TimeSpan Duration,
    int Repetitions,
    int Concurrency,
    int CeilingBatch,
    int CeilingWriters,
    int LagSampleEvery,
    int MemoryEntries,
    bool AllocationProfile = false,
    IReadOnlyList<int>? JournalCallers = null,
    bool JournalOnAllWorkloads = false,
    int? Parallelism = null,
    int DrainEntries = 500_000);
