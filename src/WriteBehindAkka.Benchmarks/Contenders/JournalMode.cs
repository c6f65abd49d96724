namespace WriteBehindAkka.Benchmarks.Contenders;

/// <summary>The journal's fsync policies the suite will compare once the journal exists.</summary>
internal enum JournalMode
{
    /// <summary>Every write is fsynced before it is acknowledged.</summary>
    Always,

    /// <summary>Writes are fsynced once a second.</summary>
    EverySecond,

    /// <summary>The journal is written but never fsynced.</summary>
    No,
}
