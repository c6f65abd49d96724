namespace WriteBehindAkka.Options;

/// <summary>The defaults of <see cref="RestartSettings"/>, in one place.</summary>
internal static class RestartDefaults
{
    public static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public const double RandomFactor = 0.2;
    public const int MaxRestarts = -1;
    public static readonly TimeSpan MaxRestartsWithin = TimeSpan.FromMinutes(5);
}
