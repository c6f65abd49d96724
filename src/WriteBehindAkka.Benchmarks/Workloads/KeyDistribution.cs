namespace WriteBehindAkka.Benchmarks.Workloads;

/// <summary>How a workload picks keys.</summary>
internal enum KeyDistribution
{
    /// <summary>Every key equally likely.</summary>
    Uniform,

    /// <summary>Zipf: a few hot keys take most writes.</summary>
    Zipf,
}
