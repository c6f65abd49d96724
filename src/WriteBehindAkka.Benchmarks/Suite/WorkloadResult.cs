using WriteBehindAkka.Benchmarks.Workloads;

namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>Every contender's results on one workload.</summary>
internal sealed class WorkloadResult
{
    public required WorkloadSpec Workload { get; init; }

    public List<ContenderResult> Contenders { get; } = [];

    public ContenderResult? Find(string name) => Contenders.Find(c => c.Name == name);
}
