using WriteBehindAkka.Options;

namespace WriteBehindAkka.Supervision;

/// <summary>The backoff arithmetic of <see cref="RestartSettings"/>, kept pure so that tests can check it exactly.</summary>
internal static class Backoff
{
    /// <summary>
    /// The wait before retry number <paramref name="attempt"/> (1 for the first):
    /// <c>min(max, min * 2^(attempt-1)) * (1 + randomFactor * random)</c>.
    /// </summary>
    /// <param name="settings">The settings.</param>
    /// <param name="attempt">1 for the first retry.</param>
    /// <param name="random">A number in [0, 1).</param>
    public static TimeSpan Compute(RestartSettings settings, int attempt, double random)
    {
        // A jitter source outside its contract (NaN, negative, past 1) must not make a wait a timer refuses: the
        // writer loop whose restart it times would die for good.
        random = random >= 0 ? Math.Min(random, 1) : 0;
        int exponent = Math.Clamp(attempt - 1, 0, 62);
        double baseTicks = Math.Min(settings.MaxBackoff.Ticks, settings.MinBackoff.Ticks * Math.Pow(2, exponent));
        // Never past a timer's limit, whatever the jitter adds to MaxBackoff: a wait a timer refuses would crash the loop.
        return TimeSpan.FromTicks((long)Math.Min(baseTicks * (1 + (settings.RandomFactor * random)), OptionsValidator.MaxTimerDuration.Ticks));
    }
}
