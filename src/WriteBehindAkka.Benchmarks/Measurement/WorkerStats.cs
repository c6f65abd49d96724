namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>
/// One worker's counters and histograms. Only its worker writes them; the sampler reads the counters (64-bit
/// reads are atomic on the 64-bit runtimes this runs on), and the histograms are read after the worker stopped.
/// </summary>
internal sealed class WorkerStats
{
    /// <summary>Writes acknowledged (for ceilings: rows sent in committed batches) since the start of the run.</summary>
    public long Writes;

    /// <summary>Rows committed to the database by this worker (write-through and ceilings; write-behind counts rows from its metrics).</summary>
    public long Rows;

    /// <summary>Reads answered.</summary>
    public long Reads;

    /// <summary>Acknowledgement latency of writes issued inside the measured window, in nanoseconds.</summary>
    public LatencyHistogram WriteLatency { get; } = new();

    /// <summary>Latency of reads issued inside the measured window, in nanoseconds.</summary>
    public LatencyHistogram ReadLatency { get; } = new();
}
