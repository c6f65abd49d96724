using System.ComponentModel.DataAnnotations;

namespace WriteBehindAkka.Options;

/// <summary>
/// Retry with exponential backoff and jitter for batches that fail with a transient store error, and for
/// writer loops that crash; the same knobs as Akka.Streams' <c>RestartSettings</c>.
/// </summary>
/// <remarks>
/// The n-th consecutive failure waits <c>min(MaxBackoff, MinBackoff * 2^(n-1)) * (1 + RandomFactor * r)</c>
/// with <c>r</c> uniform in [0, 1). Unlike Akka's <c>RestartFlow</c>, a restart here loses nothing: the
/// batch being written is kept and written again, and the shards hold every write until it is committed.
/// </remarks>
public sealed record RestartSettings
{
    /// <summary>The wait before the first retry.</summary>
    /// <value>The default value is 100 milliseconds.</value>
    public TimeSpan MinBackoff { get; init; } = RestartDefaults.MinBackoff;

    /// <summary>The longest wait between two retries.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan MaxBackoff { get; init; } = RestartDefaults.MaxBackoff;

    /// <summary>The share of random jitter added to each wait, so that writers do not retry in lockstep.</summary>
    /// <value>The default value is 0.2.</value>
    [Range(0.0, 1.0)]
    public double RandomFactor { get; init; } = RestartDefaults.RandomFactor;

    /// <summary>
    /// How many retries of one batch are allowed within <see cref="MaxRestartsWithin"/> before its records are
    /// marked Failed; -1 retries for ever (a database outage is waited out while the backlog stays bounded).
    /// </summary>
    /// <value>The default value is -1 (unlimited).</value>
    public int MaxRestarts { get; init; } = RestartDefaults.MaxRestarts;

    /// <summary>The window in which <see cref="MaxRestarts"/> is counted.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan MaxRestartsWithin { get; init; } = RestartDefaults.MaxRestartsWithin;
}
