using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>What one run of a contender gets: the workload, the database, the settings and which repetition it is.</summary>
internal sealed record RunContext(WorkloadSpec Workload, ZipfSampler? Zipf, BenchDatabase Database, SuiteSettings Settings, int Repetition, CancellationToken Cancellation)
{
    /// <summary>A seed per workload, repetition and worker, so that runs are reproducible and workers differ.</summary>
    public ulong SeedFor(int worker) => (ulong)HashCode.Combine(Workload.Name.Length, Workload.KeyCount, Repetition) * 0x9E3779B97F4A7C15UL + (ulong)worker + 1;
}
