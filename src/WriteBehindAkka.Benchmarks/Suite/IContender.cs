namespace WriteBehindAkka.Benchmarks.Suite;

/// <summary>One way of getting the workload's writes into PostgreSQL.</summary>
internal interface IContender
{
    /// <summary>The name in the table, the JSON and the chart.</summary>
    string Name { get; }

    ContenderKind Kind { get; }

    /// <summary>What it measures, one line.</summary>
    string Description { get; }

    /// <summary>Why it cannot run in this build, or null when it can.</summary>
    string? Unavailable { get; }

    /// <summary>Why it does not run on this workload (printed in its row), or null when it does.</summary>
    string? SkipOn(Workloads.WorkloadSpec workload) => null;

    /// <summary>Creates the tables it needs, once per workload.</summary>
    Task PrepareAsync(RunContext context);

    Task<RunResult> RunAsync(RunContext context);
}
