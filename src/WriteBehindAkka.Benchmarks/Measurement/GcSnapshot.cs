namespace WriteBehindAkka.Benchmarks.Measurement;

/// <summary>The garbage collector's counters at one moment; subtract two to get a window's.</summary>
internal readonly record struct GcSnapshot(long AllocatedBytes, double PauseSeconds, int Gen0, int Gen1, int Gen2)
{
    public static GcSnapshot Take() => new(
        GC.GetTotalAllocatedBytes(precise: false),
        GC.GetTotalPauseDuration().TotalSeconds,
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2));

    public static GcSnapshot operator -(GcSnapshot a, GcSnapshot b) =>
        new(a.AllocatedBytes - b.AllocatedBytes, a.PauseSeconds - b.PauseSeconds, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);
}
