using System.Reflection;

namespace WriteBehindAkka.Hosting.Lifetime;

/// <summary>
/// Reads the age of a cache's oldest pending write. Core's <see cref="CacheStatistics"/> is gaining
/// <c>OldestPendingAge</c>; until a build has it, the age reads as zero (so the lag threshold never trips).
/// </summary>
/// <remarks>Once every supported core has the property, replace the body of <see cref="OldestPendingAge"/> with <c>statistics.OldestPendingAge</c>.</remarks>
internal static class CacheLag
{
    private static readonly Func<CacheStatistics, TimeSpan> Read = CreateReader();

    /// <summary>Gets a value indicating whether the core in use reports the age (otherwise it reads as zero).</summary>
    public static bool IsReported { get; } = typeof(CacheStatistics).GetProperty("OldestPendingAge")?.PropertyType == typeof(TimeSpan);

    /// <summary>The age of the oldest pending (written, not yet committed) write; zero when none is pending or the core does not report it.</summary>
    /// <param name="statistics">A snapshot of the cache.</param>
    /// <returns>The age.</returns>
    public static TimeSpan OldestPendingAge(CacheStatistics statistics) => Read(statistics);

    private static Func<CacheStatistics, TimeSpan> CreateReader()
    {
        var property = typeof(CacheStatistics).GetProperty("OldestPendingAge", BindingFlags.Public | BindingFlags.Instance);
        return property?.PropertyType == typeof(TimeSpan)
            ? property.GetMethod!.CreateDelegate<Func<CacheStatistics, TimeSpan>>()
            : _ => TimeSpan.Zero;
    }
}
