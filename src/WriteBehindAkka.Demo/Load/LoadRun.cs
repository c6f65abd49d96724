namespace WriteBehindAkka.Demo.Load;

/// <summary>One run of the load generator.</summary>
internal sealed class LoadRun
{
    private long _written;

    public LoadRun(int writesPerSecond, int players, TimeSpan? duration, long startedAt)
    {
        WritesPerSecond = writesPerSecond;
        Players = players;
        Duration = duration;
        StartedAt = startedAt;
    }

    public int WritesPerSecond { get; }

    public int Players { get; }

    /// <summary>Gets how long the run lasts, or <see langword="null"/> until stopped.</summary>
    public TimeSpan? Duration { get; }

    /// <summary>Gets the timestamp of the start.</summary>
    public long StartedAt { get; }

    /// <summary>Stops the run (set by a new run or by <c>DELETE /load</c>).</summary>
    public CancellationTokenSource Stop { get; } = new();

    public long Written => Interlocked.Read(ref _written);

    public void Count() => Interlocked.Increment(ref _written);
}
