namespace WriteBehindAkka.Demo;

/// <summary>A run of the load generator.</summary>
public sealed class LoadOptions
{
    /// <summary>Gets or sets the writes per second; 0 is off.</summary>
    /// <value>The default value is 0 (no load at start).</value>
    public int WritesPerSecond { get; set; }

    /// <summary>Gets or sets how long the run lasts; 0 runs until stopped.</summary>
    /// <value>The default value is 60 seconds.</value>
    public int Seconds { get; set; } = 60;

    /// <summary>Gets or sets how many distinct players are written (fewer players, more coalescing).</summary>
    /// <value>The default value is 10,000.</value>
    public int Players { get; set; } = 10_000;
}
