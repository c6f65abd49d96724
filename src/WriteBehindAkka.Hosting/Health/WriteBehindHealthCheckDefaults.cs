namespace WriteBehindAkka.Hosting.Health;

/// <summary>The defaults of <see cref="WriteBehindHealthCheckOptions"/>, in one place.</summary>
internal static class WriteBehindHealthCheckDefaults
{
    public const long BacklogThreshold = 100_000;
    public static readonly TimeSpan StoreFailureThreshold = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan LagThreshold = TimeSpan.FromSeconds(60);
}
